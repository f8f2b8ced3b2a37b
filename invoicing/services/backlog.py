"""The billing backlog's bulk actions: ready, not ready, write off (DOMAIN.md §4).

Each action takes the selected ids and changes all of them or none: an item that may not take
the change (not-to-exceed failed, already on an invoice, written off) refuses the whole
selection with a message naming how many and why (HTTP 409), and nothing changes.
"""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from actuals.models import Actual, ActualType, BillingStatus, BillingType, NteStatus
from contracts.errors import StateConflict


class BacklogStateError(StateConflict):
    """Some selected items cannot take the action (HTTP 409)."""


def _lock(actual_ids: Sequence[int], scope: QuerySet[Actual]) -> list[Actual]:
    if not actual_ids:
        raise ValidationError({"ids": [_("Select at least one backlog item.")]})
    rows = list(
        scope.select_for_update()
        .filter(pk__in=list(actual_ids), actual_type=ActualType.UNBILLED_SALES)
        .order_by("pk")
    )
    missing = set(actual_ids) - {a.pk for a in rows}
    if missing:
        raise ValidationError(
            {
                "ids": [
                    _("Unknown backlog items: %(ids)s.")
                    % {"ids": ", ".join(map(str, sorted(missing)))}
                ]
            }
        )
    return rows


def _refuse(rows: list[Actual], message: str) -> None:
    if rows:
        raise BacklogStateError(
            message % {"n": len(rows), "ids": ", ".join(str(a.pk) for a in rows[:10])}
        )


def _refuse_busy(rows: list[Actual]) -> None:
    """Refuse items no longer in the backlog's hands (on an invoice, written off, cancelled)."""
    busy = [
        a for a in rows if a.billing_status not in (BillingStatus.NOT_READY, BillingStatus.READY)
    ]
    _refuse(
        busy,
        ngettext(
            "%(n)d item is already on an invoice, written off or cancelled (%(ids)s).",
            "%(n)d items are already on an invoice, written off or cancelled (%(ids)s).",
            len(busy),
        ),
    )


def mark_ready(*, actual_ids: Sequence[int], scope: QuerySet[Actual]) -> int:
    """Mark chargeable, not-ready items ready to invoice. ``scope`` is what the caller may see
    (a project manager's own contracts)."""
    with transaction.atomic(durable=True):
        rows = _lock(actual_ids, scope)
        _refuse(
            [a for a in rows if a.nte_status == NteStatus.FAILED],
            ngettext(
                "%(n)d item failed its not-to-exceed limit and cannot be marked ready "
                "(%(ids)s): raise the limit and re-evaluate, or write it off.",
                "%(n)d items failed their not-to-exceed limit and cannot be marked ready "
                "(%(ids)s): raise the limit and re-evaluate, or write them off.",
                len([a for a in rows if a.nte_status == NteStatus.FAILED]),
            ),
        )
        not_chargeable = [a for a in rows if a.billing_type != BillingType.CHARGEABLE]
        _refuse(
            not_chargeable,
            ngettext(
                "%(n)d item is not chargeable and is never billed (%(ids)s).",
                "%(n)d items are not chargeable and are never billed (%(ids)s).",
                len(not_chargeable),
            ),
        )
        _refuse_busy(rows)
        return Actual.objects.filter(
            pk__in=[a.pk for a in rows], billing_status=BillingStatus.NOT_READY
        ).update(billing_status=BillingStatus.READY)


def mark_not_ready(*, actual_ids: Sequence[int], scope: QuerySet[Actual]) -> int:
    with transaction.atomic(durable=True):
        rows = _lock(actual_ids, scope)
        _refuse_busy(rows)
        return Actual.objects.filter(
            pk__in=[a.pk for a in rows], billing_status=BillingStatus.READY
        ).update(billing_status=BillingStatus.NOT_READY)


def write_off(*, actual_ids: Sequence[int], reason: str, scope: QuerySet[Actual]) -> int:
    """Write items off (never billed), keeping the reason on each."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why these items are written off.")]})
    with transaction.atomic(durable=True):
        rows = _lock(actual_ids, scope)
        _refuse_busy(rows)
        return Actual.objects.filter(pk__in=[a.pk for a in rows]).update(
            billing_status=BillingStatus.WRITTEN_OFF, write_off_reason=reason.strip()
        )
