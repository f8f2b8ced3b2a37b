"""Invoice pages: the invoice list, drafts to finish, and one invoice with its actions.

The invoice page shows the header, the lines with their details, totals and VAT per rate
(:func:`invoicing.queries.invoice_totals`), and the forms and buttons its state allows:

- draft / in review (``invoicing.change_invoice``): the header form, an edit form per detail
  (quantity, unit price, billing type and texts; texts only on a milestone), remove a detail,
  add a manual fee; *Confirm* (``invoicing.confirm_invoice``) and *Delete draft*
  (``invoicing.delete_invoice``), both asking first (``data-confirm``);
- confirmed / posted (``invoicing.correct_invoice``): *Correct*, a form listing the details
  with the quantity that stays billed, or *credit everything*.

Every form carries the invoice's ``version``: if someone else saved the invoice since the page
was loaded, the service refuses the change and the page says so. Each action calls one service
and reports what happened, or the service's error text.
"""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from contracts.errors import EXPECTED_ERRORS, error_texts
from contracts.exports import export_queryset, requested_format
from contracts.forms import form_error_texts
from contracts.history import history_of
from contracts.numbers import DIGITS_0_9, NumberRefused, ascii_id, ascii_ids, parse_number
from contracts.queries import contracts_visible_to
from contracts.views import Column, table_page
from invoicing.filters import invoices_visible_to, with_net
from invoicing.forms import DetailForm, FeeForm, HeaderForm, InvoiceFilterForm
from invoicing.models import (
    OPEN_STATUSES,
    Invoice,
    InvoiceDetail,
    InvoiceLine,
    InvoiceStatus,
)
from invoicing.queries import correctable_details, invoice_totals
from invoicing.services import (
    add_fee,
    confirm_invoice,
    create_correction,
    delete_draft,
    remove_detail,
    update_detail,
    update_header,
)

from .common import (
    changed_since_opened,
    reload_message,
    require,
    unsaved_changes,
)

INVOICE_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference", ("pk",)),
    Column(gettext_lazy("Status"), "status", ("status",)),
    Column(gettext_lazy("Contract"), "contract", ("contract__number",)),
    Column(gettext_lazy("Customer"), "customer", ("customer__name",)),
    Column(gettext_lazy("Invoice date"), "date", ("invoice_date",)),
    Column(gettext_lazy("Details"), numeric=True),
    Column(gettext_lazy("Net"), numeric=True),
]


def _invoices(request: HttpRequest) -> Any:
    return with_net(invoices_visible_to(request.user)).select_related("contract", "customer")


def _list_page(request: HttpRequest, *, drafts: bool) -> HttpResponseBase:
    require(request, "invoicing.view_invoice")
    invoices = _invoices(request)
    form = None
    if drafts:
        invoices = invoices.filter(status__in=OPEN_STATUSES)
    else:
        form = InvoiceFilterForm(request.GET or None, contracts=contracts_visible_to(request.user))
        invoices = form.filtered(invoices)
    table = table_page(
        request,
        invoices,
        columns=(
            [Column(gettext_lazy("Select"))]
            if drafts and request.user.has_perm("invoicing.confirm_invoice")
            else []
        )
        + INVOICE_COLUMNS,
        default_sort="date" if drafts else "-date",
        filter_form=None,
        per_page=50,
    )
    table.filter_form = form
    if fmt := requested_format(request):
        return _export(fmt, table.page.paginator.object_list)
    return render(
        request, "invoicing/invoice_list.html", {"table": table, "form": form, "drafts": drafts}
    )


def _export(fmt: str, invoices: Any) -> HttpResponseBase:
    """The listed invoices in the page's order, every row (:mod:`contracts.exports`)."""
    return export_queryset(
        fmt,
        filename="invoices",
        queryset=invoices,
        columns=[
            ("number", _("Number")),
            ("status", _("Status")),
            ("is_credit_note", _("Credit note")),
            ("contract__number", _("Contract")),
            ("customer__name", _("Customer")),
            ("invoice_date", _("Invoice date")),
            ("detail_count", _("Details")),
            ("net", _("Net")),
            ("currency", _("Currency")),
        ],
        display={
            "status": dict(InvoiceStatus.choices),
            "is_credit_note": {True: _("yes"), False: _("no")},
        },
    )


@login_required
def invoice_list(request: HttpRequest) -> HttpResponseBase:
    return _list_page(request, drafts=False)


@login_required
def drafts(request: HttpRequest) -> HttpResponseBase:
    """Open drafts (and invoices in review) of my contracts: the work to finish. *Confirm
    selected* confirms the ticked drafts one by one: those that can be are confirmed, the rest
    stay drafts and each says why."""
    if request.method == "POST":
        return _confirm_selected(request)
    return _list_page(request, drafts=True)


def _confirm_selected(request: HttpRequest) -> HttpResponse:
    require(request, "invoicing.view_invoice", "invoicing.confirm_invoice")
    ids = ascii_ids(request.POST.getlist("ids"))
    invoices = list(invoices_visible_to(request.user).filter(pk__in=ids).order_by("pk"))
    if not invoices:
        messages.error(request, _("Tick the drafts to confirm first."))
        return redirect("invoicing:drafts")
    confirmed = 0
    for invoice in invoices:
        try:
            confirm_invoice(invoice=invoice, by=request.user, at=timezone.now())
        except EXPECTED_ERRORS as exc:
            for text in error_texts(exc):
                messages.warning(
                    request,
                    _("%(ref)s not confirmed: %(reason)s") % {"ref": invoice, "reason": text},
                )
        else:
            confirmed += 1
    messages.success(
        request,
        ngettext("%(n)d invoice confirmed.", "%(n)d invoices confirmed.", confirmed)
        % {"n": confirmed},
    )
    return redirect("invoicing:drafts")


def _get(request: HttpRequest, pk: int) -> Invoice:
    return get_object_or_404(
        invoices_visible_to(request.user).select_related(
            "contract", "customer", "corrects", "legal_entity"
        ),
        pk=pk,
    )


def _detail_kind(detail: InvoiceDetail) -> str:
    if detail.milestone_id:
        return "milestone"
    if detail.actual_id or (detail.credits_id and detail.transaction_class != "fee"):
        return "tm"
    return "fee"


@login_required
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "invoicing.view_invoice")
    invoice = _get(request, pk)
    user = request.user
    totals = invoice_totals(invoice)
    lines = list(
        InvoiceLine.objects.filter(invoice=invoice)
        .select_related("contract_line")
        .prefetch_related(
            Prefetch(
                "details",
                # Filtered by the invoice too, so that the details' (invoice, line) index serves.
                queryset=InvoiceDetail.objects.filter(invoice=invoice)
                .select_related("resource", "role", "category", "milestone")
                .order_by("transaction_date", "pk"),
            )
        )
        .order_by("pk")
    )
    editable = invoice.is_editable and user.has_perm("invoicing.change_invoice")
    correctable = (
        {c.detail.pk: c for c in correctable_details(invoice)}
        if invoice.status in (InvoiceStatus.CONFIRMED, InvoiceStatus.POSTED)
        else {}
    )
    line_rows: list[dict[str, Any]] = []
    for line in lines:
        rows: list[dict[str, Any]] = []
        for detail in line.details.all():
            kind = _detail_kind(detail)
            form = None
            if editable:
                form = DetailForm(
                    initial={
                        "version": invoice.version,
                        "quantity": detail.quantity,
                        "unit_price": detail.unit_price,
                        "billing_type": detail.billing_type,
                        "description": detail.description,
                        "external_description": detail.external_description,
                    },
                    auto_id=f"id_detail{detail.pk}_%s",
                )
                if kind == "milestone" or invoice.is_credit_note:  # texts only
                    for name in ("quantity", "unit_price", "billing_type"):
                        del form.fields[name]
            rows.append(
                {
                    "detail": detail,
                    "kind": kind,
                    "form": form,
                    "correctable": correctable.get(detail.pk),
                }
            )
        line_rows.append(
            {"line": line, "amount": totals.line_amounts.get(line.pk, Decimal("0")), "rows": rows}
        )
    has_details = any(row["rows"] for row in line_rows)
    context = {
        "invoice": invoice,
        "lines": line_rows,
        "totals": totals,
        "editable": editable,
        "header_form": HeaderForm(initial=_header_initial(invoice)) if editable else None,
        "fee_form": FeeForm(
            contract=invoice.contract,
            initial={
                "version": invoice.version,
                "transaction_date": invoice.invoice_date,
                "quantity": Decimal("1"),
            },
            auto_id="id_fee_%s",
        )
        if editable and not invoice.is_credit_note
        else None,
        "can_confirm": invoice.is_editable
        and has_details
        and user.has_perm("invoicing.confirm_invoice"),
        "can_delete": invoice.is_editable and user.has_perm("invoicing.delete_invoice"),
        # The one predicate (Invoice.can_be_corrected), from the rows already read.
        "can_correct": any(c.available for c in correctable.values())
        and user.has_perm("invoicing.correct_invoice"),
        "corrections": list(invoice.corrections.order_by("pk")),
        "history": history_of(invoice),
    }
    return render(request, "invoicing/invoice_detail.html", context)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return ascii_id(raw)


def _report(request: HttpRequest, exc: Exception) -> None:
    for message in error_texts(exc):
        messages.error(request, message)


def _header_initial(invoice: Invoice) -> dict[str, Any]:
    return {
        "version": invoice.version,
        "invoice_date": invoice.invoice_date,
        "customer_reference": invoice.customer_reference,
        "description": invoice.description,
    }


@login_required
@require_POST
def invoice_header(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "invoicing.view_invoice", "invoicing.change_invoice")
    invoice = _get(request, pk)
    form = HeaderForm(request.POST)
    if not form.is_valid():
        for text in form_error_texts(form):
            messages.error(request, text)
        return redirect("invoicing:invoice-detail", pk=pk)
    try:
        update_header(invoice=invoice, **form.cleaned_data)
        messages.success(request, _("Invoice %(ref)s saved.") % {"ref": invoice})
    except EXPECTED_ERRORS as exc:
        _report(request, exc)
    return redirect("invoicing:invoice-detail", pk=pk)


@login_required
@require_POST
def detail_edit(request: HttpRequest, pk: int, detail_id: int) -> HttpResponse:
    require(request, "invoicing.view_invoice", "invoicing.change_invoice")
    invoice = _get(request, pk)
    detail = get_object_or_404(InvoiceDetail, pk=detail_id, invoice=invoice)
    form = DetailForm(request.POST)
    if not form.is_valid():
        for text in form_error_texts(form):
            messages.error(request, text)
        return redirect("invoicing:invoice-detail", pk=pk)
    try:
        update_detail(
            detail=detail,
            version=form.cleaned_data["version"],
            **form.changes(texts_only=bool(detail.milestone_id) or invoice.is_credit_note),
        )
        messages.success(request, _("Detail saved on invoice %(ref)s.") % {"ref": invoice})
    except EXPECTED_ERRORS as exc:
        _report(request, exc)
    return redirect("invoicing:invoice-detail", pk=pk)


@login_required
@require_POST
def detail_remove(request: HttpRequest, pk: int, detail_id: int) -> HttpResponse:
    require(request, "invoicing.view_invoice", "invoicing.change_invoice")
    invoice = _get(request, pk)
    detail = get_object_or_404(InvoiceDetail, pk=detail_id, invoice=invoice)
    try:
        remove_detail(detail=detail, at=timezone.now(), version=_version(request))
        messages.success(
            request, _("Detail removed; its item is back in the backlog, ready to invoice.")
        )
    except EXPECTED_ERRORS as exc:
        _report(request, exc)
    return redirect("invoicing:invoice-detail", pk=pk)


@login_required
@require_POST
def fee_add(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "invoicing.view_invoice", "invoicing.change_invoice")
    invoice = _get(request, pk)
    form = FeeForm(request.POST, contract=invoice.contract)
    if not form.is_valid():
        for text in form_error_texts(form):
            messages.error(request, text)
        return redirect("invoicing:invoice-detail", pk=pk)
    try:
        add_fee(invoice=invoice, **form.cleaned_data)
        messages.success(request, _("Fee added to invoice %(ref)s.") % {"ref": invoice})
    except EXPECTED_ERRORS as exc:
        _report(request, exc)
    return redirect("invoicing:invoice-detail", pk=pk)


@login_required
@require_POST
def invoice_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "invoicing.view_invoice", "invoicing.confirm_invoice")
    invoice = _get(request, pk)
    if changed_since_opened(request, invoice):
        messages.error(request, reload_message(invoice))
        return redirect("invoicing:invoice-detail", pk=pk)
    if unsaved := unsaved_changes(HeaderForm(request.POST, initial=_header_initial(invoice))):
        messages.error(
            request,
            _(
                "Unsaved changes to %(fields)s: save them or undo them first. The invoice was "
                "not confirmed."
            )
            % {"fields": ", ".join(unsaved)},
        )
        return redirect("invoicing:invoice-detail", pk=pk)
    try:
        confirm_invoice(
            invoice=invoice, by=request.user, at=timezone.now(), version=_version(request)
        )
        messages.success(request, _("Invoice %(ref)s confirmed.") % {"ref": invoice})
    except EXPECTED_ERRORS as exc:
        _report(request, exc)
    return redirect("invoicing:invoice-detail", pk=pk)


@login_required
@require_POST
def invoice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "invoicing.view_invoice", "invoicing.delete_invoice")
    invoice = _get(request, pk)
    reference = str(invoice)
    try:
        delete_draft(invoice=invoice, at=timezone.now(), version=_version(request))
    except EXPECTED_ERRORS as exc:
        _report(request, exc)
        return redirect("invoicing:invoice-detail", pk=pk)
    messages.success(
        request,
        _("Draft %(ref)s deleted; its items are back in the backlog, ready to invoice.")
        % {"ref": reference},
    )
    return redirect("invoicing:drafts")


@login_required
@require_POST
def invoice_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a confirmed document. An invoice: a credit note for every detail still billed
    (``all``), or for those with a quantity that stays billed. A credit note: a new invoice
    that bills again what it credited, for every detail that can be (``all``) or the chosen
    ones (``reinvoice-<id>``)."""
    require(request, "invoicing.view_invoice", "invoicing.correct_invoice")
    invoice = _get(request, pk)
    remaining: dict[int, Decimal] | None
    if "all" in request.POST:
        remaining = None  # everything that can still be corrected, in full
    elif invoice.is_credit_note:
        remaining = {
            int(key.removeprefix("reinvoice-")): Decimal(0)
            for key in request.POST
            if key.startswith("reinvoice-") and ascii_id(key.removeprefix("reinvoice-")) is not None
        }
        if not remaining:
            messages.error(request, _("Choose at least one detail to invoice again."))
            return redirect("invoicing:invoice-detail", pk=pk)
    else:
        remaining = {}
        for key in request.POST:
            raw = request.POST.get(key, "")
            if not key.startswith("remaining-") or not raw.strip():
                continue
            detail_id = key.removeprefix("remaining-")
            try:
                number = ascii_id(detail_id)
                if number is None:
                    raise NumberRefused(str(DIGITS_0_9))
                remaining[number] = parse_number(raw)
            except NumberRefused as exc:
                messages.error(
                    request,
                    _("Detail %(id)s: %(reason)s") % {"id": detail_id, "reason": exc},
                )
                return redirect("invoicing:invoice-detail", pk=pk)
        if not remaining:
            messages.error(
                request,
                _(
                    "Enter the quantity that stays billed for at least one detail, "
                    "or credit everything."
                ),
            )
            return redirect("invoicing:invoice-detail", pk=pk)
    try:
        credit = create_correction(
            invoice=invoice,
            remaining=remaining,
            invoice_date=timezone.localdate(),
            by=request.user,
            now=timezone.now(),
        )
    except EXPECTED_ERRORS as exc:
        _report(request, exc)
        return redirect("invoicing:invoice-detail", pk=pk)
    text = (
        _(
            "Invoice %(credit)s created to invoice again what %(ref)s credited: check it, then "
            "confirm it."
        )
        if invoice.is_credit_note
        else _("Credit note %(credit)s created for invoice %(ref)s: check it, then confirm it.")
    )
    messages.success(request, text % {"credit": credit, "ref": invoice})
    return redirect("invoicing:invoice-detail", pk=credit.pk)
