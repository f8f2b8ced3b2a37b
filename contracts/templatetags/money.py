"""Amounts for people: formatted for the active language (``{% load money %}``).

``{{ x.amount|amount }}`` gives ``1,600.00`` in English and ``1.600,00`` in Dutch: two decimals
and thousand separators, whatever ``USE_THOUSAND_SEPARATOR`` says (which stays off, so that ids
and years are never grouped). ``{{ x.amount|amount:x.currency }}`` rounds to the currency's minor
unit and appends the code: ``1.600,00 EUR`` (``JPY`` has no decimals). Empty for ``None`` or
``""``; a value that is not a number is shown as it is.

``{% number_separators %}`` gives the active language's separators as data attributes, for
scripts that format numbers (``data-decimal-separator="," data-thousand-separator="."``).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.formats import get_format, number_format
from django.utils.html import format_html

from contracts.money import MONEY_PLACES, minor_unit, round_money, round_quantity

register = template.Library()


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


@register.filter(is_safe=False)
def amount(value: Any, currency: str | None = None) -> str:
    if value is None or value == "":
        return ""
    number = _decimal(value)
    if number is None or not number.is_finite():
        return str(value)
    if currency:
        number = round_money(number, str(currency))
        places = -int(minor_unit(str(currency)).as_tuple().exponent)
    else:
        number = round_quantity(number)
        places = MONEY_PLACES
    text = number_format(number, places, use_l10n=True, force_grouping=True)
    return f"{text} {currency}" if currency else text


@register.simple_tag
def number_separators() -> str:
    return format_html(
        'data-decimal-separator="{}" data-thousand-separator="{}"',
        get_format("DECIMAL_SEPARATOR"),
        get_format("THOUSAND_SEPARATOR"),
    )
