"""Money helpers: currencies and the one rounding rule.

Amounts are ``Decimal`` beside a currency code, never floats. Every amount is rounded half-up
to the currency's minor unit exactly once, where it is made (DOMAIN.md §5): totals are sums of
rounded amounts.
"""

from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from babel.numbers import get_currency_precision, list_currencies
from django.db import models

MONEY_PLACES = 2


def money_field(verbose_name: Any = None, **kwargs: Any) -> models.DecimalField:
    """An amount column: 20 digits, 2 places; the currency is stored beside it."""
    return models.DecimalField(verbose_name, max_digits=20, decimal_places=MONEY_PLACES, **kwargs)


def quantity_field(verbose_name: Any = None, **kwargs: Any) -> models.DecimalField:
    """A quantity column (hours, kilometres, units)."""
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


def price_field(verbose_name: Any = None, **kwargs: Any) -> models.DecimalField:
    """A unit price or rate (four places: 0.2345 per km is a real price)."""
    return models.DecimalField(verbose_name, max_digits=20, decimal_places=4, **kwargs)


def percent_field(verbose_name: Any = None, **kwargs: Any) -> models.DecimalField:
    """A percentage (split %, markup %, VAT rate)."""
    return models.DecimalField(verbose_name, max_digits=7, decimal_places=4, **kwargs)


ZERO = Decimal("0")
HUNDRED = Decimal("100")
#: The smallest magnitude an amount column cannot hold: a service that computes an amount
#: refuses one this large as bad input rather than leave it to PostgreSQL.
AMOUNT_LIMIT = Decimal(10) ** (20 - MONEY_PLACES)


@cache
def currency_codes() -> frozenset[str]:
    """ISO 4217 codes known to CLDR (through Babel)."""
    return frozenset(list_currencies())


def is_currency(code: str) -> bool:
    return code in currency_codes()


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency``: ``Decimal('0.01')`` for EUR, ``Decimal('1')`` for JPY.

    Never finer than the two places every amount column keeps.
    """
    places = min(get_currency_precision(currency), MONEY_PLACES)
    return Decimal(1).scaleb(-places)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit (the only rounding of money in the product)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, not {type(amount).__name__}")
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def round_quantity(quantity: Decimal) -> Decimal:
    return quantity.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def split_by_percent(
    total: Decimal, shares: list[tuple[Decimal, bool]], quantum: Decimal
) -> list[Decimal]:
    """Split ``total`` by percentages so that the parts add up exactly.

    ``shares`` are ``(percent, is_rounding)`` pairs summing to 100 with exactly one rounding
    share. Each part is ``total × percent / 100`` rounded half-up to ``quantum``; the rounding
    share takes what is left, so ``sum(parts) == total`` always.
    """
    if sum((p for p, _ in shares), ZERO) != HUNDRED:
        raise ValueError("split percentages must sum to 100")
    if sum(1 for _, r in shares if r) != 1:
        raise ValueError("exactly one share must be the rounding share")
    parts = [
        ZERO if rounding else (total * pct / HUNDRED).quantize(quantum, rounding=ROUND_HALF_UP)
        for pct, rounding in shares
    ]
    rounding_index = next(i for i, (_, r) in enumerate(shares) if r)
    parts[rounding_index] = total - sum(parts, ZERO)
    return parts
