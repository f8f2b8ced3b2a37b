"""The T&M backlog page, *create invoice* per contract, and the fixed-price milestones page.

**Backlog.** The project manager's unbilled chargeable items (:func:`backlog_visible_to`),
filtered like the API, sortable, 50 a page (*Previous*, *Next* and the last page by cursor:
page 10,000 of a million items costs what page 1 does). Contract, customer, project and resource are typed
with suggestions (:class:`contracts.forms.LookupField`, served by :func:`suggest`), never
listed whole in the page: a manager of 10,000 contracts got 11 MB of options before. Sorting
always ends in the primary key; the default (transaction date, id) is read off the partial
index ``actual_date_idx``. Above the table: totals of the filtered set (one
aggregate query, whose count is also the pager's) and of the selection (``static/js/app.js``).
Bulk buttons: mark ready, mark not ready, write off (with a reason), invoice the selection.
Mark ready / not ready do what they can and list what they skipped and why (on a draft,
NTE failed, …), for the ticked rows or for every item the filters select (up to
``BULK_LIMIT``, across pages); write-off and invoicing stay all or nothing.
Below it: the contracts with something ready, 25 a page, each with a *Create invoice* form
(optional up-to date); their counts and amounts are aggregated for the page's contracts only.

**Milestones.** Fixed-price milestones not yet invoiced: ready / not ready in bulk, and
invoice the selection.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from actuals.models import Actual, ActualBilling, BillingStatus
from actuals.services.billing import (
    mark_milestones_not_ready,
    mark_milestones_ready,
    mark_where_possible,
    reverse_write_off,
    write_off,
)
from contracts.errors import EXPECTED_ERRORS, error_texts
from contracts.exports import export_queryset, requested_format
from contracts.forms import LookupField, form_error_texts
from contracts.models import Milestone, MilestoneStatus, TransactionClass
from contracts.queries import contracts_visible_to, milestones_visible_to
from contracts.views import Column, Table, table_page
from invoicing.filters import backlog_rows, backlog_scope, backlog_totals, backlog_visible_to
from invoicing.forms import (
    BacklogFilterForm,
    BulkActionForm,
    CreateInvoiceForm,
    MilestoneFilterForm,
)
from invoicing.services import (
    BillingResult,
    create_invoice_for_contract,
    invoice_selection,
)

from .common import billing_message, require

PAGE_SIZE = 50
TO_INVOICE_PAGE_SIZE = 25

BACKLOG_COLUMNS = [
    Column(gettext_lazy("Select")),
    Column(gettext_lazy("Date"), "date", ("transaction_date",)),
    Column(gettext_lazy("Contract"), "contract", ("contract__number",)),
    Column(gettext_lazy("Customer"), "customer", ("customer__name",), nullable=True),
    Column(gettext_lazy("Project"), "project", ("project__code",)),
    Column(gettext_lazy("Resource"), "resource", ("resource__name",), nullable=True),
    Column(gettext_lazy("Class"), "class", ("transaction_class",)),
    Column(gettext_lazy("Description")),
    Column(gettext_lazy("Quantity"), "quantity", ("quantity",), numeric=True),
    Column(gettext_lazy("Price"), numeric=True),
    Column(gettext_lazy("Amount"), "amount", ("amount",), numeric=True),
    Column(gettext_lazy("Status"), "status", ("billing_status",)),
]

MILESTONE_COLUMNS = [
    Column(gettext_lazy("Select")),
    Column(gettext_lazy("Date"), "date", ("milestone_date",)),
    Column(gettext_lazy("Contract"), "contract", ("line__contract__number",)),
    Column(gettext_lazy("Customer")),
    Column(gettext_lazy("Milestone"), "name", ("name",)),
    Column(gettext_lazy("Amount"), "amount", ("amount",), numeric=True),
    Column(gettext_lazy("Status"), "status", ("status",)),
]


def _after_billing(request: HttpRequest, result: BillingResult, back: str) -> HttpResponse:
    """One invoice: open it; several: the drafts to finish; none: back where we came from."""
    if result.items:
        messages.success(request, billing_message(result))
    else:
        messages.warning(request, billing_message(result))
    if len(result.invoice_ids) == 1:
        return redirect("invoicing:invoice-detail", pk=next(iter(result.invoice_ids)))
    if result.invoice_ids:
        return redirect("invoicing:drafts")
    return redirect(back)


def _unknown(ids: list[int], visible: Any) -> list[int]:
    return sorted(set(ids) - set(visible.filter(pk__in=ids).values_list("pk", flat=True)))


#: The most items one bulk action over a whole filter moves (one transaction, rows locked).
BULK_LIMIT = 10_000


def _filtered_ids(request: HttpRequest) -> list[int]:
    """The ids of every backlog item the page's filters (its query string) select."""
    user = request.user
    form = BacklogFilterForm(request.GET or None, contracts=contracts_visible_to(user))
    items = form.filtered(backlog_visible_to(user))
    ids = list(items.order_by("pk").values_list("pk", flat=True)[: BULK_LIMIT + 1])
    if len(ids) > BULK_LIMIT:
        raise ValidationError(
            _("The filters select more than %(limit)s items: narrow them first.")
            % {"limit": f"{BULK_LIMIT:,}"}
        )
    return ids


def _bulk(request: HttpRequest) -> HttpResponse:
    back = request.get_full_path()
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        for text in form_error_texts(form):
            messages.error(request, text)
        return redirect(back)
    ids: list[int] = form.cleaned_data["ids"]
    action = form.cleaned_data["action"]
    user = request.user
    try:
        if action == "invoice":
            require(request, "invoicing.add_invoice")
            if not ids:
                raise ValidationError({"ids": [_("Select at least one ready item.")]})
            if unknown := _unknown(ids, backlog_visible_to(user)):
                raise ValidationError(
                    _("Unknown backlog items: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}
                )
            result = invoice_selection(
                actual_ids=ids,
                milestone_ids=[],
                contracts=contracts_visible_to(user),
                invoice_date=form.cleaned_data["invoice_date"] or timezone.localdate(),
                by=user,
                now=timezone.now(),
            )
            return _after_billing(request, result, back)
        require(request, "actuals.manage_backlog")
        scope = backlog_scope(user)
        skipped: list[str] = []
        if action in ("ready", "not_ready"):
            if form.cleaned_data["everything"]:
                ids = _filtered_ids(request)
            outcome = mark_where_possible(actual_ids=ids, scope=scope, ready=action == "ready")
            n = outcome.moved
            text = (
                ngettext(
                    "%(n)d item marked ready to invoice.",
                    "%(n)d items marked ready to invoice.",
                    n,
                )
                if action == "ready"
                else ngettext("%(n)d item marked not ready.", "%(n)d items marked not ready.", n)
            )
            skipped = outcome.skipped
        elif action == "reverse_write_off":
            n = reverse_write_off(actual_ids=ids, scope=scope, by=user, at=timezone.now())
            text = ngettext(
                "%(n)d write-off reversed: the item is back in the backlog, not ready.",
                "%(n)d write-offs reversed: the items are back in the backlog, not ready.",
                n,
            )
        else:
            n = write_off(
                actual_ids=ids,
                reason=form.cleaned_data["reason"],
                scope=scope,
                by=user,
                at=timezone.now(),
            )
            text = ngettext("%(n)d item written off.", "%(n)d items written off.", n)
        messages.success(request, text % {"n": n})
        for reason in skipped:
            messages.warning(request, _("Skipped: %(reason)s") % {"reason": reason})
    except EXPECTED_ERRORS as exc:
        for message in error_texts(exc):
            messages.error(request, message)
    return redirect(back)


TO_INVOICE_COLUMNS = [
    Column(gettext_lazy("Contract"), "number", ("number",)),
    Column(gettext_lazy("Name"), "name", ("name",)),
    Column(gettext_lazy("Ready items"), numeric=True),
    Column(gettext_lazy("Ready milestones"), numeric=True),
    Column(gettext_lazy("Ready amount"), numeric=True),
    Column(gettext_lazy("Create invoice")),
]


def _contracts_to_invoice(request: HttpRequest) -> Table:
    """The contracts with something ready (what *create invoice* would bill), 25 a page, with
    their counts and amounts per currency aggregated for the page's contracts only."""
    ready_items = ActualBilling.objects.filter(
        status=BillingStatus.READY, contract_line__contract=OuterRef("pk")
    )
    ready_milestones = Milestone.objects.filter(
        status=MilestoneStatus.READY, line__contract=OuterRef("pk")
    )
    contracts = contracts_visible_to(request.user).filter(
        Q(Exists(ready_items)) | Q(Exists(ready_milestones))
    )
    table = table_page(
        request,
        contracts,
        columns=TO_INVOICE_COLUMNS,
        default_sort="number",
        per_page=TO_INVOICE_PAGE_SIZE,
        prefix="c-",
    )
    page = list(table.page.object_list)
    rows: dict[int, dict[str, Any]] = {
        k.pk: {"contract": k, "items": 0, "milestones": 0, "amounts": {}} for k in page
    }
    for r in (
        Actual.objects.filter(
            billing__status=BillingStatus.READY, billing__contract_line__contract__in=list(rows)
        )
        .order_by()
        .values("contract", "currency")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    ):
        row = rows[r["contract"]]
        row["items"] += r["n"]
        row["amounts"][r["currency"]] = row["amounts"].get(r["currency"], 0) + r["amount"]
    for m in (
        Milestone.objects.filter(status=MilestoneStatus.READY, line__contract__in=list(rows))
        .order_by()
        .values("line__contract", "currency")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    ):
        row = rows[m["line__contract"]]
        row["milestones"] += m["n"]
        row["amounts"][m["currency"]] = row["amounts"].get(m["currency"], 0) + m["amount"]
    table.page.object_list = [
        {**rows[k.pk], "amounts": sorted(rows[k.pk]["amounts"].items())} for k in page
    ]
    return table


def _export(fmt: str, items: Any) -> HttpResponseBase:
    """The filtered backlog in the page's order, every row (:mod:`contracts.exports`)."""
    return export_queryset(
        fmt,
        filename="backlog",
        queryset=items,
        columns=[
            ("transaction_date", _("Date")),
            ("contract__number", _("Contract")),
            ("customer__name", _("Customer")),
            ("project__code", _("Project")),
            ("resource__name", _("Resource")),
            ("transaction_class", _("Class")),
            ("description", _("Description")),
            ("quantity", _("Quantity")),
            ("unit_price", _("Price")),
            ("amount", _("Amount")),
            ("currency", _("Currency")),
            ("billing__status", _("Status")),
        ],
        display={
            "transaction_class": dict(TransactionClass.choices),
            "billing__status": dict(BillingStatus.choices),
        },
    )


@login_required
def backlog(request: HttpRequest) -> HttpResponseBase:
    require(request, "actuals.view_actual")
    if request.method == "POST":
        return _bulk(request)
    user = request.user
    contracts = contracts_visible_to(user)
    form = BacklogFilterForm(request.GET or None, contracts=contracts)
    form.is_valid()
    written_off = form.value("billing_status") == BillingStatus.WRITTEN_OFF
    items = form.filtered(backlog_visible_to(user, written_off=written_off))
    totals = backlog_totals(items, user=user, filters=getattr(form, "cleaned_data", {}))
    table = table_page(
        request,
        items,
        columns=BACKLOG_COLUMNS,
        default_sort="date",
        per_page=PAGE_SIZE,
        count=totals.count,
        keyset=True,
    )
    # Sort and page over ids only, then fetch the page's 50 rows (see backlog_rows).
    table.page.object_list = backlog_rows(
        list(table.page.object_list.values_list("pk", flat=True))  # type: ignore[attr-defined]
    )
    table.filter_form = form
    if fmt := requested_format(request):
        return _export(fmt, table.page.paginator.object_list)
    return render(
        request,
        "invoicing/backlog.html",
        {
            "table": table,
            "form": form,
            "totals": totals,
            "to_invoice": _contracts_to_invoice(request),
            "create_form": CreateInvoiceForm(),
            "today": timezone.localdate(),
            "can_manage": user.has_perm("actuals.manage_backlog"),
            "written_off": written_off,
            "can_invoice": user.has_perm("invoicing.add_invoice"),
        },
    )


@login_required
def suggest(request: HttpRequest, name: str) -> HttpResponse:
    """The ``<option>``s a filter box offers as the user types (at most 20, of what the user
    may see): htmx sends the box's text under its own name."""
    require(request, "actuals.view_actual")
    form = BacklogFilterForm(contracts=contracts_visible_to(request.user))
    field = form.fields.get(name)
    if not isinstance(field, LookupField):
        raise Http404
    return render(
        request,
        "includes/suggestions.html",
        {"options": field.suggestions(request.GET.get(name, ""))},
    )


@login_required
@require_POST
def create_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    """*Create invoice* on a contract: every ready item (T&M up to the optional date)."""
    require(request, "invoicing.add_invoice")
    contract = get_object_or_404(contracts_visible_to(request.user), pk=pk)
    back = request.POST.get("next") or reverse("invoicing:backlog")
    if not back.startswith("/"):
        back = reverse("invoicing:backlog")
    form = CreateInvoiceForm(request.POST)
    if not form.is_valid():
        for text in form_error_texts(form):
            messages.error(request, text)
        return redirect(back)
    try:
        result = create_invoice_for_contract(
            contract=contract,
            up_to=form.cleaned_data["up_to"],
            invoice_date=form.cleaned_data["invoice_date"] or timezone.localdate(),
            by=request.user,
            now=timezone.now(),
        )
    except EXPECTED_ERRORS as exc:
        for message in error_texts(exc):
            messages.error(request, message)
        return redirect(back)
    return _after_billing(request, result, back)


def _milestone_bulk(request: HttpRequest) -> HttpResponse:
    back = request.get_full_path()
    form = BulkActionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["action"] == "write_off":
        messages.error(request, _("Choose mark ready, mark not ready or invoice selection."))
        return redirect(back)
    ids: list[int] = form.cleaned_data["ids"]
    action = form.cleaned_data["action"]
    try:
        if not ids:
            raise ValidationError({"ids": [_("Select at least one milestone.")]})
        if unknown := _unknown(ids, milestones_visible_to(request.user)):
            raise ValidationError(
                _("Unknown milestones: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}
            )
        if action == "invoice":
            require(request, "invoicing.add_invoice")
            result = invoice_selection(
                actual_ids=[],
                milestone_ids=ids,
                contracts=contracts_visible_to(request.user),
                invoice_date=form.cleaned_data["invoice_date"] or timezone.localdate(),
                by=request.user,
                now=timezone.now(),
            )
            return _after_billing(request, result, back)
        require(request, "contracts.mark_milestone_ready")
        if action == "ready":
            changed = mark_milestones_ready(milestone_ids=ids, by=request.user, at=timezone.now())
            text = ngettext(
                "%(n)d milestone marked ready to invoice.",
                "%(n)d milestones marked ready to invoice.",
                len(changed),
            )
        else:
            changed = mark_milestones_not_ready(milestone_ids=ids, at=timezone.now())
            text = ngettext(
                "%(n)d milestone marked not ready.",
                "%(n)d milestones marked not ready.",
                len(changed),
            )
        messages.success(request, text % {"n": len(changed)})
    except EXPECTED_ERRORS as exc:
        for message in error_texts(exc):
            messages.error(request, message)
    return redirect(back)


@login_required
def milestones(request: HttpRequest) -> HttpResponse:
    require(request, "contracts.view_milestone")
    if request.method == "POST":
        return _milestone_bulk(request)
    user = request.user
    form = MilestoneFilterForm(request.GET or None, contracts=contracts_visible_to(user))
    open_statuses = [MilestoneStatus.NOT_READY, MilestoneStatus.READY, MilestoneStatus.ON_DRAFT]
    rows = form.filtered(
        milestones_visible_to(user)
        .filter(Q(status__in=open_statuses))
        .select_related("line__contract", "line_customer__contract_customer__customer")
    )
    table = table_page(
        request,
        rows,
        columns=MILESTONE_COLUMNS,
        default_sort="date",
        per_page=PAGE_SIZE,
    )
    table.filter_form = form
    return render(
        request,
        "invoicing/milestones.html",
        {
            "table": table,
            "form": form,
            "today": timezone.localdate(),
            "can_mark": user.has_perm("contracts.mark_milestone_ready"),
            "can_invoice": user.has_perm("invoicing.add_invoice"),
        },
    )
