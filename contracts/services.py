"""Writes for master data and contracts: keyword-only, typed, one transaction each.

A contract is written whole: header, contract customers, lines with their coverage, line
customers and billing rules, all validated before anything is saved, so that a rejected contract
leaves nothing behind. Messages name the field (``customers[1].split_percent``) and the reason.
"""

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from contracts.fiscal_calendar import calendar_errors
from contracts.models import (
    BillingMethod,
    Contract,
    ContractCustomer,
    ContractLine,
    ContractLineScope,
    Customer,
    ExpenseCategory,
    InvoiceScheduleEntry,
    LegalEntity,
    LineBillingRule,
    LineCustomer,
    Milestone,
    Project,
    Role,
    SalesTaxGroup,
    ScheduleFrequency,
    Task,
    TransactionClass,
)
from contracts.money import HUNDRED, ZERO, is_currency, minor_unit, split_by_percent


@dataclass(frozen=True, kw_only=True)
class CustomerSplit:
    customer: Customer
    split_percent: Decimal
    is_rounding: bool = False
    nte_limit: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class Coverage:
    project: Project
    task: Task | None = None


@dataclass(frozen=True, kw_only=True)
class LineSplit:
    """A line customer, named by the customer (who must be a contract customer)."""

    customer: Customer
    split_percent: Decimal
    is_rounding: bool = False
    nte_limit: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class BillingRule:
    chargeable: bool
    role: Role | None = None
    category: ExpenseCategory | None = None
    task: Task | None = None


@dataclass(frozen=True, kw_only=True)
class LineSpec:
    name: str
    billing_method: str
    transaction_classes: Sequence[str]
    coverage: Sequence[Coverage]
    customers: Sequence[LineSplit] = ()
    nte_limit: Decimal | None = None
    external_description: str = ""
    billing_rules: Sequence[BillingRule] = field(default_factory=tuple)


@dataclass(frozen=True, kw_only=True)
class ContractSpec:
    number: str
    name: str
    legal_entity: LegalEntity
    project_manager: Any
    currency: str
    start_date: dt.date
    end_date: dt.date | None = None
    nte_limit: Decimal | None = None
    sales_tax_group: SalesTaxGroup | None = None
    customer_reference: str = ""
    description: str = ""
    customers: Sequence[CustomerSplit] = ()
    lines: Sequence[LineSpec] = ()


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = defaultdict(list)

    def add(self, name: str, message: str) -> None:
        self.by_field[name].append(message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(dict(self.by_field))


def _check_limit(errors: _Errors, name: str, value: Decimal | None) -> None:
    if value is not None and value < 0:
        errors.add(name, _("A not-to-exceed limit may not be negative."))


def _check_split(errors: _Errors, prefix: str, rows: Sequence[CustomerSplit | LineSplit]) -> None:
    if not rows:
        errors.add(prefix, _("At least one customer is required."))
        return
    total = sum((r.split_percent for r in rows), ZERO)
    if total != HUNDRED:
        errors.add(
            prefix,
            _("Split percentages must sum to 100; they sum to %(total)s.") % {"total": total},
        )
    rounding = sum(1 for r in rows if r.is_rounding)
    if rounding != 1:
        errors.add(
            prefix,
            _("Exactly one customer must be the rounding customer; %(n)d are.") % {"n": rounding},
        )
    seen: set[int] = set()
    for i, row in enumerate(rows):
        if row.split_percent <= 0 or row.split_percent > HUNDRED:
            errors.add(
                f"{prefix}[{i}].split_percent", _("A split must be more than 0 and at most 100.")
            )
        if row.customer.pk in seen:
            errors.add(f"{prefix}[{i}].customer", _("%(c)s is named twice.") % {"c": row.customer})
        seen.add(row.customer.pk)
        _check_limit(errors, f"{prefix}[{i}].nte_limit", row.nte_limit)


def validate_contract(spec: ContractSpec) -> None:
    """Raise ``ValidationError`` naming every field that is wrong, and why."""
    errors = _Errors()
    if not is_currency(spec.currency):
        errors.add(
            "currency",
            _("%(code)s is not a known ISO 4217 currency code.") % {"code": spec.currency},
        )
    if spec.end_date is not None and spec.end_date < spec.start_date:
        errors.add("end_date", _("The end date may not be before the start date."))
    _check_limit(errors, "nte_limit", spec.nte_limit)
    _check_split(errors, "customers", spec.customers)
    contract_customers = {c.customer.pk for c in spec.customers}

    covered: dict[tuple[int, str], list[tuple[int, int | None]]] = defaultdict(list)
    for li, line in enumerate(spec.lines):
        p = f"lines[{li}]"
        if line.billing_method not in BillingMethod.values:
            errors.add(f"{p}.billing_method", _("Choose time and material or fixed price."))
        bad = [c for c in line.transaction_classes if c not in TransactionClass.values]
        if bad:
            errors.add(
                f"{p}.transaction_classes",
                _("Unknown transaction class: %(c)s.") % {"c": ", ".join(bad)},
            )
        if not line.transaction_classes:
            errors.add(
                f"{p}.transaction_classes", _("A line must include at least one transaction class.")
            )
        if not line.coverage:
            errors.add(f"{p}.coverage", _("A line must cover at least one project."))
        _check_limit(errors, f"{p}.nte_limit", line.nte_limit)
        _check_split(errors, f"{p}.customers", line.customers)
        for ci, split in enumerate(line.customers):
            if split.customer.pk not in contract_customers:
                errors.add(
                    f"{p}.customers[{ci}].customer",
                    _("%(c)s is not a customer of this contract.") % {"c": split.customer},
                )
        for ci, cov in enumerate(line.coverage):
            if cov.task is not None and cov.task.project_id != cov.project.pk:
                errors.add(f"{p}.coverage[{ci}].task", _("The task belongs to another project."))
            for cls in line.transaction_classes:
                covered[(cov.project.pk, cls)].append((li, cov.task.pk if cov.task else None))
    for (project_id, cls), claims in covered.items():
        lines_claiming = {li for li, _t in claims}
        if len(lines_claiming) < 2:
            continue
        tasks_by_line: dict[int, set[int | None]] = defaultdict(set)
        for li, task in claims:
            tasks_by_line[li].add(task)
        ordered = sorted(tasks_by_line)
        for a_pos, a in enumerate(ordered):
            for b in ordered[a_pos + 1 :]:
                ta, tb = tasks_by_line[a], tasks_by_line[b]
                if None in ta or None in tb or ta & tb:
                    errors.add(
                        f"lines[{b}].coverage",
                        _(
                            "Lines %(a)d and %(b)d both cover project %(p)s for %(cls)s "
                            "(a line that covers the whole project overlaps any task)."
                        )
                        % {"a": a + 1, "b": b + 1, "p": project_id, "cls": cls},
                    )
    errors.raise_if_any()


def _write_line(
    *, contract: Contract, spec: LineSpec, customers: dict[int, ContractCustomer]
) -> ContractLine:
    line = ContractLine.objects.create(
        contract=contract,
        name=spec.name,
        billing_method=spec.billing_method,
        nte_limit=spec.nte_limit,
        external_description=spec.external_description,
    )
    ContractLineScope.objects.bulk_create(
        ContractLineScope(
            contract=contract, line=line, project=cov.project, task=cov.task, transaction_class=cls
        )
        for cov in spec.coverage
        for cls in spec.transaction_classes
    )
    LineCustomer.objects.bulk_create(
        LineCustomer(
            line=line,
            contract_customer=customers[s.customer.pk],
            split_percent=s.split_percent,
            is_rounding=s.is_rounding,
            nte_limit=s.nte_limit,
        )
        for s in spec.customers
    )
    LineBillingRule.objects.bulk_create(
        LineBillingRule(
            line=line, role=r.role, category=r.category, task=r.task, chargeable=r.chargeable
        )
        for r in spec.billing_rules
    )
    return line


@transaction.atomic
def create_contract(*, spec: ContractSpec) -> Contract:
    """Validate and write a whole contract; nothing is saved if anything is wrong."""
    validate_contract(spec)
    contract = Contract.objects.create(
        number=spec.number,
        name=spec.name,
        legal_entity=spec.legal_entity,
        project_manager=spec.project_manager,
        currency=spec.currency,
        start_date=spec.start_date,
        end_date=spec.end_date,
        nte_limit=spec.nte_limit,
        sales_tax_group=spec.sales_tax_group,
        customer_reference=spec.customer_reference,
        description=spec.description,
    )
    customers = {
        c.customer.pk: ContractCustomer.objects.create(
            contract=contract,
            customer=c.customer,
            split_percent=c.split_percent,
            is_rounding=c.is_rounding,
            nte_limit=c.nte_limit,
        )
        for c in spec.customers
    }
    for line_spec in spec.lines:
        _write_line(contract=contract, spec=line_spec, customers=customers)
    return contract


# --- invoice schedules ------------------------------------------------------------------


def schedule_dates(
    *,
    frequency: str,
    start_date: dt.date,
    end_date: dt.date,
    day: int | None = None,
    times_per_month: int | None = None,
) -> list[dt.date]:
    """Run dates from ``start_date`` to ``end_date`` (both included).

    - weekly / every two weeks: on weekday ``day`` (0 = Monday; default: the start date's);
    - monthly: on day ``day`` of each month (default 1; clamped to the month's last day);
    - n times a month: ``times_per_month`` dates splitting each month evenly, starting on the
      1st (2 → 1st and 16th of a 31-day month; 4 → 1st, 8th, 16th, 24th).
    """
    if end_date < start_date:
        raise ValidationError({"end_date": _("The end date may not be before the start date.")})
    dates: list[dt.date] = []
    if frequency in (ScheduleFrequency.WEEKLY, ScheduleFrequency.BIWEEKLY):
        weekday = start_date.weekday() if day is None else day
        if not 0 <= weekday <= 6:
            raise ValidationError(
                {"day": _("For a weekly schedule the day is a weekday, 0 (Monday) to 6.")}
            )
        step = dt.timedelta(weeks=1 if frequency == ScheduleFrequency.WEEKLY else 2)
        current = start_date + dt.timedelta(days=(weekday - start_date.weekday()) % 7)
        while current <= end_date:
            dates.append(current)
            current += step
        return dates
    if frequency == ScheduleFrequency.MONTHLY:
        day_of_month = 1 if day is None else day
        if not 1 <= day_of_month <= 31:
            raise ValidationError({"day": _("For a monthly schedule the day is 1 to 31.")})
    elif frequency == ScheduleFrequency.TIMES_A_MONTH:
        n = times_per_month or 0
        if not 2 <= n <= 28:
            raise ValidationError({"times_per_month": _("Choose 2 to 28 times a month.")})
    else:
        raise ValidationError({"frequency": _("Unknown frequency %(f)s.") % {"f": frequency}})
    year, month = start_date.year, start_date.month
    while (first := dt.date(year, month, 1)) <= end_date:
        days_in_month = calendar.monthrange(year, month)[1]
        if frequency == ScheduleFrequency.MONTHLY:
            offsets = [min(day_of_month, days_in_month) - 1]
        else:
            offsets = [(days_in_month * k) // n for k in range(n)]
        dates.extend(
            d
            for d in (first + dt.timedelta(days=o) for o in offsets)
            if start_date <= d <= end_date
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dates


@transaction.atomic
def generate_invoice_schedule(
    *,
    line: ContractLine,
    frequency: str,
    start_date: dt.date,
    end_date: dt.date,
    day: int | None = None,
    times_per_month: int | None = None,
) -> list[InvoiceScheduleEntry]:
    """Add the run dates of a frequency to a T&M line's schedule (each cut-off the day before).

    Dates the line already has are kept as they are; the new ones are returned. Both dates
    fall within the fiscal calendar of the contract's legal entity (:mod:`contracts.fiscal_calendar`):
    a run date outside it could never run, and an end date of 9999-12-31 would write rows for
    eight thousand years.
    """
    if line.billing_method != BillingMethod.TIME_AND_MATERIAL:
        raise ValidationError({"line": _("Only a time-and-material line has an invoice schedule.")})
    outside = calendar_errors(
        {
            "start_date": (start_date, _("start date")),
            "end_date": (end_date, _("end date")),
        },
        legal_entity=line.contract.legal_entity,
    )
    if outside:
        raise ValidationError(outside)
    dates = schedule_dates(
        frequency=frequency,
        start_date=start_date,
        end_date=end_date,
        day=day,
        times_per_month=times_per_month,
    )
    existing = set(
        line.schedule_entries.filter(run_date__in=dates).values_list("run_date", flat=True)
    )
    return InvoiceScheduleEntry.objects.bulk_create(
        InvoiceScheduleEntry(line=line, run_date=d, cut_off_date=d - dt.timedelta(days=1))
        for d in dates
        if d not in existing
    )


# --- milestones ---------------------------------------------------------------------------


@transaction.atomic
def create_milestone(
    *,
    line: ContractLine,
    name: str,
    milestone_date: dt.date,
    amount: Decimal,
    external_description: str = "",
) -> list[Milestone]:
    """Create a fixed-price milestone, one row per line customer, split by the line's split.
    Its date falls within the fiscal calendar of the contract's legal entity."""
    errors = _Errors()
    for message in calendar_errors(
        {"milestone_date": (milestone_date, _("date"))}, legal_entity=line.contract.legal_entity
    ).get("milestone_date", []):
        errors.add("milestone_date", message)
    if line.billing_method != BillingMethod.FIXED_PRICE:
        errors.add(
            "line", _("Milestones belong on a fixed-price line; this line is time and material.")
        )
    if amount <= 0:
        errors.add("amount", _("A milestone amount must be more than 0."))
    splits = list(line.line_customers.order_by("pk"))
    if not splits:
        errors.add("line", _("The line has no customers to bill."))
    errors.raise_if_any()
    currency = line.contract.currency
    parts = split_by_percent(
        amount, [(s.split_percent, s.is_rounding) for s in splits], minor_unit(currency)
    )
    return Milestone.objects.bulk_create(
        Milestone(
            line=line,
            line_customer=s,
            name=name,
            milestone_date=milestone_date,
            amount=part,
            currency=currency,
            external_description=external_description,
        )
        for s, part in zip(splits, parts, strict=True)
        if part > 0
    )
