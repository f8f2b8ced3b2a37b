"""The fiscal calendar: the first and last day a date the product takes may fall on.

Every date a person or a script gives (a time or expense entry's date, an invoice's invoice,
accounting and due date, a contract's create-invoice *up to* date, an invoice run's date, a
milestone's date) is checked here, by :func:`check_in_calendar`, before anything is written.
Without it an invoice dated 9999-12-31 broke its PDF, its proposal page and its posting (its
due date overflowed), a run for 9999-12-31 marked every future schedule row done, and time
dated 0001-01-01 was never imported into the journal (no period covers it).

Decisions:

- **The calendar is the ledger's fiscal years.** A legal entity's calendar runs from the first
  day of its first fiscal year to the last day of its last one (a gap between fiscal years is
  the ledger's business: posting into it is refused there, with its own message). A date that
  belongs to no legal entity in particular (an invoice run, which bills every contract; an
  invoice for a selection of several contracts) is checked against the union of every legal
  entity's calendar.
- **It lives in the bottom layer.** The ledger owns :class:`ledger.models.FiscalYear`, but
  milestones and invoice schedules live in ``contracts``, which may not import the ledger. The
  fiscal years hang off :class:`~contracts.models.LegalEntity` (``fiscal_years``), so this
  module reads them through that reverse relation, never importing upwards, and every app uses
  this one function.
- **No fiscal year yet → the sane range.** A legal entity without any fiscal year (finance not
  set up yet) has no calendar; its dates are then held only to :data:`EARLIEST` –
  :data:`LATEST`, the same range PostgreSQL's ``CHECK`` constraints keep as a backstop on the
  entry, invoice and run dates (years 1900–2999). Posting still needs a period, and says so.
- **The message names the field and the range**, in the reader's language and date format:
  ``Invoice date must fall within the fiscal calendar: 2026-01-01 – 2026-12-31.`` Errors are a
  :class:`~django.core.exceptions.ValidationError` keyed by the field, so the API answers 400
  naming it and a form shows it beside the field.
- A calendar date is necessary, not sufficient: the other rules stay (``FUTURE_ENTRY_DAYS`` for
  entries, closed periods for posting, *not after today* for runs).
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max, Min, Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from contracts.models import LegalEntity
from contracts.numbers import show_date

#: The widest range any date may take (PostgreSQL's CHECK constraints hold the same one).
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2999, 12, 31)


def sane_date_q(field: str) -> Q:
    """``field`` between :data:`EARLIEST` and :data:`LATEST`: the condition of the database's
    backstop ``CHECK`` constraints."""
    return Q(**{f"{field}__gte": EARLIEST, f"{field}__lte": LATEST})


@dataclass(frozen=True, kw_only=True)
class FiscalCalendar:
    """The first and last day of a fiscal calendar (both included)."""

    first_day: dt.date
    last_day: dt.date

    def covers(self, day: dt.date) -> bool:
        return self.first_day <= day <= self.last_day

    def refusal(self, label: Any) -> str:
        """The sentence that refuses a date of the field called ``label``."""
        return _("%(field)s must fall within the fiscal calendar: %(first)s – %(last)s.") % {
            "field": capfirst(str(label)),
            "first": show_date(self.first_day),
            "last": show_date(self.last_day),
        }


def fiscal_calendar(*, legal_entity: LegalEntity | None = None) -> FiscalCalendar:
    """The fiscal calendar of ``legal_entity`` (``None``: of every legal entity together);
    :data:`EARLIEST` – :data:`LATEST` when there is no fiscal year."""
    entities = LegalEntity.objects.all()
    if legal_entity is not None:
        entities = entities.filter(pk=legal_entity.pk)
    bounds = entities.aggregate(
        first=Min("fiscal_years__start_date"), last=Max("fiscal_years__end_date")
    )
    if bounds["first"] is None or bounds["last"] is None:
        return FiscalCalendar(first_day=EARLIEST, last_day=LATEST)
    return FiscalCalendar(first_day=bounds["first"], last_day=bounds["last"])


def calendar_errors(
    dates: dict[str, tuple[dt.date | None, Any]], *, legal_entity: LegalEntity | None
) -> dict[str, list[str]]:
    """``{field: (date, label)}`` → the refusals of the dates outside the calendar, by field
    (``None`` dates are skipped; the calendar is read once, and only when needed)."""
    given = {field: pair for field, pair in dates.items() if pair[0] is not None}
    if not given:
        return {}
    calendar = fiscal_calendar(legal_entity=legal_entity)
    return {
        field: [calendar.refusal(label)]
        for field, (day, label) in given.items()
        if day is not None and not calendar.covers(day)
    }


def check_in_calendar(
    day: dt.date | None, *, field: str, label: Any, legal_entity: LegalEntity | None
) -> None:
    """Raise ``ValidationError({field: [reason]})`` when ``day`` lies outside the fiscal
    calendar (``None`` passes: whether a date is required is the caller's rule)."""
    errors = calendar_errors({field: (day, label)}, legal_entity=legal_entity)
    if errors:
        raise ValidationError(errors)
