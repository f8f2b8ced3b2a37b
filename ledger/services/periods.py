"""Fiscal years and periods: create, close, reopen."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from contracts.models import LegalEntity
from ledger.models import (
    FiscalYear,
    Period,
    PeriodStatus,
)

from .errors import PeriodStateError


def _set_period_status(
    *, period: Period, status: str, changed_by: Any, changed_at: dt.datetime
) -> Period:
    with transaction.atomic():
        locked = Period.objects.select_for_update().select_related("fiscal_year").get(pk=period.pk)
        if locked.status == status:
            raise PeriodStateError(
                _("Period %(n)s of %(year)s is already %(status)s.")
                % {
                    "n": locked.number,
                    "year": locked.fiscal_year.year,
                    "status": PeriodStatus(status).label,
                }
            )
        locked.status = status
        locked.status_changed_at = changed_at
        locked.status_changed_by = changed_by
        locked.save(update_fields=["status", "status_changed_at", "status_changed_by"])
    return locked


def close_period(*, period: Period, closed_by: Any, closed_at: dt.datetime) -> Period:
    """Close a period: from then on no entry may be dated in it (PostgreSQL refuses too)."""
    return _set_period_status(
        period=period, status=PeriodStatus.CLOSED, changed_by=closed_by, changed_at=closed_at
    )


def reopen_period(*, period: Period, reopened_by: Any, reopened_at: dt.datetime) -> Period:
    return _set_period_status(
        period=period, status=PeriodStatus.OPEN, changed_by=reopened_by, changed_at=reopened_at
    )


def create_fiscal_year(*, legal_entity: LegalEntity, year: int) -> FiscalYear:
    """A calendar fiscal year with twelve open monthly periods (idempotent)."""
    with transaction.atomic():
        fiscal_year, _created = FiscalYear.objects.get_or_create(
            legal_entity=legal_entity,
            year=year,
            defaults={"start_date": dt.date(year, 1, 1), "end_date": dt.date(year, 12, 31)},
        )
        for month in range(1, 13):
            start = dt.date(year, month, 1)
            end = (
                dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
            ) - dt.timedelta(days=1)
            Period.objects.get_or_create(
                fiscal_year=fiscal_year,
                number=month,
                defaults={"start_date": start, "end_date": end},
            )
    return fiscal_year
