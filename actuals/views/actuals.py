"""Project actuals: filters, totals, and the filtered rows as CSV or XLSX."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from actuals import queries
from actuals.forms import ActualFilterForm
from actuals.models import ActualType, BillingType
from actuals.views.common import _managed_projects, _require
from contracts.exports import export_queryset, requested_format
from contracts.models import Project, TransactionClass


@login_required
def project_actuals(request: HttpRequest) -> HttpResponseBase:
    _require(request, "actuals.view_actual")
    user = request.user
    projects = Project.objects.all() if user.is_superuser else None
    if projects is None:
        from contracts.roles import sees_everything

        projects = Project.objects.all() if sees_everything(user) else _managed_projects(user)
    form = ActualFilterForm(request.GET or None, projects=projects)
    qs = form.filtered(queries.visible_actuals(user))
    rows = queries.actual_totals(qs)
    if fmt := requested_format(request):
        return _export(fmt, qs.order_by("-transaction_date", "-pk"))
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


def _export(fmt: str, actuals: Any) -> HttpResponseBase:
    """The filtered actuals, newest first, every row (:mod:`contracts.exports`)."""
    return export_queryset(
        fmt,
        filename="actuals",
        queryset=actuals,
        columns=[
            ("transaction_date", _("Date")),
            ("actual_type", _("Type")),
            ("transaction_class", _("Class")),
            ("project__code", _("Project")),
            ("customer__name", _("Customer")),
            ("resource__name", _("Resource")),
            ("role__name", _("Role")),
            ("category__name", _("Category")),
            ("description", _("Description")),
            ("quantity", _("Quantity")),
            ("unit_price", _("Price")),
            ("amount", _("Amount")),
            ("currency", _("Currency")),
            ("billing_type", _("Billing type")),
        ],
        display={
            "actual_type": dict(ActualType.choices),
            "transaction_class": dict(TransactionClass.choices),
            "billing_type": dict(BillingType.choices),
        },
    )
