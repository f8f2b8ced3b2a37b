"""Project actuals: filters and totals."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from actuals import queries
from actuals.forms import ActualFilterForm
from actuals.views.common import _managed_projects, _require
from contracts.models import Project


@login_required
def project_actuals(request: HttpRequest) -> HttpResponse:
    _require(request, "actuals.view_actual")
    user = request.user
    projects = Project.objects.all() if user.is_superuser else None
    if projects is None:
        from contracts.roles import sees_everything

        projects = Project.objects.all() if sees_everything(user) else _managed_projects(user)
    form = ActualFilterForm(request.GET or None, projects=projects)
    qs = form.filtered(queries.visible_actuals(user))
    totals = queries.actual_totals(qs)
    rows = [
        {"type": t, "currency": cur, "quantity": q, "amount": a}
        for t, by_currency in totals.items()
        for cur, (q, a) in by_currency.items()
    ]
    page = Paginator(
        qs.select_related("customer", "role", "category", "resource").order_by(
            "-transaction_date", "-pk"
        ),
        50,
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "actuals/project_actuals.html",
        {"filter_form": form, "page": page, "totals": rows, "query": query.urlencode()},
    )
