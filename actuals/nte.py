"""Not-to-exceed limits (DOMAIN.md §5), checked for chargeable T&M unbilled sales actuals.

Four levels, checked in this order, the first failing one named: line customer, line,
contract customer, contract. At each level with a limit:

    already invoiced + already in the backlog + this amount ≤ limit

- *already invoiced*: the chargeable billed sales actuals at that level (their reversals, e.g.
  credit notes, are negative and count too);
- *already in the backlog*: chargeable unbilled actuals not yet invoiced, written off or
  cancelled (billing status not ready / ready / on draft) **whose own check passed**. Decision: an
  actual that failed is not counted, because it cannot be invoiced until it passes; this way a
  single large entry does not block the small ones after it, and re-evaluation (in creation
  order) admits failed actuals one by one while the limit allows.

This module only checks; :mod:`actuals.services.billing` writes the result on the item
(when it opens an item, and when it re-evaluates failed ones) under the contract's row lock, so
two approvals on one contract cannot both pass the same head-room.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from actuals.models import (
    BACKLOG_STATUSES,
    Actual,
    ActualType,
    BillingType,
    NteLevel,
    NteStatus,
)
from contracts.models import ContractCustomer
from contracts.money import ZERO


@dataclass(frozen=True)
class NteResult:
    status: str
    level: str = NteLevel.NONE
    message: str = ""


def _counted(scope: Q, *, exclude_pk: int | None) -> Decimal:
    qs = Actual.objects.filter(scope, billing_type=BillingType.CHARGEABLE).filter(
        Q(actual_type=ActualType.BILLED_SALES)
        | Q(
            actual_type=ActualType.UNBILLED_SALES,
            billing__status__in=BACKLOG_STATUSES,
            billing__nte_status=NteStatus.OK,
        )
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.aggregate(total=Sum("amount"))["total"] or ZERO


def check_nte(*, actual: Actual) -> NteResult:
    """Evaluate one chargeable unbilled actual (saved or not) against the four limits."""
    line_customer = actual.line_customer
    line = actual.contract_line
    contract = actual.contract
    if line_customer is None or line is None or contract is None:
        return NteResult(NteStatus.OK)
    contract_customer = ContractCustomer.objects.get(pk=line_customer.contract_customer_id)
    levels = [
        (NteLevel.LINE_CUSTOMER, line_customer.nte_limit, Q(line_customer=line_customer)),
        (NteLevel.LINE, line.nte_limit, Q(contract_line=line)),
        (
            NteLevel.CONTRACT_CUSTOMER,
            contract_customer.nte_limit,
            Q(contract=contract, customer_id=contract_customer.customer_id),
        ),
        (NteLevel.CONTRACT, contract.nte_limit, Q(contract=contract)),
    ]
    for level, limit, scope in levels:
        if limit is None:
            continue
        used = _counted(scope, exclude_pk=actual.pk)
        if used + actual.amount > limit:
            return NteResult(
                NteStatus.FAILED,
                level,
                _(
                    "Not-to-exceed limit of the %(level)s exceeded: %(used)s invoiced and in the "
                    "backlog + %(amount)s = %(total)s, limit %(limit)s %(cur)s."
                )
                % {
                    "level": NteLevel(level).label.lower(),
                    "used": used,
                    "amount": actual.amount,
                    "total": used + actual.amount,
                    "limit": limit,
                    "cur": actual.currency,
                },
            )
    return NteResult(NteStatus.OK)
