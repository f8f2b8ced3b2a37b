"""Price resolution: which price list applies on a date, and the price it gives.

Reads only. The contract's own sales list wins over the standard list when it prices the role
or category; otherwise the standard list of the kind and currency applies. No list, or two
lists effective on the same date, gives price 0 and a warning that says so: never a guess.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from contracts.models import (
    CategoryPrice,
    Contract,
    ExpenseCategory,
    PriceList,
    PriceListKind,
    PricingMethod,
    Role,
    RolePrice,
)
from contracts.money import HUNDRED, ZERO


@dataclass(frozen=True)
class Price:
    """A unit price (per hour or per unit), or a rule over the cost for at-cost / markup."""

    unit_price: Decimal
    price_list: PriceList | None = None
    method: str = PricingMethod.PER_UNIT
    markup_percent: Decimal = ZERO
    warning: str = ""

    def apply_to_cost(self, unit_cost: Decimal) -> Decimal:
        """The sales unit price of an expense whose cost per unit is ``unit_cost``."""
        if self.method == PricingMethod.AT_COST:
            return unit_cost
        if self.method == PricingMethod.MARKUP:
            return unit_cost * (HUNDRED + self.markup_percent) / HUNDRED
        return self.unit_price


def effective_price_lists(*, kind: str, currency: str, on_date: dt.date) -> QuerySet[PriceList]:
    return PriceList.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on_date),
        kind=kind,
        currency=currency,
        valid_from__lte=on_date,
    )


def _candidate_lists(
    *, kind: str, currency: str, on_date: dt.date, contract: Contract | None
) -> list[list[PriceList]]:
    """Lists to try, most specific first: the contract's own, then the standard ones."""
    lists = effective_price_lists(kind=kind, currency=currency, on_date=on_date)
    tiers = []
    if contract is not None and kind == PriceListKind.SALES:
        tiers.append(list(lists.filter(contract=contract).order_by("pk")[:2]))
    tiers.append(list(lists.filter(contract__isnull=True).order_by("pk")[:2]))
    return tiers


def _what(kind: str) -> str:
    return _("sales") if kind == PriceListKind.SALES else _("cost")


def resolve_role_price(
    *, kind: str, currency: str, role: Role, on_date: dt.date, contract: Contract | None = None
) -> Price:
    for tier in _candidate_lists(kind=kind, currency=currency, on_date=on_date, contract=contract):
        prices = list(
            RolePrice.objects.filter(price_list__in=tier, role=role).select_related("price_list")
        )
        if len(prices) > 1:
            return Price(
                ZERO,
                warning=_("Two %(kind)s price lists in %(cur)s apply on %(date)s; price set to 0.")
                % {"kind": _what(kind), "cur": currency, "date": on_date},
            )
        if prices:
            return Price(prices[0].price, prices[0].price_list)
    return Price(
        ZERO,
        warning=_("No %(kind)s price for role %(role)s in %(cur)s on %(date)s; price set to 0.")
        % {"kind": _what(kind), "role": role, "cur": currency, "date": on_date},
    )


def resolve_category_price(
    *,
    kind: str,
    currency: str,
    category: ExpenseCategory,
    on_date: dt.date,
    contract: Contract | None = None,
) -> Price:
    for tier in _candidate_lists(kind=kind, currency=currency, on_date=on_date, contract=contract):
        prices = list(
            CategoryPrice.objects.filter(price_list__in=tier, category=category).select_related(
                "price_list"
            )
        )
        if len(prices) > 1:
            return Price(
                ZERO,
                warning=_("Two %(kind)s price lists in %(cur)s apply on %(date)s; price set to 0.")
                % {"kind": _what(kind), "cur": currency, "date": on_date},
            )
        if prices:
            p = prices[0]
            return Price(
                p.price if p.price is not None else ZERO,
                p.price_list,
                method=p.method,
                markup_percent=p.markup_percent or ZERO,
            )
    return Price(
        ZERO,
        warning=_("No %(kind)s price for category %(cat)s in %(cur)s on %(date)s; price set to 0.")
        % {"kind": _what(kind), "cat": category, "cur": currency, "date": on_date},
    )
