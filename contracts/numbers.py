"""Numbers typed by people, read in the language of the page they typed them on.

Decision: a number a person types is read with the separators of the active language
(``DECIMAL_SEPARATOR`` / ``THOUSAND_SEPARATOR`` of ``invoicing/formats``): ``7,5`` is seven
and a half on a Dutch page, ``7.5`` on an English one. What could be read two ways is refused
with a message that shows both readings, never guessed, because a guess that is wrong
multiplies hours or money by ten or a thousand:

- digits with one decimal separator of the language: read (``7,5`` in Dutch, ``7.5`` in
  English; ``,5`` and ``5,`` too);
- thousands separators only in groups of three and only where they cannot be a decimal
  separator of the other language: ``1.234,50`` and ``1.234.567`` in Dutch are read;
  ``1.500`` alone is refused (1500 here, 1.5 to an English reader);
- the other language's decimal separator where this language has none (``7.5`` on a Dutch
  page, ``7,5`` on an English one): refused, with the number written this language's way;
- spaces (also non-breaking) inside or around the number, and a leading ``+`` or ``-``, are
  allowed; anything else (letters, two decimal separators, ``1e3``) is refused;
- only the digits 0-9: Python's ``Decimal`` and ``int`` read other scripts' digits too
  (Arabic-Indic ``٣`` is 3, full-width ``３`` too), which nobody means in hours or money and
  which a reviewer cannot check at a glance, so they are refused with "Use the digits 0-9."
  (:func:`has_foreign_digits`, :data:`DIGITS_0_9`). The API's strict number fields
  (``contracts.serializers.common``) and the CSV import use the same check.

The REST API reads no separators of a language: JSON numbers and strings there always use a
point. It refuses other digits than 0-9 as the pages do.
"""

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: The message for a number written with other digits than 0-9 (pages, API and imports).
DIGITS_0_9 = gettext_lazy("Use the digits 0-9.")

#: An id or whole number as text: ASCII digits only (``str.isdigit`` takes ``٣`` and ``²``).
ASCII_INTEGER = re.compile(r"[0-9]+")


class NumberRefused(ValueError):
    """The text is not a number in the page's language; ``str()`` says why, to the user."""


def _separators() -> tuple[str, str]:
    decimal = str(formats.get_format("DECIMAL_SEPARATOR"))
    return decimal, "," if decimal == "." else "."


def has_foreign_digits(text: str) -> bool:
    """Whether ``text`` holds a digit (or other numeral) that is not one of 0-9."""
    return any(not ch.isascii() and ch.isnumeric() for ch in text)


def ascii_id(raw: Any) -> int | None:
    """``raw`` as a whole number when it is written with 0-9 only, else None: for
    ids and versions read from a page's form or a query string."""
    text = str(raw)
    return int(text) if ASCII_INTEGER.fullmatch(text) else None


def ascii_ids(raws: Any) -> list[int]:
    """The ids among ``raws`` written with 0-9 (ticked rows of a page); others are skipped."""
    return [number for number in map(ascii_id, raws) if number is not None]


def parse_number(text: str) -> Decimal:
    """Read ``text`` with the active language's separators (see the module)."""
    if has_foreign_digits(text):
        raise NumberRefused(str(DIGITS_0_9))
    decimal, group = _separators()
    compact = re.sub(r"[\s\u00a0\u202f]", "", text)
    match = re.fullmatch(r"([+-]?)([0-9.,]+)", compact)
    if not match or not re.search(r"[0-9]", match[2]):
        raise NumberRefused(_("“%(text)s” is not a number.") % {"text": text.strip()})
    sign, body = match[1], match[2]
    whole, _sep, fraction = body.partition(decimal)
    if decimal in fraction:
        raise NumberRefused(
            _("“%(text)s” has more than one decimal separator.") % {"text": text.strip()}
        )
    if group in fraction:
        raise NumberRefused(_("“%(text)s” is not a number.") % {"text": text.strip()})
    if group in whole:
        groups = whole.split(group)
        well_grouped = 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
        if not well_grouped:
            if len(groups) == 2 and not _sep:
                raise NumberRefused(
                    _("Use “%(decimal)s” for decimals: %(suggestion)s.")
                    % {"decimal": decimal, "suggestion": sign + decimal.join(groups)}
                )
            raise NumberRefused(_("“%(text)s” is not a number.") % {"text": text.strip()})
        if len(groups) == 2 and not _sep:
            raise NumberRefused(
                _("“%(text)s” could be read two ways: write %(whole)s or %(decimal)s.")
                % {
                    "text": text.strip(),
                    "whole": sign + "".join(groups),
                    "decimal": sign + decimal.join(groups),
                }
            )
        whole = "".join(groups)
    return Decimal(sign + (whole or "0") + ("." + fraction if fraction else ""))


def show_date(day: Any) -> str:
    """A date (or moment, local time) as the reader's language writes it in tables and
    messages (``SHORT_DATE_FORMAT``: 2026-03-02 in English, 02-03-2026 in Dutch): one date
    format per language, also inside sentences."""
    if isinstance(day, dt.datetime):
        return formats.date_format(timezone.localtime(day), "SHORT_DATETIME_FORMAT")
    return formats.date_format(day, "SHORT_DATE_FORMAT")
