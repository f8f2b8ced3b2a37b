"""Approvals waiting for the project manager: filters, bulk approve / return, billable quantity
per entry.
"""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from actuals import queries, services
from actuals.forms import ApprovalFilterForm
from actuals.models import ExpenseEntry, TimeEntry
from actuals.views.common import _managed_projects, _require
from contracts.errors import EXPECTED_ERRORS, error_texts
from contracts.numbers import NumberRefused, parse_number
from contracts.views import Column, table_page

#: Entries waiting, per table and page: every one is reachable (there is no silent cap).
PAGE_SIZE = 100

TIME_COLUMNS = [
    Column(gettext_lazy("Select")),
    Column(gettext_lazy("Date"), "date", ("entry_date",)),
    Column(gettext_lazy("Resource"), "resource", ("resource__name",)),
    Column(gettext_lazy("Project"), "project", ("project__code",)),
    Column(gettext_lazy("Role")),
    Column(gettext_lazy("Description")),
    Column(gettext_lazy("Hours"), "hours", ("hours",), numeric=True),
    Column(gettext_lazy("Billable hours"), numeric=True),
]
EXPENSE_COLUMNS = [
    Column(gettext_lazy("Select")),
    Column(gettext_lazy("Date"), "date", ("entry_date",)),
    Column(gettext_lazy("Resource"), "resource", ("resource__name",)),
    Column(gettext_lazy("Project"), "project", ("project__code",)),
    Column(gettext_lazy("Category")),
    Column(gettext_lazy("Quantity"), "quantity", ("quantity",), numeric=True),
    Column(gettext_lazy("Amount"), "amount", ("amount",), numeric=True),
    Column(gettext_lazy("Billable quantity"), numeric=True),
]


def _ids(request: HttpRequest, name: str) -> list[int]:
    try:
        return sorted({int(v) for v in request.POST.getlist(name)})
    except ValueError as exc:
        raise Http404 from exc


def _billable(request: HttpRequest, kind: str, ids: list[int]) -> dict[int, Decimal]:
    quantities: dict[int, Decimal] = {}
    for pk in ids:
        raw = (request.POST.get(f"billable-{kind}-{pk}") or "").strip()
        if raw:
            try:
                quantities[pk] = parse_number(raw)
            except NumberRefused as exc:
                raise ValidationError({"billable_quantity": str(exc)}) from exc
    return quantities


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    _require(request, "actuals.approve_timeentry", "actuals.approve_expenseentry")
    user = request.user
    waiting_time = queries.approvals_waiting(user, TimeEntry).select_related("role")
    waiting_expenses = queries.approvals_waiting(user, ExpenseEntry).select_related("category")
    if request.method == "POST":
        verb = request.POST.get("action")
        time_ids, expense_ids = _ids(request, "time_ids"), _ids(request, "expense_ids")
        # Only entries waiting for this manager; anything else is as if it did not exist.
        if waiting_time.filter(pk__in=time_ids).count() != len(time_ids) or (
            waiting_expenses.filter(pk__in=expense_ids).count() != len(expense_ids)
        ):
            messages.error(request, _("Some of the selected entries are no longer waiting."))
            return redirect(request.get_full_path())
        if not time_ids and not expense_ids:
            messages.error(request, _("Select at least one entry."))
            return redirect(request.get_full_path())
        now = timezone.now()
        try:
            if verb == "approve":
                warnings: list[str] = []
                for model, ids, kind in (
                    (TimeEntry, time_ids, "time"),
                    (ExpenseEntry, expense_ids, "expense"),
                ):
                    if ids:
                        results = services.approve_entries(
                            model=model,
                            ids=ids,
                            approved_by=user,
                            approved_at=now,
                            billable_quantities=_billable(request, kind, ids),
                        )
                        warnings += [w for r in results for w in r.warnings]
                n = len(time_ids) + len(expense_ids)
                messages.success(
                    request,
                    ngettext("%(n)d entry approved.", "%(n)d entries approved.", n) % {"n": n},
                )
                for w in warnings:
                    messages.warning(request, w)
            elif verb == "return":
                comment = request.POST.get("comment", "")
                for model, ids in ((TimeEntry, time_ids), (ExpenseEntry, expense_ids)):
                    if ids:
                        services.return_entries(
                            model=model, ids=ids, comment=comment, returned_by=user, returned_at=now
                        )
                n = len(time_ids) + len(expense_ids)
                messages.success(
                    request,
                    ngettext("%(n)d entry returned.", "%(n)d entries returned.", n) % {"n": n},
                )
            else:
                raise Http404
        except EXPECTED_ERRORS as exc:
            for error in error_texts(exc):
                messages.error(request, error)
        return redirect(request.get_full_path())
    form = ApprovalFilterForm(request.GET or None, projects=_managed_projects(user))
    time = table_page(
        request,
        form.filtered(waiting_time),
        columns=TIME_COLUMNS,
        default_sort="date",
        per_page=PAGE_SIZE,
        prefix="t-",
    )
    expenses = table_page(
        request,
        form.filtered(waiting_expenses),
        columns=EXPENSE_COLUMNS,
        default_sort="date",
        per_page=PAGE_SIZE,
        prefix="e-",
    )
    return render(
        request,
        "actuals/approvals.html",
        {"filter_form": form, "time_table": time, "expense_table": expenses},
    )
