"""The billing lifecycle: the one owner of the billing state of unbilled actuals and milestones.

Nothing else writes :class:`~actuals.models.ActualBilling` rows or moves a milestone: the
backlog pages and API, approval, the invoice run, drafts, confirmation and credit notes all
call the verbs here. Each verb is one move of :data:`~actuals.models.BILLING_MOVES` (or of
:data:`~contracts.models.MILESTONE_MOVES`, through the milestone's django-fsm-2 transitions),
checked here before anything is written and refused by PostgreSQL otherwise.

=====================  ===========================  ========================================
verb                   move                         who calls it
=====================  ===========================  ========================================
:func:`open_items`     (new) → not ready            approval; a credit note's returned hours
:func:`reevaluate_nte` (not-to-exceed re-check)     the project manager, after raising a limit
:func:`mark_ready`     not ready → ready            the project manager (backlog)
:func:`mark_not_ready` ready → not ready            the project manager
:func:`write_off`      not ready / ready → written  the project manager, with a reason
:func:`reverse_write_off` written off → not ready   the project manager
:func:`cancel`         not ready / ready → cancel   cancelling an approval (with reversals)
:func:`claim_ready`    ready → on draft (set-based) creating invoices (run, contract, selection)
:func:`claim`          (not) ready → on draft       re-invoicing what a credit note credited
:func:`release`        on draft → ready             removing a detail, deleting a draft
:func:`invoice`        on draft → invoiced          confirming an invoice (writes billed actuals)
:func:`credit`         (billed actual) → new items  confirming a credit note
=====================  ===========================  ========================================

**Billable** has one meaning: an unbilled sales actual that is not *non-chargeable*
(:func:`is_billable`), copied to ``ActualBilling.billable`` when the item is opened; only a billable
item whose not-to-exceed check passed can be ready, on a draft or invoiced (a check constraint).

**Locks.** Every move first locks the contracts it touches, in id order, ``FOR NO KEY UPDATE``
(:func:`lock_contracts`): the billing of one contract is serialised, and two billers never wait
on each other in a cycle. The row changes that follow then need no ordering of their own.

The manager's bulk moves change all the selected items or none: an item that cannot take the
move refuses the selection with a message naming how many and why (:class:`BillingStateError`,
HTTP 409), and nothing changes.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_fsm import can_proceed

from actuals import journal, nte, wip
from actuals.models import (
    BACKLOG_STATUSES,
    BILLING_MOVES,
    Actual,
    ActualBilling,
    ActualType,
    BillingStatus,
    BillingType,
    NteStatus,
    WipMovementKind,
)
from actuals.nte import NteResult
from contracts.errors import StateConflict
from contracts.models import Contract, Milestone, MilestoneStatus
from contracts.money import round_money
from ledger.models import PeriodStatus
from ledger.services import post_entry


def is_billable(actual: Actual) -> bool:
    """The one billable rule: an unbilled sales actual that may go on an invoice (it is not
    *non-chargeable*). Applied once, when the item is opened (``ActualBilling.billable``)."""
    return (
        actual.actual_type == ActualType.UNBILLED_SALES
        and actual.billing_type != BillingType.NON_CHARGEABLE
    )


class BillingStateError(StateConflict):
    """Some items cannot take the move (HTTP 409); the message says how many and why."""


def lock_contracts(contract_ids: Iterable[int | None]) -> None:
    """The row locks every billing move takes first: the contracts, in id order."""
    ids = sorted({i for i in contract_ids if i is not None})
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM contracts_contract WHERE id = ANY(%s) ORDER BY id"
                " FOR NO KEY UPDATE",
                [ids],
            )


def _allowed(source: str, verb: str) -> bool:
    return BILLING_MOVES.get((source, _target(verb))) == verb


def _target(verb: str) -> str:
    return next(b for (_a, b), v in BILLING_MOVES.items() if v == verb)


# --- opening items ------------------------------------------------------------------------------


def open_items(actuals: Sequence[Actual], *, check_limits: bool = True) -> list[ActualBilling]:
    """Give new unbilled sales actuals (saved, originals) their billing rows, *not ready*,
    inside the caller's transaction, their contracts locked. A chargeable one is checked against
    the not-to-exceed limits (:func:`actuals.nte.check_nte`) in the order given, each counting
    the ones before it; ``check_limits=False`` passes them (hours a credit note brings back were
    billed within the limits once)."""
    with transaction.atomic(savepoint=False):
        lock_contracts(a.contract_id for a in actuals)
        rows = []
        for actual in actuals:
            assert actual.actual_type == ActualType.UNBILLED_SALES and actual.reverses_id is None
            check = NteResult(NteStatus.NOT_APPLICABLE)
            if actual.billing_type == BillingType.CHARGEABLE:
                check = nte.check_nte(actual=actual) if check_limits else NteResult(NteStatus.OK)
            assert actual.contract_id is not None and actual.contract_line_id is not None
            assert actual.line_customer is not None
            rows.append(
                ActualBilling.objects.create(
                    actual=actual,
                    contract_id=actual.contract_id,
                    contract_line_id=actual.contract_line_id,
                    contract_customer_id=actual.line_customer.contract_customer_id,
                    transaction_date=actual.transaction_date,
                    billable=is_billable(actual),
                    nte_status=check.status,
                    nte_failed_level=check.level,
                    nte_message=check.message,
                )
            )
        return rows


def reevaluate_nte(*, contract: Contract) -> list[ActualBilling]:
    """Re-check the contract's failed backlog items, oldest first (after a limit was raised).
    Returns the items whose check now passes (they stay *not ready*: the manager decides)."""
    cleared: list[ActualBilling] = []
    with transaction.atomic():
        lock_contracts([contract.pk])
        failed = (
            ActualBilling.objects.select_for_update(of=("self",))
            .filter(
                contract=contract,
                nte_status=NteStatus.FAILED,
                status__in=BACKLOG_STATUSES,
            )
            .select_related("actual__line_customer", "actual__contract_line", "actual__contract")
            .order_by("actual__created_at", "actual_id")
        )
        for item in failed:
            check = nte.check_nte(actual=item.actual)
            if (check.status, check.level, check.message) != (
                item.nte_status,
                item.nte_failed_level,
                item.nte_message,
            ):
                item.nte_status, item.nte_failed_level, item.nte_message = (
                    check.status,
                    check.level,
                    check.message,
                )
                item.save(update_fields=["nte_status", "nte_failed_level", "nte_message"])
            if item.nte_status == NteStatus.OK:
                cleared.append(item)
    return cleared


# --- the project manager's moves --------------------------------------------------------------


def _lock_items(actual_ids: Sequence[int], scope: QuerySet[Actual]) -> list[ActualBilling]:
    """The items (within what the caller may see), their contracts locked first."""
    if not actual_ids:
        raise ValidationError({"ids": [_("Select at least one backlog item.")]})
    visible = scope.filter(pk__in=list(actual_ids), billing__isnull=False)
    contracts = visible.values_list("contract_id", flat=True).distinct()
    lock_contracts(contracts)
    rows = list(
        ActualBilling.objects.select_for_update()
        .filter(actual__in=visible.values("pk"))
        .order_by("actual_id")
    )
    missing = set(actual_ids) - {r.actual_id for r in rows}
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


def _text(rows: Sequence[ActualBilling], message: str) -> str:
    return message % {"n": len(rows), "ids": ", ".join(str(r.actual_id) for r in rows[:10])}


def _refuse(rows: Sequence[ActualBilling], message: str) -> None:
    if rows:
        raise BillingStateError(_text(rows, message))


def _busy(rows: Sequence[ActualBilling], verb: str) -> tuple[list[ActualBilling], str]:
    """Items no longer in the manager's hands (on an invoice, written off, cancelled)."""
    busy = [r for r in rows if not _allowed(r.status, verb) and r.status != _target(verb)]
    return busy, ngettext(
        "%(n)d item is already on an invoice, written off or cancelled (%(ids)s).",
        "%(n)d items are already on an invoice, written off or cancelled (%(ids)s).",
        len(busy),
    )


def _refuse_busy(rows: Sequence[ActualBilling], verb: str) -> None:
    _refuse(*_busy(rows, verb))


def _move(rows: Sequence[ActualBilling], verb: str, **values: Any) -> int:
    """Move the rows that can make the move (the others are already there)."""
    ids = [r.actual_id for r in rows if _allowed(r.status, verb)]
    return ActualBilling.objects.filter(actual_id__in=ids).update(status=_target(verb), **values)


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk move did: how many items moved, and why the others did not (one message
    per reason, with their count and first ids)."""

    moved: int
    skipped: list[str]


def _refusals(rows: Sequence[ActualBilling], verb: str) -> list[tuple[list[ActualBilling], str]]:
    """The items that cannot make the move, grouped by reason (in the order they are told)."""
    groups: list[tuple[list[ActualBilling], str]] = []
    if verb == "mark_ready":
        failed = [r for r in rows if r.nte_status == NteStatus.FAILED]
        groups.append(
            (
                failed,
                ngettext(
                    "%(n)d item failed its not-to-exceed limit and cannot be marked ready "
                    "(%(ids)s): raise the limit and re-evaluate, or write it off.",
                    "%(n)d items failed their not-to-exceed limit and cannot be marked ready "
                    "(%(ids)s): raise the limit and re-evaluate, or write them off.",
                    len(failed),
                ),
            )
        )
        not_billable = [r for r in rows if not r.billable]
        groups.append(
            (
                not_billable,
                ngettext(
                    "%(n)d item is not chargeable and is never billed (%(ids)s).",
                    "%(n)d items are not chargeable and are never billed (%(ids)s).",
                    len(not_billable),
                ),
            )
        )
    groups.append(_busy(rows, verb))
    return [(group, message) for group, message in groups if group]


def _mark(
    actual_ids: Sequence[int], scope: QuerySet[Actual], verb: str, *, partial: bool
) -> BulkOutcome:
    """Mark items ready / not ready: all or nothing (the first reason refuses the whole
    selection), or, ``partial``, every item that can move, telling why the others did not."""
    with transaction.atomic(durable=True):
        rows = _lock_items(actual_ids, scope)
        refusals = _refusals(rows, verb)
        if refusals and not partial:
            _refuse(*refusals[0])
        refused = {r.actual_id for group, _message in refusals for r in group}
        moved = _move([r for r in rows if r.actual_id not in refused], verb)
        return BulkOutcome(moved, [_text(group, message) for group, message in refusals])


def mark_ready(*, actual_ids: Sequence[int], scope: QuerySet[Actual]) -> int:
    """Mark billable, not-ready items ready to invoice, all or none. ``scope`` is what the
    caller may see (a project manager's own contracts)."""
    return _mark(actual_ids, scope, "mark_ready", partial=False).moved


def mark_not_ready(*, actual_ids: Sequence[int], scope: QuerySet[Actual]) -> int:
    return _mark(actual_ids, scope, "mark_not_ready", partial=False).moved


def mark_where_possible(
    *, actual_ids: Sequence[int], scope: QuerySet[Actual], ready: bool
) -> BulkOutcome:
    """Mark ready (or not ready) every item of the selection that can be, and say why the
    rest cannot (the backlog page's bulk actions over a whole filter)."""
    return _mark(actual_ids, scope, "mark_ready" if ready else "mark_not_ready", partial=True)


def _post(
    posting: wip.WipPosting,
    *,
    actuals: Sequence[Actual],
    entry_date: dt.date,
    memo: str,
    by: Any,
    at: dt.datetime,
) -> None:
    """Post a WIP posting as one entry (per legal entity of the actuals' projects)."""
    if not posting.lines:
        return
    entities = {a.project.legal_entity for a in actuals}
    assert len(entities) == 1, "one write-off posts in one legal entity"
    entry = post_entry(
        legal_entity=entities.pop(),
        entry_date=entry_date,
        memo=memo,
        lines=posting.lines,
        posted_by=by,
        posted_at=at,
    )
    posting.record(entry)


def _locked_actuals(rows: Sequence[ActualBilling]) -> list[Actual]:
    return list(
        Actual.objects.select_related("project__legal_entity")
        .filter(pk__in=[r.actual_id for r in rows])
        .order_by("pk")
    )


def write_off(
    *, actual_ids: Sequence[int], reason: str, scope: QuerySet[Actual], by: Any, at: dt.datetime
) -> int:
    """Write items off (never billed), keeping the reason on each. What the journal or a credit
    note had accrued in WIP for them is posted out to the project's write-off account, at the
    amounts and rate it was booked at, dated on the day of ``at``; an item not in the ledger
    yet is taken out of the journal instead (its draft line is deleted, and it is not imported)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why these items are written off.")]})
    with transaction.atomic(durable=True):
        rows = _lock_items(actual_ids, scope)
        _refuse_busy(rows, "write_off")
        moving = [r for r in rows if _allowed(r.status, "write_off")]
        actuals = _locked_actuals(moving)
        journal.withdraw([a.pk for a in actuals])
        for entity_actuals in _by_legal_entity(actuals):
            balances = wip.wip_balances(entity_actuals)
            with entity_actuals[0].project.legal_entity.books_language():
                description = _("Written off: %(reason)s") % {"reason": reason}
                memo = ngettext(
                    "Write-off of %(n)d backlog item: %(reason)s",
                    "Write-off of %(n)d backlog items: %(reason)s",
                    len(entity_actuals),
                ) % {"n": len(entity_actuals), "reason": reason}
            _post(
                wip.clear(
                    list(balances.values()),
                    kind=WipMovementKind.WRITTEN_OFF,
                    description=description,
                ),
                actuals=entity_actuals,
                entry_date=timezone.localdate(at),
                memo=memo,
                by=by,
                at=at,
            )
        return _move(moving, "write_off", write_off_reason=reason)


def reverse_write_off(
    *, actual_ids: Sequence[int], scope: QuerySet[Actual], by: Any, at: dt.datetime
) -> int:
    """Bring written-off items back to the backlog (not ready). What their write-off posted out
    of WIP goes back, dated on the write-off's own date, so the period looks as if it never
    happened: refused once that period is closed. An item that was never in WIP goes back to
    the journal (the next import takes it)."""
    with transaction.atomic(durable=True):
        rows = _lock_items(actual_ids, scope)
        not_written_off = [r for r in rows if r.status != BillingStatus.WRITTEN_OFF]
        _refuse(
            not_written_off,
            ngettext(
                "%(n)d item is not written off (%(ids)s).",
                "%(n)d items are not written off (%(ids)s).",
                len(not_written_off),
            ),
        )
        actuals = {a.pk: a for a in _locked_actuals(rows)}
        by_entry: dict[int, list[tuple[Actual, Any, Decimal, Decimal]]] = {}
        for pk, (last, amount, accounting) in wip.written_off_balances(
            list(actuals.values())
        ).items():
            if last.entry.period.status != PeriodStatus.OPEN:
                raise BillingStateError(
                    _(
                        "Item %(id)s was written off in %(period)s (voucher %(voucher)s), which is "
                        "closed: the write-off can no longer be reversed."
                    )
                    % {
                        "id": pk,
                        "period": last.entry.period,
                        "voucher": last.entry.voucher_number,
                    }
                )
            by_entry.setdefault(last.entry_id, []).append((actuals[pk], last, amount, accounting))
        for items in by_entry.values():
            written = items[0][1].entry
            with written.legal_entity.books_language():
                description = _("Write-off reversed")
                memo = _("Reversal of write-off %(voucher)s") % {"voucher": written.voucher_number}
            _post(
                wip.restore(items, description=description),
                actuals=[i[0] for i in items],
                entry_date=written.entry_date,
                memo=memo,
                by=by,
                at=at,
            )
        return _move(rows, "reverse_write_off", write_off_reason="")


def _by_legal_entity(actuals: Sequence[Actual]) -> list[list[Actual]]:
    groups: dict[int, list[Actual]] = {}
    for actual in actuals:
        groups.setdefault(actual.project.legal_entity_id, []).append(actual)
    return [groups[k] for k in sorted(groups)]


def _lock_milestones(milestone_ids: Iterable[int]) -> list[Milestone]:
    ids = sorted(set(milestone_ids))
    lock_contracts(Milestone.objects.filter(pk__in=ids).values_list("line__contract_id", flat=True))
    return list(Milestone.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def _transition_milestones(
    milestones: Sequence[Milestone], verb: str, target_label: str, **kwargs: Any
) -> list[Milestone]:
    for m in milestones:
        transition = getattr(m, verb)
        if not can_proceed(transition):
            raise BillingStateError(
                _("Milestone %(name)s is %(status)s and cannot be marked %(target)s.")
                % {"name": m.name, "status": m.get_status_display(), "target": target_label}
            )
        transition(**kwargs)
    Milestone.objects.bulk_update(milestones, ["status", "status_changed_at", "ready_by"])
    return list(milestones)


def mark_milestones_ready(
    *, milestone_ids: Iterable[int], by: Any, at: dt.datetime
) -> list[Milestone]:
    with transaction.atomic(durable=True):
        return _transition_milestones(
            _lock_milestones(milestone_ids),
            "mark_ready",
            str(MilestoneStatus.READY.label),
            by=by,
            at=at,
        )


def mark_milestones_not_ready(*, milestone_ids: Iterable[int], at: dt.datetime) -> list[Milestone]:
    with transaction.atomic(durable=True):
        return _transition_milestones(
            _lock_milestones(milestone_ids),
            "mark_not_ready",
            str(MilestoneStatus.NOT_READY.label),
            at=at,
        )


# --- claiming ready items for drafts (set-based) ----------------------------------------------

#: The claim's result, for the caller's set-based inserts: one row per claimed actual or
#: milestone, with the contract, line and contract customer it is billed to.
CLAIM_TABLE = "billing_claim"

_CLAIM_TABLE_SQL = f"""
CREATE TEMP TABLE IF NOT EXISTS {CLAIM_TABLE} (
    actual_id bigint,
    milestone_id bigint,
    contract_id bigint NOT NULL,
    contract_line_id bigint NOT NULL,
    contract_customer_id bigint NOT NULL
) ON COMMIT DELETE ROWS
"""

# One UPDATE moves every ready item of the scope. The items are found first, through the
# partial index of ready items (per line, up to its cut-off: a lateral scan the planner may not
# flatten, so one index range per line however stale its statistics), and then updated where
# they lie (by ``ctid``; a row moved meanwhile is followed, and skipped unless still ready):
# nothing reads the rest of the table, however large it grows. The contracts are
# locked already, so nothing else moves these rows meanwhile. Only ready items are taken, and
# only billable items within their limit can be ready (a check constraint), so the claim needs
# no other condition, and no actual is read.
_CLAIM_ACTUALS = f"""
WITH claimed AS (
    UPDATE actuals_actualbilling b SET status = 'on_draft'
    WHERE b.ctid = ANY(ARRAY({{ready}})) AND b.status = 'ready'
    RETURNING b.actual_id, b.contract_id, b.contract_line_id, b.contract_customer_id
)
INSERT INTO {CLAIM_TABLE} (actual_id, contract_id, contract_line_id, contract_customer_id)
SELECT actual_id, contract_id, contract_line_id, contract_customer_id FROM claimed
"""

#: Ready items of lines, each up to its cut-off (``v``: line id, cut-off date).
_READY_BY_LINE = """
SELECT r.ctid FROM {lines} AS v(line_id, cut_off)
CROSS JOIN LATERAL (
    SELECT x.ctid FROM actuals_actualbilling x
    WHERE x.contract_line_id = v.line_id AND x.status = 'ready'
      AND (v.cut_off IS NULL OR x.transaction_date <= v.cut_off)
    OFFSET 0
) r
"""


@dataclass(frozen=True, kw_only=True)
class ClaimScope:
    """Which ready items to claim, of ``contract_ids``:

    - T&M items: of every line, dated up to ``up_to`` (all when ``None``); or, when
      ``line_cut_offs`` is given, only of those lines, each up to its cut-off; or, when
      ``actual_ids`` is given, only those;
    - milestones: dated up to ``milestones_up_to`` (all when ``None``); or only
      ``milestone_ids``. ``take_milestones=False`` takes none.
    """

    contract_ids: Sequence[int]
    up_to: dt.date | None = None
    line_cut_offs: Mapping[int, dt.date] | None = None
    actual_ids: Sequence[int] | None = None
    milestones_up_to: dt.date | None = None
    milestone_ids: Sequence[int] | None = None
    take_milestones: bool = True


def _actual_claim_sql(scope: ClaimScope) -> tuple[str, dict[str, Any]]:
    """The query of where the ready items to claim lie (``ctid``), and its parameters."""
    params: dict[str, Any] = {"contract_ids": list(scope.contract_ids)}
    if scope.actual_ids is not None:
        params["actual_ids"] = list(scope.actual_ids)
        return (
            "SELECT x.ctid FROM actuals_actualbilling x"
            " WHERE x.actual_id = ANY(%(actual_ids)s) AND x.contract_id = ANY(%(contract_ids)s)"
            " AND x.status = 'ready'"
        ), params
    if scope.line_cut_offs is not None:
        params["line_ids"] = list(scope.line_cut_offs)
        params["cut_offs"] = list(scope.line_cut_offs.values())
        lines = "unnest(%(line_ids)s::bigint[], %(cut_offs)s::date[])"
    else:
        params["up_to"] = scope.up_to
        lines = (
            "(SELECT id, %(up_to)s::date FROM contracts_contractline"
            " WHERE contract_id = ANY(%(contract_ids)s))"
        )
    return _READY_BY_LINE.format(lines=lines), params


def _claim_milestones(scope: ClaimScope, at: dt.datetime) -> list[Milestone]:
    if not scope.take_milestones or scope.milestone_ids == []:
        return []
    qs = Milestone.objects.filter(
        line__contract_id__in=list(scope.contract_ids), status=MilestoneStatus.READY
    )
    if scope.milestone_ids is not None:
        qs = qs.filter(pk__in=list(scope.milestone_ids))
    elif scope.milestones_up_to is not None:
        qs = qs.filter(milestone_date__lte=scope.milestones_up_to)
    milestones = list(
        qs.select_for_update(of=("self",)).select_related("line", "line_customer").order_by("pk")
    )
    for m in milestones:
        m.claim(at=at)
    Milestone.objects.bulk_update(milestones, ["status", "status_changed_at"])
    return milestones


def claim_ready(*, scope: ClaimScope, at: dt.datetime) -> int:
    """Move every ready item of the scope to *on draft* and list it in the temporary table
    :data:`CLAIM_TABLE` (emptied first; emptied at commit), inside the caller's transaction.
    Returns how many items were claimed. Actuals move set-based (one statement however many);
    milestones, a handful per contract, by their transitions."""
    lock_contracts(scope.contract_ids)
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_TABLE_SQL)
        cursor.execute(f"DELETE FROM {CLAIM_TABLE}")
        if scope.actual_ids != []:
            ready, params = _actual_claim_sql(scope)
            cursor.execute(_CLAIM_ACTUALS.format(ready=ready), params)
        milestones = _claim_milestones(scope, at)
        if milestones:
            cursor.execute(
                f"INSERT INTO {CLAIM_TABLE} (milestone_id, contract_id, contract_line_id,"
                " contract_customer_id) SELECT * FROM unnest(%s::bigint[], %s::bigint[],"
                " %s::bigint[], %s::bigint[])",
                [
                    [m.pk for m in milestones],
                    [m.line.contract_id for m in milestones],
                    [m.line_id for m in milestones],
                    [m.line_customer.contract_customer_id for m in milestones],
                ],
            )
        cursor.execute(f"SELECT count(*) FROM {CLAIM_TABLE}")
        return int(cursor.fetchone()[0])


def claim(*, actual_ids: Sequence[int], milestone_ids: Sequence[int], at: dt.datetime) -> None:
    """Put these items on a draft one by one (re-invoicing what a credit note credited): a
    returned item that is not ready yet is marked ready first. Refused, naming them, for items
    that are no longer in the backlog (already on another draft, invoiced again, written off)."""
    with transaction.atomic(savepoint=False):
        contract_ids = set(
            Actual.objects.filter(pk__in=list(actual_ids)).values_list("contract_id", flat=True)
        ) | set(
            Milestone.objects.filter(pk__in=list(milestone_ids)).values_list(
                "line__contract_id", flat=True
            )
        )
        lock_contracts(contract_ids)
        rows = list(
            ActualBilling.objects.select_for_update()
            .filter(actual_id__in=list(actual_ids))
            .order_by("actual_id")
        )
        gone = [r for r in rows if r.status not in (BillingStatus.NOT_READY, BillingStatus.READY)]
        gone += [r for r in rows if r.nte_status == NteStatus.FAILED or not r.billable]
        _refuse(
            gone,
            ngettext(
                "%(n)d item is no longer in the backlog and cannot be invoiced again here "
                "(%(ids)s): it is on another invoice, written off, or may not be billed.",
                "%(n)d items are no longer in the backlog and cannot be invoiced again here "
                "(%(ids)s): they are on another invoice, written off, or may not be billed.",
                len(gone),
            ),
        )
        _move(rows, "mark_ready")
        ActualBilling.objects.filter(actual_id__in=[r.actual_id for r in rows]).update(
            status=_target("claim")
        )
        milestones = list(
            Milestone.objects.select_for_update().filter(pk__in=list(milestone_ids)).order_by("pk")
        )
        for m in milestones:
            if not can_proceed(m.claim):
                raise BillingStateError(
                    _("Milestone %(name)s is %(status)s and cannot be invoiced again here.")
                    % {"name": m.name, "status": m.get_status_display()}
                )
            m.claim(at=at)
        Milestone.objects.bulk_update(milestones, ["status", "status_changed_at"])


def release(*, actual_ids: Sequence[int], milestone_ids: Sequence[int], at: dt.datetime) -> None:
    """Items taken off a draft (detail removed, draft deleted) go back to *ready*."""
    with transaction.atomic(savepoint=False):
        ActualBilling.objects.filter(
            actual_id__in=list(actual_ids), status=BillingStatus.ON_DRAFT
        ).update(status=_target("release"))
        milestones = list(
            Milestone.objects.select_for_update()
            .filter(pk__in=list(milestone_ids), status=MilestoneStatus.ON_DRAFT)
            .order_by("pk")
        )
        for m in milestones:
            m.release(at=at)
        Milestone.objects.bulk_update(milestones, ["status", "status_changed_at"])


# --- invoicing and crediting ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InvoicedItem:
    """One detail of an invoice being confirmed, as the invoice says: ``key`` is the caller's
    (the detail id). A T&M detail names its unbilled ``actual``; a milestone or fee detail names
    what its billed actual is booked on (``source`` values: project, contract, line, customer,
    class, date, texts)."""

    key: int
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    billing_type: str
    actual: Actual | None = None
    milestone_id: int | None = None
    source: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Invoiced:
    """What confirmation wrote for one detail: the billed actual, and the non-chargeable
    remainder when the invoice lowered the quantity."""

    billed: Actual
    given_away: Actual | None = None


def invoice(*, items: Sequence[InvoicedItem], at: dt.datetime) -> dict[int, Invoiced]:
    """Confirm: the items on a draft become *invoiced* (DOMAIN.md §5 "Confirmation"), inside
    the caller's transaction. For a T&M item the unbilled actual is reversed and a billed actual
    written for the quantity and amount on the invoice; a lowered quantity's remainder is a
    non-chargeable billed actual at the invoice's price (the value given away stays visible).
    A milestone gets a billed actual of its amount and is *invoiced*; a fee a billed actual."""
    actual_ids = [i.actual.pk for i in items if i.actual is not None]
    milestone_ids = [i.milestone_id for i in items if i.milestone_id is not None]
    with transaction.atomic(savepoint=False):
        on_draft = set(
            ActualBilling.objects.select_for_update()
            .filter(actual_id__in=actual_ids, status=BillingStatus.ON_DRAFT)
            .values_list("actual_id", flat=True)
        )
        if len(on_draft) != len(set(actual_ids)):
            raise BillingStateError(
                _("Some items of this invoice are no longer on it; reload the invoice.")
            )
        rows: list[Actual] = []
        written: dict[int, Invoiced] = {}
        for item in items:
            source = item.actual
            if source is None:
                billed = Actual(
                    actual_type=ActualType.BILLED_SALES,
                    quantity=item.quantity,
                    unit_price=item.unit_price,
                    amount=item.amount,
                    billing_type=item.billing_type,
                    milestone_id=item.milestone_id,
                    created_at=at,
                    **item.source,
                )
                rows.append(billed)
                written[item.key] = Invoiced(billed)
                continue
            rows.append(source.reversal(at=at))
            billed = source.derived(
                actual_type=ActualType.BILLED_SALES,
                quantity=item.quantity,
                unit_price=item.unit_price,
                amount=item.amount,
                billing_type=item.billing_type,
                created_at=at,
            )
            rows.append(billed)
            given_away = None
            if item.quantity < source.quantity:
                remainder = source.quantity - item.quantity
                given_away = source.derived(
                    actual_type=ActualType.BILLED_SALES,
                    quantity=remainder,
                    unit_price=item.unit_price,
                    amount=round_money(remainder * item.unit_price, source.currency),
                    billing_type=BillingType.NON_CHARGEABLE,
                    created_at=at,
                )
                rows.append(given_away)
            written[item.key] = Invoiced(billed, given_away)
        Actual.objects.bulk_create(rows)
        ActualBilling.objects.filter(actual_id__in=actual_ids).update(status=_target("invoice"))
        milestones = list(
            Milestone.objects.select_for_update().filter(pk__in=milestone_ids).order_by("pk")
        )
        for m in milestones:
            m.invoice(at=at)
        Milestone.objects.bulk_update(milestones, ["status", "status_changed_at", "invoiced_at"])
        return written


@dataclass(frozen=True, kw_only=True)
class CreditedItem:
    """One detail of a credit note being confirmed: ``billed`` is the billed actual that is
    billed now for the detail it credits, ``stays`` the quantity that stays billed (0 = all
    credited). ``returns`` says whether the credited quantity comes back to the backlog (T&M
    hours and expenses do; fees never came from it). A milestone is credited in full."""

    key: int
    billed: Actual
    stays: Decimal
    returns: bool
    milestone_id: int | None = None


@dataclass(frozen=True)
class Credited:
    """What a credit wrote: the reversal of the billed actual, the billed actual for what stays
    (none when all was credited) and the unbilled actual that brings the credited quantity back
    to the backlog (none for fees and milestones)."""

    reversal: Actual
    remaining: Actual | None
    returned: Actual | None


def credit(*, items: Sequence[CreditedItem], at: dt.datetime) -> dict[int, Credited]:
    """Confirm a credit note (DOMAIN.md §5 "Correction"), inside the caller's transaction: the
    billed actual is reversed, a billed actual for what stays is written, and the credited
    quantity returns to the backlog as a *new* chargeable unbilled actual, *not ready*, whose
    ``returned_from`` names the billed actual (so every hour stays linked to the detail that
    billed or credited it). A credited milestone is *ready* again. Refused if a billed actual
    was credited meanwhile (each can be credited once; what stays is credited next time)."""
    with transaction.atomic(savepoint=False):
        billed_ids = [i.billed.pk for i in items]
        reversed_already = set(
            Actual.objects.filter(reverses_id__in=billed_ids).values_list("reverses_id", flat=True)
        )
        if reversed_already:
            raise BillingStateError(
                _(
                    "Part of this credit note was credited by another one since it was made: "
                    "delete this draft and correct the invoice again."
                )
            )
        rows: list[Actual] = []
        returned_rows: list[Actual] = []
        written: dict[int, Credited] = {}
        for item in items:
            billed = item.billed
            reversal = billed.reversal(at=at)
            rows.append(reversal)
            credited = billed.quantity - item.stays
            remaining = None
            if item.stays > 0:
                remaining = billed.derived(
                    quantity=item.stays,
                    amount=round_money(item.stays * billed.unit_price, billed.currency),
                    created_at=at,
                )
                rows.append(remaining)
            returned = None
            if item.returns and credited > 0:
                returned = billed.derived(
                    actual_type=ActualType.UNBILLED_SALES,
                    quantity=credited,
                    amount=round_money(credited * billed.unit_price, billed.currency),
                    billing_type=BillingType.CHARGEABLE,
                    returned_from=billed,
                    created_at=at,
                )
                rows.append(returned)
                returned_rows.append(returned)
            written[item.key] = Credited(reversal, remaining, returned)
        Actual.objects.bulk_create(rows)
        open_items(returned_rows, check_limits=False)
        milestones = list(
            Milestone.objects.select_for_update()
            .filter(pk__in=[i.milestone_id for i in items if i.milestone_id])
            .order_by("pk")
        )
        for m in milestones:
            m.credit(at=at)
        Milestone.objects.bulk_update(milestones, ["status", "status_changed_at", "invoiced_at"])
        return written


# --- cancelling an approval -----------------------------------------------------------------


def cancel(*, actuals: Sequence[Actual], at: dt.datetime) -> list[Actual]:
    """Reverse the live actuals of an approval being cancelled, inside the caller's
    transaction: each gets its reversal, and the unbilled ones move to *cancelled*. Refused,
    changing nothing, while any of them is on an invoice or written off."""
    with transaction.atomic(savepoint=False):
        lock_contracts(a.contract_id for a in actuals if a.contract_id)
        items = list(
            ActualBilling.objects.select_for_update()
            .filter(actual__in=[a.pk for a in actuals])
            .order_by("actual_id")
        )
        stuck = [r for r in items if not _allowed(r.status, "cancel")]
        if stuck or any(a.actual_type == ActualType.BILLED_SALES for a in actuals):
            raise BillingStateError(
                _(
                    "%(n)d of its sales actuals are on an invoice or written off. Remove them "
                    "from the draft, credit the invoice or reverse the write-off first."
                )
                % {"n": len(stuck) or 1}
            )
        reversals = Actual.objects.bulk_create([a.reversal(at=at) for a in actuals])
        _move(items, "cancel")
        return reversals
