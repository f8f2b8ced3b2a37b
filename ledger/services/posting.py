"""Posting: lookups (exchange rates, VAT codes), gapless numbers, entries, open items.

``post_entry``, ``next_number`` and ``record_customer_transaction`` are building blocks that
run inside the caller's transaction (``atomic(savepoint=False)``).
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from contracts.models import Customer, ItemSalesTaxGroup, LegalEntity, Project, SalesTaxGroup
from contracts.money import ZERO, is_currency, round_money
from contracts.numbers import show_date
from ledger.models import (
    Account,
    CustomerTransaction,
    DimensionValue,
    ExchangeRate,
    FiscalYear,
    LedgerEntry,
    LedgerEntryLine,
    LedgerEntryLineDimension,
    NumberSeries,
    Period,
    PeriodStatus,
    VatCode,
    VatRule,
)
from ledger.queries import period_on

from .errors import (
    InvalidAccount,
    LedgerError,
    LedgerStateError,
    MissingExchangeRate,
    MissingVatCode,
    PeriodClosed,
    UnbalancedEntry,
)

RATE_PLACES = Decimal("0.00000001")
VOUCHER = "voucher"


def exchange_rate(*, from_currency: str, to_currency: str, on_date: dt.date) -> Decimal:
    """Units of ``to_currency`` per unit of ``from_currency`` on ``on_date``: the latest rate
    on or before the date (the inverse pair's rate, inverted, when only that one is kept)."""
    if from_currency == to_currency:
        return Decimal(1)
    direct = (
        ExchangeRate.objects.filter(
            from_currency=from_currency, to_currency=to_currency, rate_date__lte=on_date
        )
        .order_by("-rate_date")
        .first()
    )
    inverse = (
        ExchangeRate.objects.filter(
            from_currency=to_currency, to_currency=from_currency, rate_date__lte=on_date
        )
        .order_by("-rate_date")
        .first()
    )
    if direct is not None and (inverse is None or direct.rate_date >= inverse.rate_date):
        return direct.rate
    if inverse is not None:
        return (Decimal(1) / inverse.rate).quantize(RATE_PLACES)
    raise MissingExchangeRate(
        _(
            "No exchange rate from %(from)s to %(to)s on or before %(date)s: add one under "
            "exchange rates."
        )
        % {"from": from_currency, "to": to_currency, "date": show_date(on_date)}
    )


def vat_code_for(
    *, sales_tax_group: SalesTaxGroup | None, item_sales_tax_group: ItemSalesTaxGroup | None
) -> VatCode:
    """The VAT code the pair of tax groups selects."""
    if sales_tax_group is None:
        raise MissingVatCode(
            _("Choose a sales tax group: without one no VAT code can be chosen."),
            field="sales_tax_group",
        )
    if item_sales_tax_group is None:
        raise MissingVatCode(
            _("Choose an item sales tax group: without one no VAT code can be chosen.")
        )
    rule = (
        VatRule.objects.select_related("vat_code")
        .filter(sales_tax_group=sales_tax_group, item_sales_tax_group=item_sales_tax_group)
        .first()
    )
    if rule is None:
        raise MissingVatCode(
            _(
                "No VAT code for sales tax group %(stg)s with item sales tax group %(istg)s: "
                "choose another pair or add a VAT rule for it."
            )
            % {"stg": sales_tax_group.code, "istg": item_sales_tax_group.code}
        )
    return rule.vat_code


def _default_prefix(*, purpose: str, fiscal_year: FiscalYear) -> str:
    return f"{purpose[:3].upper()}{fiscal_year.year}-"


def format_number(*, prefix: str, number: int) -> str:
    return f"{prefix}{number:06d}"


def next_number(*, legal_entity: LegalEntity, fiscal_year: FiscalYear, purpose: str) -> str:
    """Take the next number of a gapless series, inside the caller's transaction.

    The series row is locked (``SELECT … FOR UPDATE``) until the caller commits or rolls back;
    a rollback gives the number back, so committed numbers run 1, 2, 3 … without gaps. A
    missing series is created (``INSERT … ON CONFLICT DO NOTHING``, safe under concurrency)
    with the prefix ``VOU2026-`` / ``INV2026-`` …
    """
    with transaction.atomic(savepoint=False):
        NumberSeries.objects.bulk_create(
            [
                NumberSeries(
                    legal_entity=legal_entity,
                    fiscal_year=fiscal_year,
                    purpose=purpose,
                    prefix=_default_prefix(purpose=purpose, fiscal_year=fiscal_year),
                )
            ],
            ignore_conflicts=True,
        )
        series = NumberSeries.objects.select_for_update().get(
            legal_entity=legal_entity, fiscal_year=fiscal_year, purpose=purpose
        )
        number = series.next_number
        series.next_number = number + 1
        series.save(update_fields=["next_number"])
    return format_number(prefix=series.prefix, number=number)


class Side:
    DEBIT = "debit"
    CREDIT = "credit"


@dataclass(frozen=True, kw_only=True)
class LineSpec:
    """One line to post. ``amount`` is positive, in ``currency``, on ``side`` (debit or
    credit). ``accounting_amount`` (positive, in the legal entity's accounting currency) is
    converted with the rate on the entry date when left empty; give it when the rate is fixed
    (e.g. by the contract)."""

    account: Account
    side: str
    currency: str
    amount: Decimal
    accounting_amount: Decimal | None = None
    dimensions: Sequence[DimensionValue] = field(default_factory=tuple)
    project: Project | None = None
    customer: Customer | None = None
    description: str = ""

    @property
    def sign(self) -> int:
        return 1 if self.side == Side.DEBIT else -1


def _open_period(*, legal_entity: LegalEntity, on_date: dt.date, field: str) -> Period:
    period = period_on(legal_entity=legal_entity, on_date=on_date)
    if period is None:
        raise PeriodClosed(
            _("No accounting period of %(le)s covers %(date)s: create the fiscal year first.")
            % {"le": legal_entity.code, "date": show_date(on_date)},
            field=field,
        )
    if period.status != PeriodStatus.OPEN:
        raise PeriodClosed(
            _(
                "Period %(n)s of %(year)s (%(start)s to %(end)s) is closed: choose a date in an "
                "open period or reopen the period."
            )
            % {
                "n": period.number,
                "year": period.fiscal_year.year,
                "start": show_date(period.start_date),
                "end": show_date(period.end_date),
            },
            field=field,
        )
    return period


def post_entry(
    *,
    legal_entity: LegalEntity,
    entry_date: dt.date,
    memo: str,
    lines: Sequence[LineSpec],
    posted_by: Any,
    posted_at: dt.datetime,
    reverses: LedgerEntry | None = None,
) -> LedgerEntry:
    """Write one balanced, posted entry with the next voucher number, inside the caller's
    transaction. Validates sides, amounts, accounts, period and balance before anything is
    written (and PostgreSQL checks balance and period again)."""
    if not lines:
        raise UnbalancedEntry(_("An entry needs at least two lines."))
    accounting_currency = legal_entity.accounting_currency
    period = _open_period(legal_entity=legal_entity, on_date=entry_date, field="entry_date")
    prepared: list[tuple[LineSpec, Decimal, Decimal, Decimal]] = []
    for i, spec in enumerate(lines):
        name = f"lines[{i}]"
        if spec.side not in (Side.DEBIT, Side.CREDIT):
            raise LedgerError(_("Choose debit or credit."), field=f"{name}.side")
        if not is_currency(spec.currency):
            raise LedgerError(
                _("%(c)s is not a known currency code.") % {"c": spec.currency},
                field=f"{name}.currency",
            )
        if spec.amount <= 0 or round_money(spec.amount, spec.currency) != spec.amount:
            raise LedgerError(
                _("The amount must be more than 0 and rounded to the currency's minor unit."),
                field=f"{name}.amount",
            )
        if spec.account.legal_entity_id != legal_entity.pk:
            raise InvalidAccount(
                _("Account %(a)s belongs to another legal entity.") % {"a": spec.account},
                field=f"{name}.account",
            )
        if not spec.account.is_active:
            raise InvalidAccount(
                _("Account %(a)s is inactive: choose another or activate it.")
                % {"a": spec.account},
                field=f"{name}.account",
            )
        seen_dimensions = [v.dimension_id for v in spec.dimensions]
        if len(seen_dimensions) != len(set(seen_dimensions)):
            raise LedgerError(
                _("A line takes one value per dimension."), field=f"{name}.dimensions"
            )
        if spec.accounting_amount is not None:
            accounting = spec.accounting_amount
            if accounting < 0 or round_money(accounting, accounting_currency) != accounting:
                raise LedgerError(
                    _("The accounting amount must be 0 or more and rounded to the cent."),
                    field=f"{name}.accounting_amount",
                )
            rate = (accounting / spec.amount).quantize(RATE_PLACES) if accounting else Decimal(1)
        else:
            rate = exchange_rate(
                from_currency=spec.currency, to_currency=accounting_currency, on_date=entry_date
            )
            accounting = round_money(spec.amount * rate, accounting_currency)
        prepared.append((spec, spec.sign * spec.amount, spec.sign * accounting, rate))
    debits = sum((a for _s, _t, a, _r in prepared if a > 0), ZERO)
    credits = -sum((a for _s, _t, a, _r in prepared if a < 0), ZERO)
    if debits != credits:
        raise UnbalancedEntry(
            _(
                "The entry does not balance: debits %(d)s and credits %(c)s %(cur)s; they must "
                "be equal."
            )
            % {"d": debits, "c": credits, "cur": accounting_currency}
        )
    with transaction.atomic(savepoint=False):
        voucher = next_number(
            legal_entity=legal_entity, fiscal_year=period.fiscal_year, purpose=VOUCHER
        )
        entry = LedgerEntry.objects.create(
            legal_entity=legal_entity,
            voucher_number=voucher,
            entry_date=entry_date,
            period=period,
            memo=memo[:300],
            posted_at=posted_at,
            posted_by=posted_by,
            reverses=reverses,
        )
        rows = LedgerEntryLine.objects.bulk_create(
            LedgerEntryLine(
                entry=entry,
                line_number=n,
                account=spec.account,
                currency=spec.currency,
                amount=amount,
                accounting_amount=accounting,
                exchange_rate=rate,
                project=spec.project,
                customer=spec.customer,
                description=spec.description[:300],
            )
            for n, (spec, amount, accounting, rate) in enumerate(prepared, start=1)
        )
        LedgerEntryLineDimension.objects.bulk_create(
            LedgerEntryLineDimension(line=row, dimension_id=value.dimension_id, value=value)
            for row, (spec, _a, _b, _c) in zip(rows, prepared, strict=True)
            for value in spec.dimensions
        )
    return entry


def reverse_entry(
    *,
    entry: LedgerEntry,
    entry_date: dt.date,
    memo: str,
    posted_by: Any,
    posted_at: dt.datetime,
) -> LedgerEntry:
    """Post the mirror image of ``entry`` (same amounts, sides swapped) on ``entry_date``."""
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise LedgerStateError(_("Entry %(v)s is already reversed.") % {"v": entry.voucher_number})
    specs = [
        LineSpec(
            account=line.account,
            side=Side.CREDIT if line.accounting_amount > 0 else Side.DEBIT,
            currency=line.currency,
            amount=abs(line.amount),
            accounting_amount=abs(line.accounting_amount),
            dimensions=tuple(line.dimension_values.all()),
            project=line.project,
            customer=line.customer,
            description=line.description,
        )
        for line in entry.lines.select_related("account", "project", "customer").order_by(
            "line_number"
        )
    ]
    return post_entry(
        legal_entity=entry.legal_entity,
        entry_date=entry_date,
        memo=memo,
        lines=specs,
        posted_by=posted_by,
        posted_at=posted_at,
        reverses=entry,
    )


def record_customer_transaction(
    *,
    entry: LedgerEntry,
    customer: Customer,
    document_number: str,
    document_date: dt.date,
    due_date: dt.date,
    currency: str,
    amount: Decimal,
    accounting_amount: Decimal,
    settles: CustomerTransaction | None = None,
) -> CustomerTransaction:
    """Add an open item to the customer subledger beside its entry (caller's transaction).

    ``amount`` is gross and signed (invoice positive, credit note negative). An item that
    ``settles`` another reduces that one's open amount by as much as both allow.
    """
    with transaction.atomic(savepoint=False):
        item = CustomerTransaction.objects.create(
            legal_entity=entry.legal_entity,
            customer=customer,
            entry=entry,
            document_number=document_number,
            document_date=document_date,
            due_date=due_date,
            currency=currency,
            amount=amount,
            accounting_amount=accounting_amount,
            open_amount=amount,
            settles=settles,
        )
        if settles is not None:
            target = CustomerTransaction.objects.select_for_update().get(pk=settles.pk)
            if target.currency != currency:
                raise LedgerError(
                    _("An item settles only an item in the same currency."), field="settles"
                )
            if (target.open_amount > 0) != (amount < 0):
                raise LedgerError(
                    _("An item settles only an open item of the opposite sign."), field="settles"
                )
            applied = min(abs(target.open_amount), abs(amount))
            sign = 1 if target.open_amount > 0 else -1
            target.open_amount -= sign * applied
            target.save(update_fields=["open_amount"])
            item.open_amount += sign * applied
            item.save(update_fields=["open_amount"])
    return item
