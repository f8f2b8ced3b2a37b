"""Approval: approved work becomes money (DOMAIN.md §5 "What approval creates").

``approve_time_entry`` / ``approve_expense_entry`` run in one transaction: lock the entry row,
check it is *submitted* (a second approval — double click, two managers at once — finds it
approved and raises :class:`EntryStateError`, creating nothing), run the transition, record
who and when, then write the actuals:

1. a **cost** actual for the submitted quantity (time: hours × cost rate; expenses: the amount
   as entered), always;
2. on a **time-and-material** line, **unbilled sales** actuals, one per line customer, split by
   the line's percentages for quantity *and* amount (``split_by_percent``: the rounding
   customer takes the remainder, so the parts add up exactly). The amount of a segment is
   quantity × sales price rounded half-up once, then split:

   - chargeable, billable quantity as submitted or raised → one chargeable segment of the
     billable quantity;
   - chargeable, billable quantity lowered → a chargeable segment of the billable quantity and
     a non-chargeable segment of the remainder (the value given away stays visible);
   - not chargeable (role/category/task) → one **non-chargeable** segment of the submitted
     quantity (visible in the actuals, never billed; a billable quantity is ignored). Decision:
     written as unbilled sales so the project manager sees the sales value forgone; the
     backlog never bills non-chargeable rows at a price.

3. on a **fixed-price** line, or with no covering line: cost only.

The unbilled actuals enter the backlog *not ready* through
:func:`actuals.services.billing.open_items`, which checks the chargeable ones against the not-to-exceed limits (:mod:`actuals.nte`) under
the contract's row lock. A missing or ambiguous price list gives price 0 and a warning,
stored on the actual (``price_warning``) and returned in :class:`ApprovalResult`.

``cancel_approval`` reverses every live actual of the entry (:meth:`Actual.reversal`: a row of
minus its quantity and amount, ``reverses`` = the original), moves the unbilled originals to
*cancelled* (:func:`actuals.services.billing.cancel`), and puts the entry back to *returned*
with the reason — refused while any of its sales actuals is on a draft invoice or written off,
and once any of it was invoiced (a credit note brings invoiced hours back to the backlog as
new items: write those off instead).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from actuals.models import (
    Actual,
    ActualBilling,
    ActualType,
    BillingStatus,
    BillingType,
    ExpenseEntry,
    NteStatus,
    TimeEntry,
)
from actuals.models.entries import Entry
from actuals.pricing import (
    cost_currency_of,
    is_chargeable,
    quantize_price,
    resolve_contract_line,
    resolve_cost_unit_price,
    resolve_sales_unit_price,
    split_sales,
    transaction_class_of,
)
from contracts.models import BillingMethod, ContractLine, LineCustomer
from contracts.money import round_money

from . import billing
from .errors import EntryStateError

E = TypeVar("E", TimeEntry, ExpenseEntry)


@dataclass
class ApprovalResult:
    entry: TimeEntry | ExpenseEntry
    actuals: list[Actual] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def cost(self) -> list[Actual]:
        return [a for a in self.actuals if a.actual_type == ActualType.COST]

    @property
    def unbilled(self) -> list[Actual]:
        return [a for a in self.actuals if a.actual_type == ActualType.UNBILLED_SALES]


#: Billing statuses an unbilled actual can be cancelled from (its approval cancelled).
_CANCELLABLE = (BillingStatus.NOT_READY, BillingStatus.READY)


def _billing(actual: Actual) -> ActualBilling | None:
    try:
        return actual.billing
    except ActualBilling.DoesNotExist:
        return None


@dataclass
class CancelResult:
    entry: TimeEntry | ExpenseEntry
    reversals: list[Actual] = field(default_factory=list)


def _entry_link(entry: Entry) -> dict[str, Any]:
    if isinstance(entry, TimeEntry):
        return {"time_entry": entry, "role": entry.role}
    assert isinstance(entry, ExpenseEntry)
    return {"expense_entry": entry, "category": entry.category}


def _base_fields(entry: TimeEntry | ExpenseEntry, created_at: dt.datetime) -> dict[str, Any]:
    return {
        "transaction_class": transaction_class_of(entry),
        "project": entry.project,
        "task": entry.task,
        "resource": entry.resource,
        "transaction_date": entry.entry_date,
        "description": entry.description,
        "external_description": entry.external_description,
        "created_at": created_at,
        **_entry_link(entry),
    }


def _sales_actuals(
    *,
    entry: TimeEntry | ExpenseEntry,
    line: ContractLine,
    segments: Sequence[tuple[Decimal, str]],
    unit_price: Decimal,
    warning: str,
    created_at: dt.datetime,
) -> list[Actual]:
    currency = line.contract.currency
    splits = list(
        LineCustomer.objects.filter(line=line).select_related("contract_customer").order_by("pk")
    )
    if not splits:
        return []
    shares = [(s.split_percent, s.is_rounding) for s in splits]
    rows: list[Actual] = []
    for quantity, billing_type in segments:
        if quantity == 0:
            continue
        parts = split_sales(
            quantity=quantity, unit_price=unit_price, currency=currency, shares=shares
        )
        for split, (q_part, a_part) in zip(splits, parts, strict=True):
            if q_part == 0 and a_part == 0:
                continue
            rows.append(
                Actual(
                    **_base_fields(entry, created_at),
                    actual_type=ActualType.UNBILLED_SALES,
                    contract=line.contract,
                    contract_line=line,
                    line_customer=split,
                    customer_id=split.contract_customer.customer_id,
                    quantity=q_part,
                    unit_price=quantize_price(unit_price),
                    amount=a_part,
                    currency=currency,
                    billing_type=billing_type,
                    price_warning=warning,
                )
            )
    return rows


def _approve_locked(
    *,
    entry: E,
    approved_by: Any,
    approved_at: dt.datetime,
    billable_quantity: Decimal | None,
) -> ApprovalResult:
    if not can_proceed(entry.approve):
        raise EntryStateError(
            _("Entry %(pk)s is %(status)s; only a submitted entry can be approved.")
            % {"pk": entry.pk, "status": entry.get_status_display()}  # type: ignore[attr-defined]
        )
    if billable_quantity is not None and billable_quantity < 0:
        raise ValidationError(
            {"billable_quantity": _("The billable quantity may not be negative.")}
        )
    entry.approve()
    entry.approved_by = approved_by
    entry.approved_at = approved_at
    entry.billable_quantity = billable_quantity
    entry.save()

    result = ApprovalResult(entry=entry)
    submitted = entry.quantity
    resolution = resolve_contract_line(entry=entry)
    line = resolution.line
    if resolution.warning:
        result.warnings.append(resolution.warning)
    chargeable = line is not None and is_chargeable(entry=entry, line=line)

    # 1. Cost, always, for the submitted quantity.
    cost_price = resolve_cost_unit_price(entry=entry)
    cost_currency = cost_currency_of(entry)
    cost_amount = (
        entry.amount
        if isinstance(entry, ExpenseEntry)
        else round_money(submitted * cost_price.unit_price, cost_currency)
    )
    cost_warning = " ".join(w for w in (resolution.warning, cost_price.warning) if w)
    rows = [
        Actual(
            **_base_fields(entry, approved_at),
            actual_type=ActualType.COST,
            contract=line.contract if line else None,
            contract_line=line,
            quantity=submitted,
            unit_price=quantize_price(cost_price.unit_price),
            amount=cost_amount,
            currency=cost_currency,
            billing_type=BillingType.CHARGEABLE if chargeable else BillingType.NON_CHARGEABLE,
            price_warning=cost_warning,
        )
    ]
    rows[0].save()
    if cost_price.warning:
        result.warnings.append(cost_price.warning)

    # 2. Sales, on a time-and-material line.
    if line is not None and line.billing_method == BillingMethod.TIME_AND_MATERIAL:
        sales_price = resolve_sales_unit_price(entry=entry, line=line)
        if sales_price.warning:
            result.warnings.append(sales_price.warning)
        if chargeable:
            billable = submitted if billable_quantity is None else billable_quantity
            segments: list[tuple[Decimal, str]] = [(billable, BillingType.CHARGEABLE)]
            if billable < submitted:
                segments.append((submitted - billable, BillingType.NON_CHARGEABLE))
        else:
            segments = [(submitted, BillingType.NON_CHARGEABLE)]
        sales = _sales_actuals(
            entry=entry,
            line=line,
            segments=segments,
            unit_price=sales_price.unit_price,
            warning=sales_price.warning,
            created_at=approved_at,
        )
        Actual.objects.bulk_create(sales)
        for item in billing.open_items(sales):
            if item.nte_status == NteStatus.FAILED:
                result.warnings.append(item.nte_message)
        rows.extend(sales)
    result.actuals = rows
    return result


def _approve(
    *,
    model: type[E],
    entry_id: int,
    approved_by: Any,
    approved_at: dt.datetime,
    billable_quantity: Decimal | None,
) -> ApprovalResult:
    entry = model.objects.select_for_update().get(pk=entry_id)
    return _approve_locked(
        entry=entry,
        approved_by=approved_by,
        approved_at=approved_at,
        billable_quantity=billable_quantity,
    )


def approve_time_entry(
    *,
    entry: TimeEntry,
    approved_by: Any,
    approved_at: dt.datetime,
    billable_quantity: Decimal | None = None,
) -> ApprovalResult:
    """Approve a submitted time entry and write its actuals (see the module docstring)."""
    with transaction.atomic(durable=True):
        return _approve(
            model=TimeEntry,
            entry_id=entry.pk,
            approved_by=approved_by,
            approved_at=approved_at,
            billable_quantity=billable_quantity,
        )


def approve_expense_entry(
    *,
    entry: ExpenseEntry,
    approved_by: Any,
    approved_at: dt.datetime,
    billable_quantity: Decimal | None = None,
) -> ApprovalResult:
    """Approve a submitted expense entry and write its actuals (see the module docstring)."""
    with transaction.atomic(durable=True):
        return _approve(
            model=ExpenseEntry,
            entry_id=entry.pk,
            approved_by=approved_by,
            approved_at=approved_at,
            billable_quantity=billable_quantity,
        )


def approve_entries(
    *,
    model: type[E],
    ids: Iterable[int],
    approved_by: Any,
    approved_at: dt.datetime,
    billable_quantities: dict[int, Decimal] | None = None,
) -> list[ApprovalResult]:
    """Approve several submitted entries: all or none (one that is not submitted refuses the
    whole batch, naming it). ``billable_quantities`` maps an entry id to its billable
    quantity."""
    wanted = sorted(set(ids))
    quantities = billable_quantities or {}
    with transaction.atomic(durable=True):
        entries = list(model.objects.select_for_update().filter(pk__in=wanted).order_by("pk"))
        if len(entries) != len(wanted):
            raise ValidationError({"ids": _("Some entries do not exist.")})
        return [
            _approve_locked(
                entry=e,
                approved_by=approved_by,
                approved_at=approved_at,
                billable_quantity=quantities.get(e.pk),
            )
            for e in entries
        ]


def cancel_approval(
    *, entry: TimeEntry | ExpenseEntry, by: Any, at: dt.datetime, reason: str = ""
) -> CancelResult:
    """Reverse an approved entry's actuals and return the entry to its author (see module)."""
    model: type[TimeEntry] | type[ExpenseEntry] = type(entry)
    with transaction.atomic(durable=True):
        locked = model.objects.select_for_update().get(pk=entry.pk)
        if not can_proceed(locked.cancel_approval):
            raise EntryStateError(
                _("Entry %(pk)s is %(status)s; only an approved entry's approval can be cancelled.")
                % {"pk": locked.pk, "status": locked.get_status_display()}
            )
        link = "time_entry" if isinstance(locked, TimeEntry) else "expense_entry"
        originals = list(
            Actual.objects.filter(**{link: locked}, reverses__isnull=True, reversals__isnull=True)
            .select_related("billing")
            .order_by("pk")
        )
        stuck = [
            a
            for a in originals
            if getattr(_billing(a), "status", BillingStatus.NOT_READY) not in _CANCELLABLE
        ]
        if (
            stuck
            or Actual.objects.filter(**{link: locked}, actual_type=ActualType.BILLED_SALES).exists()
        ):
            raise EntryStateError(
                _(
                    "The approval of entry %(pk)s cannot be cancelled: %(n)d of its sales "
                    "actuals are on an invoice or written off. Remove them from the draft or "
                    "reverse the write-off first; hours once invoiced can only be credited."
                )
                % {"pk": locked.pk, "n": len(stuck) or 1}
            )
        reversals = billing.cancel(actuals=originals, at=at)
        locked.cancel_approval()
        locked.return_comment = reason.strip() or _("Approval cancelled.")
        locked.returned_by = by
        locked.returned_at = at
        locked.save()
        return CancelResult(entry=locked, reversals=reversals)
