"""Posting a proposal: number, ledger entry, open item, payment reference and PDF."""

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from actuals import wip
from actuals.models import BillingStatus, BillingType, WipMovementKind
from actuals.wip import WipPosting
from contracts.models import Project
from contracts.money import ZERO, round_money
from invoicing.models import (
    Invoice,
    InvoiceDetail,
)
from invoicing.queries import invoice_totals
from invoicing.services.drafts import InvoiceStateError, lock_invoice
from ledger.models import (
    CustomerTransaction,
    VatCode,
)
from ledger.queries import PostingProfiles
from ledger.services import (
    LineSpec,
    Side,
    exchange_rate,
    next_number,
    post_entry,
    record_customer_transaction,
)

from .blockers import (
    _customer_profile,
    _details,
    _unbilled_actuals,
    posting_blockers,
)
from .proposal import (
    INVOICE_SERIES,
    PostingBlocked,
    PostingNotAllowed,
    effective_due_date,
    posting_period,
)

logger = logging.getLogger(__name__)

# --- posting --------------------------------------------------------------------------------------


def creditor_reference(number: str) -> str:
    """The ISO 11649 structured creditor reference of an invoice number: ``RF`` + two check
    digits + the number's digits (``INV2026-000001`` → ``RF422026000001``)."""
    reference = "".join(ch for ch in number if ch.isdigit()) or "0"
    # Move "RF00" behind the reference, letters as numbers (R = 27, F = 15), mod 97.
    check = 98 - int(f"{reference}271500") % 97
    return f"RF{check:02d}{reference}"


@dataclass
class _Amount:
    """A signed amount (debit positive) in the line's currency and in accounting currency."""

    amount: Decimal = ZERO
    accounting: Decimal = ZERO


def _spec(
    *,
    account: Any,
    currency: str,
    value: _Amount,
    project: Project | None = None,
    customer: Any = None,
    description: str = "",
) -> LineSpec:
    return LineSpec(
        account=account,
        side=Side.DEBIT if value.amount > 0 else Side.CREDIT,
        currency=currency,
        amount=abs(value.amount),
        accounting_amount=abs(value.accounting),
        project=project,
        customer=customer,
        description=description,
    )


@dataclass(frozen=True)
class _Entry:
    lines: list[LineSpec]
    gross: Decimal
    gross_accounting: Decimal
    wip: WipPosting


def _entry_lines(
    *, invoice: Invoice, number: str, entry_date: dt.date, details: list[InvoiceDetail]
) -> _Entry:
    """The lines of the invoice's entry (see the module), balanced in accounting currency."""
    legal_entity = invoice.legal_entity
    accounting_currency = legal_entity.accounting_currency
    rate = exchange_rate(
        from_currency=invoice.currency, to_currency=accounting_currency, on_date=entry_date
    )

    def convert(amount: Decimal) -> Decimal:
        return round_money(amount * rate, accounting_currency)

    profiles = PostingProfiles()
    totals = invoice_totals(invoice)
    projects = {d.billed_actual.project for d in details if d.billed_actual is not None}
    customer_profile = _customer_profile(invoice, projects)
    assert customer_profile is not None  # posting_blockers refused a missing profile

    # Revenue per invoice line × project × account (credit: negative).
    revenue: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    accounts: dict[int, Any] = {}
    project_by_id: dict[int, Project] = {}
    line_text: dict[int, str] = {}
    for detail in details:
        if detail.billing_type != BillingType.CHARGEABLE:
            continue
        billed = detail.billed_actual
        assert billed is not None  # confirmation wrote it
        profile = profiles.of(billed.project)
        assert profile is not None
        account = (
            profile.revenue_on_account_account
            if detail.milestone_id
            else profile.invoiced_revenue_account
        )
        accounts[account.pk] = account
        project_by_id[billed.project_id] = billed.project
        line_text[detail.line_id] = detail.line.description
        revenue[(detail.line_id, billed.project_id, account.pk)] -= detail.amount

    credits: list[LineSpec] = []
    credited_accounting = ZERO  # signed (debit positive) sum of the revenue and VAT lines
    for (line_id, project_id, account_id), amount in sorted(revenue.items()):
        if amount == 0:
            continue
        credited_accounting += convert(amount)
        credits.append(
            _spec(
                account=accounts[account_id],
                currency=invoice.currency,
                value=_Amount(amount, convert(amount)),
                project=project_by_id[project_id],
                description=f"{number} {line_text[line_id]}".strip(),
            )
        )
    codes = VatCode.objects.select_related("payable_account").in_bulk(
        [r.code for r in totals.vat_rows], field_name="code"
    )
    for row in totals.vat_rows:
        if row.vat == 0:
            continue
        code = codes[row.code]
        credited_accounting += convert(-row.vat)
        credits.append(
            _spec(
                account=code.payable_account or customer_profile.vat_payable_account,
                currency=invoice.currency,
                value=_Amount(-row.vat, convert(-row.vat)),
                description=_("%(number)s VAT %(code)s on %(base)s")
                % {"number": number, "code": row.code, "base": row.base},
            )
        )
    gross = totals.gross
    gross_accounting = -credited_accounting
    lines: list[LineSpec] = []
    if gross != 0 or gross_accounting != 0:
        lines.append(
            _spec(
                account=customer_profile.receivables_account,
                currency=invoice.currency,
                value=_Amount(gross, gross_accounting),
                customer=invoice.customer,
                description=f"{number} {invoice.customer.name}",
            )
        )
    lines.extend(credits)
    moved = _wip(invoice=invoice, number=number, details=details, rate=rate)
    lines.extend(moved.lines)
    return _Entry(lines=lines, gross=gross, gross_accounting=gross_accounting, wip=moved)


def _wip(
    *, invoice: Invoice, number: str, details: list[InvoiceDetail], rate: Decimal
) -> WipPosting:
    """What the invoice moves in WIP (:mod:`actuals.wip`): an invoice clears what was accrued
    for the T&M actuals it bills (at the amounts and rate they were booked); a credit note
    accrues the hours it brings back to the backlog, at the credit note's rate (not those
    written off meanwhile)."""
    if invoice.is_credit_note:
        returned = [
            d.returned_actual
            for d in details
            if d.returned_actual is not None
            and d.returned_actual.billing.status != BillingStatus.WRITTEN_OFF
        ]
        return wip.accrue(
            returned,
            rate=lambda _currency: rate,
            accounting_currency=invoice.legal_entity.accounting_currency,
            description=_("%(number)s credited hours back in WIP") % {"number": number},
        )
    balances = wip.wip_balances(_unbilled_actuals(invoice))
    return wip.clear(
        list(balances.values()),
        kind=WipMovementKind.INVOICED,
        description=_("%(number)s accrued revenue invoiced") % {"number": number},
    )


def _memo(invoice: Invoice, number: str) -> str:
    """The entry's memo, in the language of the legal entity's books."""
    with invoice.legal_entity.books_language():
        if invoice.corrects_id is not None:
            return _("Credit note %(number)s for invoice %(original)s, %(customer)s") % {
                "number": number,
                "original": invoice.corrects,
                "customer": invoice.customer.name,
            }
        return _("Invoice %(number)s, contract %(contract)s, %(customer)s") % {
            "number": number,
            "contract": invoice.contract.number,
            "customer": invoice.customer.name,
        }


def _render_pdf(invoice: Invoice) -> bytes:
    """The printed invoice (external: WeasyPrint). Imported here so that it is looked up on
    every posting."""
    from invoicing import documents

    return documents.render_invoice_pdf(invoice=invoice, proforma=False)


def post_invoice(
    *, invoice: Invoice, by: Any, at: dt.datetime, version: int | None = None
) -> Invoice:
    """Post a confirmed invoice (see the module); returns the posted invoice."""
    stored: list[str] = []
    try:
        with transaction.atomic(durable=True):
            return _post(invoice=invoice, by=by, at=at, version=version, stored=stored)
    except BaseException:
        if stored:  # the posting rolled back: the printed invoice it wrote must go too
            from django.core.files.storage import default_storage

            for name in stored:
                default_storage.delete(name)
        raise


def _post(
    *, invoice: Invoice, by: Any, at: dt.datetime, version: int | None, stored: list[str]
) -> Invoice:
    locked = lock_invoice(invoice_id=invoice.pk, version=version)
    if not can_proceed(locked.post):
        raise InvoiceStateError(
            _(
                "Invoice %(ref)s is %(status)s; only a confirmed invoice (an invoice proposal) "
                "can be posted."
            )
            % {"ref": locked, "status": locked.get_status_display()}
        )
    if by is not None and locked.confirmed_by_id == getattr(by, "pk", None):
        raise PostingNotAllowed(
            _(
                "You confirmed invoice %(ref)s, so you may not post it: the one who confirms "
                "an invoice never posts it. Ask another accountant to post it."
            )
            % {"ref": locked}
        )
    locked = Invoice.objects.select_related("customer", "legal_entity", "contract", "corrects").get(
        pk=locked.pk
    )
    blockers = posting_blockers(locked)
    if blockers:
        raise PostingBlocked(blockers)
    entry_date, period = posting_period(locked)
    locked.accounting_date = entry_date
    locked.due_date = effective_due_date(locked)
    number = next_number(
        legal_entity=locked.legal_entity, fiscal_year=period.fiscal_year, purpose=INVOICE_SERIES
    )
    details = _details(locked)
    built = _entry_lines(invoice=locked, number=number, entry_date=entry_date, details=details)
    if not built.lines:
        raise PostingBlocked(
            {
                "lines": [
                    _(
                        "Invoice %(ref)s totals 0.00 and has nothing to post to the ledger: "
                        "add chargeable items or correct it."
                    )
                    % {"ref": locked}
                ]
            }
        )
    entry = post_entry(
        legal_entity=locked.legal_entity,
        entry_date=entry_date,
        memo=_memo(locked, number),
        lines=built.lines,
        posted_by=by,
        posted_at=at,
    )
    built.wip.record(entry)
    if built.gross != 0:
        settles = None
        if locked.corrects is not None and locked.corrects.ledger_entry_id is not None:
            settles = (
                CustomerTransaction.objects.filter(
                    entry_id=locked.corrects.ledger_entry_id, customer=locked.customer
                )
                .exclude(open_amount=0)
                .order_by("pk")
                .first()
            )
            if settles is not None and (settles.open_amount > 0) == (built.gross > 0):
                settles = None  # only an item of the opposite sign is settled
        record_customer_transaction(
            entry=entry,
            customer=locked.customer,
            document_number=number,
            document_date=locked.invoice_date,
            due_date=locked.due_date,
            currency=locked.currency,
            amount=built.gross,
            accounting_amount=built.gross_accounting,
            settles=settles,
        )
    locked.post(
        number=number,
        payment_reference=creditor_reference(number),
        entry=entry,
        by=by,
        at=at,
    )
    pdf = _render_pdf(locked)
    locked.pdf.save(f"{number}.pdf", ContentFile(pdf), save=False)
    stored.append(locked.pdf.name)
    locked.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    locked.save()
    return locked
