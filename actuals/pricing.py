"""Which contract line an entry belongs to, whether it is chargeable, and its prices.

Reads only (the prices themselves come from :mod:`contracts.pricing`).

- **Line** (DOMAIN.md §5): the one line of an *active* contract whose coverage
  (``ContractLineScope``) names the entry's project and transaction class, and either the
  entry's task or no task (= every task). A coverage naming the task wins over one covering the
  whole project. No line → cost only. Two lines (of two different active contracts; one
  contract cannot have two, the database refuses it) → cost only, with a warning that names
  them: never a guess.
- **Chargeable**: the line includes the class (it does, or it would not have been found); the
  role (category) is chargeable per the line's billing rule, else per the role (category)
  itself; the task likewise per the line's rule, else the task's own flag (no task: yes).
- **Cost price**: time uses the cost price list in the accounting currency of the project's
  contracting unit (``Project.legal_entity.accounting_currency``): cost is the firm's own
  figure and is booked in its books' currency, whatever the contract's sales currency.
  Expenses cost what was paid (amount and currency as entered).
- **Sales price**: in the contract's currency, from the contract's own list over the standard
  one. At-cost and markup category prices need the expense in the contract's currency; a
  receipt in another currency gets price 0 and a warning (no exchange rates here).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from actuals.models import ExpenseEntry, TimeEntry
from contracts.models import (
    ContractLine,
    ContractLineScope,
    ContractStatus,
    LineBillingRule,
    PriceListKind,
    TransactionClass,
)
from contracts.money import ZERO, minor_unit, round_money, split_by_percent
from contracts.pricing import Price, resolve_category_price, resolve_role_price

PRICE_QUANTUM = Decimal("0.0001")
QUANTITY_QUANTUM = Decimal("0.01")


def quantize_price(value: Decimal) -> Decimal:
    """A unit price to the four places a price column keeps (prices are not money amounts)."""
    return value.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineResolution:
    line: ContractLine | None
    warning: str = ""


def transaction_class_of(entry: TimeEntry | ExpenseEntry) -> str:
    return TransactionClass.TIME if isinstance(entry, TimeEntry) else TransactionClass.EXPENSE


def resolve_contract_line(*, entry: TimeEntry | ExpenseEntry) -> LineResolution:
    scopes = (
        ContractLineScope.objects.filter(
            Q(task__isnull=True) | Q(task_id=entry.task_id),
            project_id=entry.project_id,
            transaction_class=transaction_class_of(entry),
            line__contract__status=ContractStatus.ACTIVE,
        )
        .select_related("line__contract")
        .order_by("pk")
    )
    scopes_list = list(scopes)
    if entry.task_id is not None and any(s.task_id is not None for s in scopes_list):
        scopes_list = [s for s in scopes_list if s.task_id is not None]
    lines = {s.line_id: s.line for s in scopes_list}
    if not lines:
        return LineResolution(None)
    if len(lines) > 1:
        names = ", ".join(f"{ln.contract.number}/{ln.name}" for ln in lines.values())
        return LineResolution(
            None,
            _("Contract lines %(lines)s all cover this entry; only cost was recorded.")
            % {"lines": names},
        )
    return LineResolution(next(iter(lines.values())))


def is_chargeable(*, entry: TimeEntry | ExpenseEntry, line: ContractLine) -> bool:
    rules = {
        (r.role_id, r.category_id, r.task_id): r.chargeable
        for r in LineBillingRule.objects.filter(line=line)
    }
    if isinstance(entry, TimeEntry):
        item = rules.get((entry.role_id, None, None), entry.role.chargeable)
    else:
        assert isinstance(entry, ExpenseEntry)
        item = rules.get((None, entry.category_id, None), entry.category.chargeable)
    task_ok = True
    if entry.task_id is not None:
        task_ok = rules.get((None, None, entry.task_id), entry.task.chargeable)  # type: ignore[union-attr]
    return bool(item and task_ok)


def cost_currency_of(entry: TimeEntry | ExpenseEntry) -> str:
    if isinstance(entry, ExpenseEntry):
        return entry.currency
    return entry.project.legal_entity.accounting_currency


def resolve_cost_unit_price(*, entry: TimeEntry | ExpenseEntry) -> Price:
    if isinstance(entry, ExpenseEntry):
        return Price(entry.amount / entry.quantity)
    assert isinstance(entry, TimeEntry)
    return resolve_role_price(
        kind=PriceListKind.COST,
        currency=cost_currency_of(entry),
        role=entry.role,
        on_date=entry.entry_date,
    )


def resolve_sales_unit_price(*, entry: TimeEntry | ExpenseEntry, line: ContractLine) -> Price:
    """The sales price per hour / unit, as a :class:`Price` whose ``unit_price`` is final."""
    contract = line.contract
    if isinstance(entry, TimeEntry):
        return resolve_role_price(
            kind=PriceListKind.SALES,
            currency=contract.currency,
            role=entry.role,
            on_date=entry.entry_date,
            contract=contract,
        )
    assert isinstance(entry, ExpenseEntry)
    price = resolve_category_price(
        kind=PriceListKind.SALES,
        currency=contract.currency,
        category=entry.category,
        on_date=entry.entry_date,
        contract=contract,
    )
    if price.warning or price.method not in ("at_cost", "markup"):
        return price
    if entry.currency != contract.currency:
        return Price(
            ZERO,
            warning=_(
                "The expense is in %(cur)s and the contract in %(ccur)s; at-cost prices need "
                "the same currency; price set to 0."
            )
            % {"cur": entry.currency, "ccur": contract.currency},
        )
    return Price(price.apply_to_cost(entry.amount / entry.quantity), price.price_list)


def split_sales(
    *, quantity: Decimal, unit_price: Decimal, currency: str, shares: list[tuple[Decimal, bool]]
) -> list[tuple[Decimal, Decimal]]:
    """Quantity and amount per line customer: the amount is quantity × price rounded half-up
    once, then quantity and amount are each split by the percentages with the remainder on the
    rounding customer, so the parts add up exactly to the whole in both."""
    amount = round_money(quantity * unit_price, currency)
    q_parts = split_by_percent(quantity, shares, QUANTITY_QUANTUM)
    a_parts = split_by_percent(amount, shares, minor_unit(currency))
    return list(zip(q_parts, a_parts, strict=True))
