"""Invoice runs: the nightly run (and the same run from the command line or the API).

A run for a date takes every invoice-schedule row whose run date has come and that has not
run yet (``pending``, or ``failed`` last time: missed nights are caught up, failures retried),
and bills, per contract line, the ready T&M items dated on or before the latest cut-off of its
due rows, plus the ready milestones of the same contracts dated on or before the run date.

Decision: the schedule drives the run. Milestones are billed on their contract's run dates
(so nothing is invoiced on the days between); a contract without an invoice schedule is
invoiced by its manager (*create invoice*).

Work is split per contract, cheaply: contracts are billed in batches of
``INVOICE_RUN_BATCH`` with set-based SQL (:mod:`invoicing.services.creation`), each batch in
its own transaction. If a batch fails, its contracts are retried one by one, so one bad
contract fails alone (its schedule rows say *failed* with the reason, and the run records it)
while the others go on. The run record keeps the counts and is updated after every batch, so
its page shows progress.
"""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from actuals.services.billing import ClaimScope
from contracts.models import InvoiceScheduleEntry, ScheduleStatus
from invoicing.models import InvoiceRun, InvoiceRunFailure, RunStatus

from .creation import BillingResult, bill_ready_items
from .posting import failure_reason

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


def start_run(*, run_date: dt.date, trigger: str, by: Any, now: dt.datetime) -> InvoiceRun:
    """Record a run (status *running*); :func:`execute_run` does the work."""
    return InvoiceRun.objects.create(
        run_date=run_date, trigger=trigger, started_by=by, started_at=now
    )


def _due_cut_offs(run_date: dt.date) -> dict[int, dict[int, dt.date]]:
    """contract id → {line id → latest cut-off} of the due schedule rows."""
    by_contract: dict[int, dict[int, dt.date]] = defaultdict(dict)
    for contract_id, line_id, cut_off in (
        InvoiceScheduleEntry.objects.filter(
            status__in=[ScheduleStatus.PENDING, ScheduleStatus.FAILED], run_date__lte=run_date
        )
        .values("line__contract_id", "line_id")
        .annotate(cut_off=Max("cut_off_date"))
        .values_list("line__contract_id", "line_id", "cut_off")
    ):
        by_contract[contract_id][line_id] = cut_off
    return by_contract


def _due_rows(contract_ids: Sequence[int], run_date: dt.date):  # type: ignore[no-untyped-def]
    return InvoiceScheduleEntry.objects.filter(
        line__contract_id__in=list(contract_ids),
        status__in=[ScheduleStatus.PENDING, ScheduleStatus.FAILED],
        run_date__lte=run_date,
    )


def _bill_batch(
    *,
    contract_ids: Sequence[int],
    cut_offs: dict[int, dict[int, dt.date]],
    run: InvoiceRun,
    now: dt.datetime,
) -> BillingResult:
    with transaction.atomic(durable=True):
        line_cut_offs = {
            line_id: cut_off
            for cid in contract_ids
            for line_id, cut_off in cut_offs.get(cid, {}).items()
        }
        result = bill_ready_items(
            scope=ClaimScope(
                contract_ids=contract_ids,
                line_cut_offs=line_cut_offs,
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


def _record(run: InvoiceRun, result: BillingResult, contracts_done: int) -> None:
    run.contracts_done += contracts_done
    run.invoices_count += len(result.invoice_ids)
    run.items_count += result.items
    amounts = {k: Decimal(v) for k, v in run.amounts.items()}
    for currency, amount in result.amounts.items():
        amounts[currency] = amounts.get(currency, Decimal(0)) + amount
    run.amounts = {k: str(v) for k, v in sorted(amounts.items())}
    run.save(
        update_fields=[
            "contracts_done",
            "invoices_count",
            "items_count",
            "amounts",
            "failures_count",
        ]
    )


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
    run.failures_count += 1


def execute_run(*, run: InvoiceRun, clock: Clock) -> InvoiceRun:
    """Bill everything due on the run's date (see the module); returns the finished run."""
    cut_offs = _due_cut_offs(run.run_date)
    contract_ids = sorted(cut_offs)
    run.contracts_total = len(contract_ids)
    run.save(update_fields=["contracts_total"])
    batch_size = int(getattr(settings, "INVOICE_RUN_BATCH", 100))
    for start in range(0, len(contract_ids), batch_size):
        batch = contract_ids[start : start + batch_size]
        try:
            result = _bill_batch(contract_ids=batch, cut_offs=cut_offs, run=run, now=clock())
            _record(run, result, len(batch))
            continue
        except Exception:  # one bad contract must not stop the batch: retry them one by one
            logger.info("invoice run %s: batch failed, retrying its contracts alone", run.pk)
        for contract_id in batch:
            try:
                result = _bill_batch(
                    contract_ids=[contract_id], cut_offs=cut_offs, run=run, now=clock()
                )
            except Exception as error:  # recorded on the run and the schedule rows
                _fail_contract(run=run, contract_id=contract_id, error=error, now=clock())
                result = BillingResult()
            _record(run, result, 1)
    run.status = RunStatus.DONE_WITH_FAILURES if run.failures_count else RunStatus.DONE
    run.finished_at = clock()
    run.save(update_fields=["status", "finished_at"])
    return run
