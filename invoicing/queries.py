"""Reads of the billing app: invoice totals and VAT per rate, and what a correction can take."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from actuals.models import Actual, BillingStatus, BillingType
from contracts.models import ItemSalesTaxGroup, Milestone, MilestoneStatus, SalesTaxGroup
from contracts.money import HUNDRED, ZERO, round_money
from invoicing.models import Invoice, InvoiceDetail
from ledger.models import VatCode
from ledger.services import LedgerError, vat_code_for


@dataclass(frozen=True)
class VatRow:
    code: str
    name: str
    rate: Decimal
    category: str
    invoice_text: str
    base: Decimal
    vat: Decimal


@dataclass
class InvoiceTotals:
    currency: str
    line_amounts: dict[int, Decimal] = field(default_factory=dict)
    net: Decimal = ZERO
    vat_rows: list[VatRow] = field(default_factory=list)
    vat: Decimal = ZERO
    gross: Decimal = ZERO
    #: Details whose tax-group pair selects no VAT code, with the reason (shown, not guessed).
    vat_problems: list[str] = field(default_factory=list)


def invoice_totals(invoice: Invoice) -> InvoiceTotals:
    """A line's amount is the sum of its chargeable details; VAT is computed per VAT code on
    the invoice (base × rate, rounded half-up once per code); gross = net + VAT."""
    totals = InvoiceTotals(currency=invoice.currency)
    bases: dict[tuple[int | None, int | None], Decimal] = defaultdict(Decimal)
    for line_id, stg_id, istg_id, amount in (
        InvoiceDetail.objects.filter(invoice=invoice, billing_type=BillingType.CHARGEABLE)
        .values_list("line_id", "sales_tax_group_id", "item_sales_tax_group_id", "amount")
        .order_by("pk")
    ):
        totals.line_amounts[line_id] = totals.line_amounts.get(line_id, ZERO) + amount
        bases[(stg_id, istg_id)] += amount
    totals.net = sum(totals.line_amounts.values(), ZERO)
    groups = SalesTaxGroup.objects.in_bulk({k[0] for k in bases if k[0]})
    items = ItemSalesTaxGroup.objects.in_bulk({k[1] for k in bases if k[1]})
    codes: dict[str, VatCode] = {}
    code_bases: dict[str, Decimal] = defaultdict(Decimal)
    for (sales_group_id, item_group_id), base in bases.items():
        try:
            code = vat_code_for(
                sales_tax_group=groups.get(sales_group_id) if sales_group_id else None,
                item_sales_tax_group=items.get(item_group_id) if item_group_id else None,
            )
        except LedgerError as error:
            totals.vat_problems.append(" ".join(error.messages))
            continue
        codes[code.code] = code
        code_bases[code.code] += base
    for key in sorted(codes):
        code, base = codes[key], code_bases[key]
        totals.vat_rows.append(
            VatRow(
                code=code.code,
                name=code.name,
                rate=code.rate,
                category=code.category,
                invoice_text=code.invoice_text,
                base=base,
                vat=round_money(base * code.rate / HUNDRED, invoice.currency),
            )
        )
    totals.vat = sum((r.vat for r in totals.vat_rows), ZERO)
    totals.gross = totals.net + totals.vat
    totals.vat_problems = sorted(set(totals.vat_problems))
    return totals


# --- what a correction can take ---------------------------------------------------------------


@dataclass(frozen=True)
class Correctable:
    """One detail of a confirmed document, as a correction sees it.

    On an invoice: ``billed`` is the billed actual that bills the detail now (the last of its
    chain not reversed) and ``quantity`` its quantity, the most a credit note can credit. On a
    credit note: ``quantity`` is what the detail credited, to be invoiced again. ``blocked``
    says why it cannot be corrected now (empty when it can)."""

    detail: InvoiceDetail
    quantity: Decimal
    billed: Actual | None = None
    blocked: str = ""

    @property
    def available(self) -> bool:
        return not self.blocked


def billed_now(details: list[InvoiceDetail]) -> dict[int, Actual | None]:
    """detail id → the billed actual that bills it now: its own billed actual or the billed
    actual for what stayed after its last confirmed credit, whichever is not reversed (none when
    everything was credited)."""
    chain: dict[int, list[int]] = {
        d.pk: [d.billed_actual_id] for d in details if d.billed_actual_id
    }
    for credit_of, remaining in InvoiceDetail.objects.filter(
        credits__in=list(chain), remaining_actual__isnull=False
    ).values_list("credits_id", "remaining_actual_id"):
        chain[credit_of].append(remaining)
    live = {
        a.pk: a
        for a in Actual.objects.filter(
            pk__in=[pk for pks in chain.values() for pk in pks], reversals__isnull=True
        )
    }
    return {
        d.pk: next((live[pk] for pk in chain.get(d.pk, []) if pk in live), None) for d in details
    }


def correctable_details(invoice: Invoice) -> list[Correctable]:
    """Every detail of a confirmed or posted document with what a correction can do with it
    (see :class:`Correctable`), in detail order."""
    from invoicing.models import OPEN_STATUSES

    details = list(
        InvoiceDetail.objects.filter(invoice=invoice)
        .select_related("line", "billed_actual", "returned_actual__billing")
        .order_by("line_id", "transaction_date", "pk")
    )
    if invoice.is_credit_note:
        return [_reinvoicable(d) for d in details]
    pending = dict(
        InvoiceDetail.objects.filter(
            credits__in=details, invoice__status__in=OPEN_STATUSES
        ).values_list("credits_id", "invoice_id")
    )
    now = billed_now(details)
    rows = []
    for detail in details:
        billed = now.get(detail.pk)
        if billed is None or (billed.quantity == 0 and not detail.milestone_id):
            rows.append(Correctable(detail, ZERO, billed, _("Nothing of it is billed any more.")))
        elif detail.pk in pending:
            rows.append(
                Correctable(
                    detail,
                    billed.quantity,
                    billed,
                    _("It is on credit note %(ref)s, which is not confirmed yet.")
                    % {"ref": Invoice(pk=pending[detail.pk]).reference},
                )
            )
        else:
            rows.append(Correctable(detail, billed.quantity, billed))
    return rows


def _reinvoicable(detail: InvoiceDetail) -> Correctable:
    credited = -detail.quantity
    if detail.reinvoiced_by.exists():
        return Correctable(detail, credited, blocked=_("It has been invoiced again already."))
    returned = detail.returned_actual
    if returned is not None:
        status = returned.billing.status
        if status in (BillingStatus.NOT_READY, BillingStatus.READY):
            return Correctable(detail, credited)
        return Correctable(
            detail,
            credited,
            blocked=_("Its hours are back in the backlog and %(status)s.")
            % {"status": BillingStatus(status).label.lower()},
        )
    if detail.milestone_id:
        milestone = Milestone.objects.get(pk=detail.milestone_id)
        if milestone.status == MilestoneStatus.READY:
            return Correctable(detail, credited)
        return Correctable(
            detail,
            credited,
            blocked=_("Its milestone is %(status)s.")
            % {"status": milestone.get_status_display().lower()},
        )
    if detail.transaction_class == "fee":
        return Correctable(detail, credited)
    return Correctable(detail, credited, blocked=_("Nothing of it came back to the backlog."))
