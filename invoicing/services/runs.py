"""Invoice runs: the nightly run (and the same run from the command line, the API, a page).

A run for a date takes every invoice-schedule row whose run date has come and that has not
run yet (``pending``, or ``failed`` last time: missed nights are caught up, failures retried),
and bills, per contract line, the ready T&M items dated on or before the latest cut-off of its
due rows, plus the ready milestones of the same contracts dated on or before the run date.

Decision: the schedule drives the run. Milestones are billed on their contract's run dates
(so nothing is invoiced on the days between); a contract without an invoice schedule is
invoiced by its manager (*create invoice*).

**Batches, and several workers.** :func:`plan_run` splits the due contracts into batches of
``INVOICE_RUN_BATCH`` (in contract order); :func:`bill_run_batch` bills one batch. The Celery
task that executes a run queues one task per batch, so every worker listening takes batches
side by side; :func:`execute_run` bills them one after the other in this process (the command
line, tests). Each batch is one transaction with set-based SQL
(:mod:`invoicing.services.creation`) that also marks its schedule rows done and adds its counts
to the run: a batch is billed whole or not at all. If it fails, its contracts are retried one by
one, so one bad contract fails alone (its schedule rows say *failed* with the reason, and the
run records it) while the others go on. Every actual is billed once whatever the workers do:
billing takes the contracts' row locks, and only *ready* items are claimed.

**Which dates.** A run started by a person or a script (:func:`start_run`: the API and the
page; the command line) is for a day within the fiscal calendar of the legal entities
(:mod:`contracts.fiscal_calendar`) and **not after today** (:func:`check_run_date`). Decision: no
horizon ahead. A run marks every schedule row up to its date done, and bills T&M items up to
the rows' cut-off; run ahead of its day, it would mark rows done whose cut-off has not passed,
so the hours booked on the days in between wait for the following row, and a run for
9999-12-31 would leave the nightly runs nothing to bill. Catching up missed days needs only
past dates; the nightly run passes today. A retry reuses its failed run's date, checked when
that run started.

**Runs that end.** The run row keeps a heartbeat, moved by every batch. The last batch to
finish closes the run (*done*, or *done with failures*). A batch whose worker was killed is
delivered again (tasks are acknowledged late; settings, "Faults that heal":
``TASK_VISIBILITY_TIMEOUT`` is shorter than the stall window) and billed whole by another
worker, what the dead one did rolled back with its transaction, so the run still ends *done*.
A run whose heartbeat stops all the same (no worker left, the broker lost, or the task never
reached a worker) is marked *failed* with the
reason by :func:`fail_stalled_runs` (a beat task, every few minutes) once it has made no
progress for ``JOB_STALLED_AFTER_MINUTES``; :func:`retry_run` starts a new run for the same
date that bills whatever is still due (what the failed run billed stays billed).
"""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from actuals.services.billing import ClaimScope
from contracts.errors import StateConflict
from contracts.fiscal_calendar import calendar_errors
from contracts.models import InvoiceScheduleEntry, ScheduleStatus
from contracts.numbers import show_date
from contracts.queueing import queue_after_commit, unreachable_message
from invoicing.models import InvoiceRun, InvoiceRunFailure, RunStatus

from .creation import BillingResult, bill_ready_items
from .posting import failure_reason
from .progress import fail_stalled

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


class RunStateError(StateConflict):
    """The run's state does not allow this (HTTP 409), e.g. retrying a run that is running."""


def record_run(
    *,
    run_date: dt.date,
    trigger: str,
    by: Any,
    now: dt.datetime,
    retry_of: InvoiceRun | None = None,
) -> InvoiceRun:
    """Record a run (status *running*); nothing is queued (see :func:`start_run`)."""
    return InvoiceRun.objects.create(
        run_date=run_date,
        trigger=trigger,
        started_by=by,
        started_at=now,
        heartbeat_at=now,
        retry_of=retry_of,
    )


def _queue(run: InvoiceRun, now: dt.datetime) -> None:
    """Queue the run's execution when the transaction commits; a broker that cannot be
    reached fails the run at once, saying so (:mod:`contracts.queueing`)."""
    from invoicing.tasks import execute_invoice_run

    def unreachable(error: BaseException) -> None:
        InvoiceRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            finished_at=now,
            message=unreachable_message(_("run"), error),
        )

    queue_after_commit(execute_invoice_run, run.pk, unreachable=unreachable)


def check_run_date(*, run_date: dt.date, today: dt.date) -> None:
    """Refuse (``ValidationError`` naming ``run_date``) a run date after ``today`` or outside
    the fiscal calendar (see the module)."""
    errors = calendar_errors({"run_date": (run_date, _("run date"))}, legal_entity=None)
    if not errors and run_date > today:
        errors["run_date"] = [
            _(
                "The run date may not be after today (%(today)s): a run ahead of its day would "
                "mark schedule rows done before their cut-off."
            )
            % {"today": show_date(today)}
        ]
    if errors:
        raise ValidationError(errors)


def start_run(*, run_date: dt.date, trigger: str, by: Any, now: dt.datetime) -> InvoiceRun:
    """Check the date (:func:`check_run_date`, today in ``settings.TIME_ZONE`` at ``now``),
    record a run and queue its execution (sent when the transaction commits)."""
    check_run_date(run_date=run_date, today=timezone.localdate(now))
    with transaction.atomic():
        run = record_run(run_date=run_date, trigger=trigger, by=by, now=now)
        _queue(run, now)
    run.refresh_from_db()
    return run


def retry_run(*, run: InvoiceRun, trigger: str, by: Any, now: dt.datetime) -> InvoiceRun:
    """Start a new run for the date of a failed (or partly failed) run: it bills whatever is
    still due, including the failed contracts' schedule rows."""
    with transaction.atomic():
        locked = InvoiceRun.objects.select_for_update(no_key=True).get(pk=run.pk)
        if locked.status not in (RunStatus.FAILED, RunStatus.DONE_WITH_FAILURES):
            raise RunStateError(
                _("Run %(id)s is %(status)s; only a failed run can be retried.")
                % {"id": locked.pk, "status": locked.get_status_display().lower()}
            )
        retry = record_run(
            run_date=locked.run_date, trigger=trigger, by=by, now=now, retry_of=locked
        )
        _queue(retry, now)
    retry.refresh_from_db()
    return retry


def _due_rows(contract_ids: Sequence[int] | None, run_date: dt.date):  # type: ignore[no-untyped-def]
    rows = InvoiceScheduleEntry.objects.filter(
        status__in=[ScheduleStatus.PENDING, ScheduleStatus.FAILED], run_date__lte=run_date
    )
    if contract_ids is not None:
        rows = rows.filter(line__contract_id__in=list(contract_ids))
    return rows


def _due_cut_offs(
    run_date: dt.date, contract_ids: Sequence[int] | None = None
) -> dict[int, dict[int, dt.date]]:
    """contract id → {line id → latest cut-off} of the due schedule rows."""
    by_contract: dict[int, dict[int, dt.date]] = defaultdict(dict)
    for contract_id, line_id, cut_off in (
        _due_rows(contract_ids, run_date)
        .values("line__contract_id", "line_id")
        .annotate(cut_off=Max("cut_off_date"))
        .values_list("line__contract_id", "line_id", "cut_off")
    ):
        by_contract[contract_id][line_id] = cut_off
    return by_contract


def plan_run(*, run: InvoiceRun, now: dt.datetime) -> list[list[int]]:
    """Split the due contracts into batches and record them; a run with nothing due is done at
    once. Planned once: asked again (its task delivered twice), it returns the same batches,
    whose numbers the billed ones are counted by."""
    with transaction.atomic():
        locked = InvoiceRun.objects.select_for_update(no_key=True).get(pk=run.pk)
        if locked.status != RunStatus.RUNNING or locked.plan:
            run.refresh_from_db()
            return list(locked.plan) if locked.status == RunStatus.RUNNING else []
        contract_ids = sorted(_due_cut_offs(run.run_date))
        size = max(1, int(getattr(settings, "INVOICE_RUN_BATCH", 100)))
        batches = [contract_ids[i : i + size] for i in range(0, len(contract_ids), size)]
        locked.plan = batches
        locked.contracts_total = len(contract_ids)
        locked.batches_total = len(batches)
        locked.heartbeat_at = now
        if not batches:
            locked.status, locked.finished_at = RunStatus.DONE, now
        locked.save(
            update_fields=[
                "plan",
                "contracts_total",
                "batches_total",
                "heartbeat_at",
                "status",
                "finished_at",
            ]
        )
    run.refresh_from_db()
    return batches


def _bill(run: InvoiceRun, contract_ids: Sequence[int], now: dt.datetime) -> BillingResult:
    """Bill contracts (inside the caller's transaction) and mark their due rows done."""
    cut_offs = _due_cut_offs(run.run_date, contract_ids)
    result = bill_ready_items(
        scope=ClaimScope(
            contract_ids=list(contract_ids),
            line_cut_offs={line: day for lines in cut_offs.values() for line, day in lines.items()},
            milestones_up_to=run.run_date,
        ),
        invoice_date=run.run_date,
        now=now,
        user_id=run.started_by_id,
        run_id=run.pk,
    )
    _due_rows(contract_ids, run.run_date).update(
        status=ScheduleStatus.DONE, ran_at=now, failure_reason=""
    )
    return result


def _record(
    run_id: int,
    *,
    result: BillingResult,
    contracts: int,
    now: dt.datetime,
    failures: int = 0,
    batch: int | None = None,
) -> InvoiceRun:
    """Add counts to the run (inside the caller's transaction, under the run's row lock, taken
    last so batches never wait on each other in a cycle); the last batch closes the run. The
    lock is ``FOR NO KEY UPDATE``: the drafts a batch made name the run (a foreign key, which
    holds ``FOR KEY SHARE`` on it until commit), and a stronger lock would wait for every other
    batch in flight, and they for it."""
    run = InvoiceRun.objects.select_for_update(no_key=True).get(pk=run_id)
    if batch is not None and batch in run.batches_billed:
        return run  # delivered twice: it counted the first time
    run.contracts_done += contracts
    run.invoices_count += len(result.invoice_ids)
    run.items_count += result.items
    run.failures_count += failures
    amounts = {k: Decimal(v) for k, v in run.amounts.items()}
    for currency, amount in result.amounts.items():
        amounts[currency] = amounts.get(currency, Decimal(0)) + amount
    run.amounts = {k: str(v) for k, v in sorted(amounts.items())}
    run.heartbeat_at = now
    if batch is not None:
        run.batches_billed = sorted([*run.batches_billed, batch])
        run.batches_done = len(run.batches_billed)
        if run.batches_done >= run.batches_total and run.status == RunStatus.RUNNING:
            run.status = RunStatus.DONE_WITH_FAILURES if run.failures_count else RunStatus.DONE
            run.finished_at = now
    run.save()
    return run


def _fail_contract(
    *, run: InvoiceRun, contract_id: int, error: Exception, now: dt.datetime
) -> None:
    message = failure_reason(error)
    logger.warning("invoice run %s: contract %s failed: %s", run.pk, contract_id, message)
    with transaction.atomic(durable=True):
        InvoiceRunFailure.objects.create(run=run, contract_id=contract_id, message=message)
        _due_rows([contract_id], run.run_date).update(
            status=ScheduleStatus.FAILED, ran_at=now, failure_reason=message
        )
        _record(run.pk, result=BillingResult(), contracts=1, failures=1, now=now)


def bill_run_batch(
    *, run: InvoiceRun, batch: int, contract_ids: Sequence[int], clock: Clock
) -> InvoiceRun:
    """Bill batch number ``batch`` (from 1) of a run's contracts (see the module); returns the
    run as it now is. A run that is no longer running (failed meanwhile) bills nothing more,
    and a batch delivered again after it was billed changes nothing."""
    current = InvoiceRun.objects.get(pk=run.pk)
    if current.status != RunStatus.RUNNING or batch in current.batches_billed:
        return current
    try:
        with transaction.atomic(durable=True):
            now = clock()
            result = _bill(run, contract_ids, now)
            return _record(run.pk, result=result, contracts=len(contract_ids), now=now, batch=batch)
    except Exception:  # one bad contract must not stop the batch: retry them one by one
        logger.info("invoice run %s: batch failed, retrying its contracts alone", run.pk)
    for contract_id in contract_ids:
        try:
            with transaction.atomic(durable=True):
                now = clock()
                result = _bill(run, [contract_id], now)
                _record(run.pk, result=result, contracts=1, now=now)
        except Exception as error:  # recorded on the run and the schedule rows
            _fail_contract(run=run, contract_id=contract_id, error=error, now=clock())
    with transaction.atomic(durable=True):
        return _record(run.pk, result=BillingResult(), contracts=0, now=clock(), batch=batch)


def execute_run(*, run: InvoiceRun, clock: Clock) -> InvoiceRun:
    """Plan the run and bill its batches one after the other, here; returns the finished run."""
    for number, contract_ids in enumerate(plan_run(run=run, now=clock()), start=1):
        bill_run_batch(run=run, batch=number, contract_ids=contract_ids, clock=clock)
    run.refresh_from_db()
    return run


def fail_stalled_runs(*, now: dt.datetime) -> list[int]:
    """Mark *failed* every running run without progress for a while, saying so (see
    :mod:`invoicing.services.progress`); returns their ids."""
    return fail_stalled(
        InvoiceRun.objects.all(),
        now=now,
        what="invoice run",
        progress=_("%(batches_done)d of %(batches_total)d batches billed"),
    )
