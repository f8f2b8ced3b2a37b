"""The accountant's posting pages: invoice proposals, one proposal, posted invoices, batches.

- **Proposals to post** (confirmed invoices): filter by customer, contract and invoice date,
  tick some (select-all and the selected count come from ``static/js/app.js``) and *Post
  selected*: a :class:`~invoicing.models.PostingBatch` is recorded and its task queued when
  the transaction commits; the batch page reloads itself (``<meta http-equiv="refresh">``, no
  script under the strict CSP) while it runs, with its counts and each failure's reason.
- **A proposal**: its dates, texts and the tax groups per line (VAT and totals recomputed),
  the list of what blocks posting (journal lines not posted, a closed period …), a link to the
  pro-forma preview when the PDF pages exist, and *Post* (asking first, ``data-confirm``).
- **Posted invoices**: search by number, customer and invoice date range, with the PDF link.

Every form carries the invoice's ``version``; each action calls one service and says what
happened, or the service's reasons.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from contracts.errors import EXPECTED_ERRORS, error_texts
from contracts.forms import ListFilterForm, WholeNumberField, form_error_texts
from contracts.models import Contract, Customer, ItemSalesTaxGroup, SalesTaxGroup
from contracts.numbers import ascii_id, ascii_ids
from contracts.queries import contracts_visible_to
from contracts.queueing import announce_started
from contracts.views import Column, table_page
from invoicing.filters import invoices_visible_to, with_net
from invoicing.models import (
    Invoice,
    InvoiceDetail,
    InvoiceLine,
    InvoiceStatus,
    PostingBatch,
    RunStatus,
)
from invoicing.queries import invoice_totals
from invoicing.services import (
    effective_accounting_date,
    effective_due_date,
    journal_blockers,
    missing_journal_postings,
    post_invoice,
    posting_blockers,
    queue_posting_batch,
    start_posting_batch,
    update_proposal,
)

from .common import (
    changed_since_opened,
    reload_message,
    require,
    unsaved_changes,
)

#: Seconds between reloads of a running batch's page.
REFRESH_SECONDS = 3

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- forms ----------------------------------------------------------------------------------------


class _InvoiceFilter(ListFilterForm):
    customer = forms.ModelChoiceField(
        label=gettext_lazy("Customer"),
        required=False,
        queryset=Customer.objects.none(),
        empty_label=gettext_lazy("All customers"),
    )
    date_from = forms.DateField(
        label=gettext_lazy("Invoice date from"), required=False, widget=_DATE
    )
    date_to = forms.DateField(label=gettext_lazy("to"), required=False, widget=_DATE)

    def __init__(self, *args: Any, contracts: QuerySet[Contract], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["customer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            Customer.objects.filter(contract_customers__contract__in=contracts.values("pk"))
            .distinct()
            .order_by("name", "pk")
        )

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if (customer := self.value("customer")) is not None:
            queryset = queryset.filter(customer=customer)
        if (start := self.value("date_from")) is not None:
            queryset = queryset.filter(invoice_date__gte=start)
        if (end := self.value("date_to")) is not None:
            queryset = queryset.filter(invoice_date__lte=end)
        return queryset


class ProposalFilterForm(_InvoiceFilter):
    contract = forms.ModelChoiceField(
        label=gettext_lazy("Contract"),
        required=False,
        queryset=Contract.objects.none(),
        empty_label=gettext_lazy("All contracts"),
    )

    def __init__(self, *args: Any, contracts: QuerySet[Contract], **kwargs: Any) -> None:
        super().__init__(*args, contracts=contracts, **kwargs)
        field = self.fields["contract"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = contracts.order_by("number", "pk")

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().apply(queryset)
        if (contract := self.value("contract")) is not None:
            queryset = queryset.filter(contract=contract)
        return queryset


class PostedFilterForm(_InvoiceFilter):
    number = forms.CharField(
        label=gettext_lazy("Number"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "INV2026-…"}),
    )

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().apply(queryset)
        if (number := self.value("number")) is not None:
            queryset = queryset.filter(number__icontains=number.strip())
        return queryset


class ProposalForm(forms.Form):
    version = WholeNumberField(widget=forms.HiddenInput, min_value=1)
    invoice_date = forms.DateField(label=gettext_lazy("Invoice date"), widget=_DATE)
    accounting_date = forms.DateField(label=gettext_lazy("Accounting date"), widget=_DATE)
    due_date = forms.DateField(label=gettext_lazy("Due date"), widget=_DATE)
    customer_reference = forms.CharField(
        label=gettext_lazy("Customer reference / PO"), required=False, max_length=100
    )
    description = forms.CharField(label=gettext_lazy("Description"), required=False, max_length=300)

    def __init__(self, *args: Any, lines: list[InvoiceLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_fields: list[tuple[InvoiceLine, str, str]] = []
        for line in lines:
            sales, item = f"line-{line.pk}-sales", f"line-{line.pk}-item"
            self.fields[sales] = forms.ModelChoiceField(
                label=gettext_lazy("Sales tax group"),
                queryset=SalesTaxGroup.objects.order_by("code"),
            )
            self.fields[item] = forms.ModelChoiceField(
                label=gettext_lazy("Item sales tax group"),
                queryset=ItemSalesTaxGroup.objects.order_by("code"),
            )
            self.line_fields.append((line, sales, item))

    def rows(self) -> list[tuple[InvoiceLine, Any, Any]]:
        return [(line, self[sales], self[item]) for line, sales, item in self.line_fields]

    def changes(self) -> dict[str, Any]:
        """What changed against the page's initial values (a date left at its default stays a
        default: a later invoice-date change still moves it)."""
        changed = set(self.changed_data)
        data: dict[str, Any] = {
            name: self.cleaned_data[name]
            for name in (
                "invoice_date",
                "accounting_date",
                "due_date",
                "customer_reference",
                "description",
            )
            if name in changed
        }
        groups = {
            line.pk: (self.cleaned_data[sales], self.cleaned_data[item])
            for line, sales, item in self.line_fields
            if sales in changed or item in changed
        }
        if groups:
            data["line_tax_groups"] = groups
        return data


# --- pages ----------------------------------------------------------------------------------------

PROPOSAL_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference", ("pk",)),
    Column(gettext_lazy("Contract"), "contract", ("contract__number",)),
    Column(gettext_lazy("Customer"), "customer", ("customer__name",)),
    Column(gettext_lazy("Invoice date"), "date", ("invoice_date",)),
    Column(gettext_lazy("Confirmed by")),
    Column(gettext_lazy("Net"), numeric=True),
]
POSTED_COLUMNS = [
    Column(gettext_lazy("Number"), "number", ("number",)),
    Column(gettext_lazy("Customer"), "customer", ("customer__name",)),
    Column(gettext_lazy("Contract"), "contract", ("contract__number",)),
    Column(gettext_lazy("Invoice date"), "date", ("invoice_date",)),
    Column(gettext_lazy("Due date"), "due", ("due_date",)),
    Column(gettext_lazy("Net"), numeric=True),
    Column(gettext_lazy("Printed invoice")),
]


def _invoices(request: HttpRequest) -> QuerySet[Invoice]:
    return with_net(invoices_visible_to(request.user)).select_related(
        "contract", "customer", "confirmed_by", "corrects"
    )


@login_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    """Confirmed invoices waiting to be posted; *Post selected* starts a batch."""
    require(request, "invoicing.view_invoice")
    if request.method == "POST":
        require(request, "invoicing.post_invoice")
        ids = ascii_ids(request.POST.getlist("invoice_ids"))
        visible = list(
            invoices_visible_to(request.user).filter(pk__in=ids).values_list("pk", flat=True)
        )
        now = timezone.now()
        try:
            with transaction.atomic():
                batch = start_posting_batch(
                    invoice_ids=[i for i in ids if i in set(visible)], by=request.user, at=now
                )
                queue_posting_batch(batch, now=now)
        except ValidationError as exc:
            for text in error_texts(exc):
                messages.error(request, text)
            return redirect("invoicing:proposal-list")
        announce_started(
            request,
            batch,
            ngettext(
                "Posting %(n)d invoice proposal in the background.",
                "Posting %(n)d invoice proposals in the background.",
                batch.total,
            )
            % {"n": batch.total},
        )
        return redirect("invoicing:batch-detail", pk=batch.pk)
    contracts = contracts_visible_to(request.user)
    form = ProposalFilterForm(request.GET or None, contracts=contracts)
    proposals = form.filtered(_invoices(request).filter(status=InvoiceStatus.CONFIRMED))
    table = table_page(
        request, proposals, columns=PROPOSAL_COLUMNS, default_sort="date", per_page=50
    )
    return render(
        request,
        "invoicing/proposals/proposal_list.html",
        {
            "table": table,
            "form": form,
            "can_post": request.user.has_perm("invoicing.post_invoice"),
        },
    )


def _proposal(request: HttpRequest, pk: int) -> Invoice:
    return get_object_or_404(
        invoices_visible_to(request.user).select_related(
            "contract", "customer", "legal_entity", "corrects", "confirmed_by"
        ),
        pk=pk,
    )


def _lines(invoice: Invoice) -> list[InvoiceLine]:
    return list(
        InvoiceLine.objects.filter(invoice=invoice)
        .select_related("contract_line")
        .prefetch_related(
            Prefetch(
                "details",
                # Filtered by the invoice too, so that the details' (invoice, line) index serves.
                queryset=InvoiceDetail.objects.filter(invoice=invoice)
                .select_related(
                    "resource", "role", "category", "sales_tax_group", "item_sales_tax_group"
                )
                .order_by("transaction_date", "pk"),
            )
        )
        .order_by("pk")
    )


def _proposal_form(invoice: Invoice, lines: list[InvoiceLine], data: Any = None) -> ProposalForm:
    initial: dict[str, Any] = {
        "version": invoice.version,
        "invoice_date": invoice.invoice_date,
        "accounting_date": effective_accounting_date(invoice),
        "due_date": effective_due_date(invoice),
        "customer_reference": invoice.customer_reference,
        "description": invoice.description,
    }
    for line in lines:
        details = list(line.details.all())
        first = details[0] if details else None
        initial[f"line-{line.pk}-sales"] = first.sales_tax_group_id if first else None
        initial[f"line-{line.pk}-item"] = first.item_sales_tax_group_id if first else None
    return ProposalForm(data, initial=initial, lines=lines)


def _journal_fixes(invoice: Invoice) -> list[dict[str, str]]:
    """What keeps the invoice's T&M actuals out of WIP, each with a link to where it is fixed:
    the journal holding their draft lines (filtered to them), the journals page (to import),
    the credit note to post."""
    fixes = []
    for blocker in journal_blockers(missing_journal_postings(invoice)):
        if blocker.credit_note_id is not None:
            url = reverse("invoicing:proposal-detail", args=[blocker.credit_note_id])
            label = _("Open the credit note")
        elif blocker.journal_id is None:
            url, label = reverse("ledger:journal-list"), _("Go to the journals to import")
        else:
            query = {"status": "draft"}
            if len(blocker.projects) == 1:
                query["project"] = blocker.projects[0]
            url = (
                f"{reverse('ledger:journal-detail', args=[blocker.journal_id])}?{urlencode(query)}"
            )
            label = _("Open the journal")
        fixes.append({"text": str(blocker), "url": url, "label": label})
    return fixes


@login_required
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One invoice (a proposal while confirmed): edit, see what blocks posting, post."""
    require(request, "invoicing.view_invoice")
    invoice = _proposal(request, pk)
    lines = _lines(invoice)
    is_proposal = invoice.status == InvoiceStatus.CONFIRMED
    editable = is_proposal and request.user.has_perm("invoicing.change_invoiceproposal")
    if request.method == "POST":
        if not editable:
            messages.error(
                request, _("Only an invoice proposal (a confirmed invoice) can be changed.")
            )
            return redirect("invoicing:proposal-detail", pk=pk)
        form = _proposal_form(invoice, lines, request.POST)
        if not form.is_valid():
            for text in form_error_texts(form):
                messages.error(request, text)
            return redirect("invoicing:proposal-detail", pk=pk)
        try:
            update_proposal(
                invoice=invoice,
                by=request.user,
                version=form.cleaned_data["version"],
                **form.changes(),
            )
            messages.success(request, _("Invoice proposal %(ref)s saved.") % {"ref": invoice})
        except EXPECTED_ERRORS as exc:
            for text in error_texts(exc):
                messages.error(request, text)
        return redirect("invoicing:proposal-detail", pk=pk)
    blockers = posting_blockers(invoice) if is_proposal else {}
    journal_fixes = _journal_fixes(invoice) if blockers.get("journal") else []
    confirmer_blocks = is_proposal and invoice.confirmed_by_id == request.user.pk
    return render(
        request,
        "invoicing/proposals/proposal_detail.html",
        {
            "invoice": invoice,
            "lines": lines,
            "totals": invoice_totals(invoice),
            "form": _proposal_form(invoice, lines) if editable else None,
            "is_proposal": is_proposal,
            "journal_fixes": journal_fixes,
            "blockers": [
                m for field, texts in blockers.items() if field != "journal" for m in texts
            ],
            "confirmer_blocks": confirmer_blocks,
            "can_post": is_proposal
            and not blockers
            and not confirmer_blocks
            and request.user.has_perm("invoicing.post_invoice"),
            "accounting_date": effective_accounting_date(invoice),
            "due_date": effective_due_date(invoice),
        },
    )


@login_required
def proposal_post(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "invoicing.view_invoice", "invoicing.post_invoice")
    if request.method != "POST":
        return redirect("invoicing:proposal-detail", pk=pk)
    invoice = _proposal(request, pk)
    raw = request.POST.get("version", "")
    if changed_since_opened(request, invoice):
        messages.error(request, reload_message(invoice))
        return redirect("invoicing:proposal-detail", pk=pk)
    if unsaved := unsaved_changes(_proposal_form(invoice, _lines(invoice), request.POST)):
        messages.error(
            request,
            _("Unsaved changes to %(fields)s: save them or undo them first. Nothing was posted.")
            % {"fields": ", ".join(unsaved)},
        )
        return redirect("invoicing:proposal-detail", pk=pk)
    try:
        posted = post_invoice(
            invoice=invoice,
            by=request.user,
            at=timezone.now(),
            version=ascii_id(raw),
        )
    except EXPECTED_ERRORS as exc:
        for text in error_texts(exc):
            messages.error(request, text)
        return redirect("invoicing:proposal-detail", pk=pk)
    messages.success(
        request,
        _("Invoice %(number)s posted (voucher %(voucher)s); its PDF is stored.")
        % {
            "number": posted.number,
            "voucher": posted.ledger_entry.voucher_number if posted.ledger_entry else "—",
        },
    )
    return redirect("invoicing:proposal-detail", pk=pk)


@login_required
def posted_invoice_list(request: HttpRequest) -> HttpResponse:
    """Posted invoices and credit notes: search by number, customer and invoice date."""
    require(request, "invoicing.view_invoice")
    form = PostedFilterForm(request.GET or None, contracts=contracts_visible_to(request.user))
    invoices = form.filtered(_invoices(request).filter(status=InvoiceStatus.POSTED))
    table = table_page(
        request, invoices, columns=POSTED_COLUMNS, default_sort="-number", per_page=50
    )
    return render(request, "invoicing/proposals/posted_list.html", {"table": table, "form": form})


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "invoicing.view_invoice", "invoicing.post_invoice")
    batch = get_object_or_404(PostingBatch.objects.select_related("started_by"), pk=pk)
    invoices = {
        i.pk: i for i in Invoice.objects.filter(pk__in=batch.invoice_ids).select_related("customer")
    }
    failures = [
        {"invoice": invoices.get(int(invoice_id)), "id": invoice_id, "reason": reason}
        for invoice_id, reason in sorted(batch.failures.items(), key=lambda kv: int(kv[0]))
    ]
    posted = [
        invoices[i]
        for i in batch.invoice_ids
        if i in invoices
        and invoices[i].status == InvoiceStatus.POSTED
        and str(i) not in batch.failures
    ]
    return render(
        request,
        "invoicing/proposals/batch_detail.html",
        {
            "batch": batch,
            "failures": failures,
            "posted": posted,
            "running": batch.status == RunStatus.RUNNING,
            "refresh_seconds": REFRESH_SECONDS,
        },
    )
