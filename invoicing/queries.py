"""Reads of the billing app: invoice totals and VAT per rate."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from actuals.models import BillingType
from contracts.models import ItemSalesTaxGroup, SalesTaxGroup
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
