"""One invoice run, billed by two real Celery workers (separate processes) on Redis.

The run is split into batches of one contract; both workers take batches from their own queue
side by side. Every ready actual ends up on exactly one invoice detail, every contract gets
one draft, and the run closes once, done."""

import datetime as dt
import uuid

import pytest

from actuals.models import ActualBilling
from invoicing.models import Invoice, InvoiceDetail, RunStatus, RunTrigger
from invoicing.services import record_run
from invoicing.tasks import execute_invoice_run

from .workers import RUN_DATE, contracts_due, start_worker, stop, wait_for_run

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CONTRACTS = 8


def test_two_workers_bill_one_run_and_every_actual_once(billing, tmp_path):
    items, _contracts = contracts_due(billing, count=CONTRACTS, days=(2, 3, 4))
    run = record_run(
        run_date=RUN_DATE, trigger=RunTrigger.API, by=None, now=dt.datetime.now(dt.UTC)
    )
    queue = f"test-{uuid.uuid4().hex}"
    logs = [tmp_path / f"worker{n}.log" for n in range(2)]
    workers = [start_worker(f"w{n}-{queue}", queue, log) for n, log in enumerate(logs)]
    try:
        execute_invoice_run.apply_async((run.pk,), queue=queue)
        wait_for_run(run, 120)
    finally:
        stop(workers)

    assert (run.status, run.batches_total, run.batches_done) == (
        RunStatus.DONE,
        CONTRACTS,
        CONTRACTS,
    )
    assert (run.invoices_count, run.items_count, run.failures_count) == (
        CONTRACTS,
        3 * CONTRACTS,
        0,
    )
    assert run.amounts == {"EUR": f"{3 * CONTRACTS * 400}.00"}
    billed = list(InvoiceDetail.objects.values_list("actual_id", flat=True))
    assert sorted(billed) == sorted(a.pk for a in items)  # each once, none missing
    assert Invoice.objects.filter(run=run).count() == CONTRACTS
    assert set(ActualBilling.objects.filter(actual__in=items).values_list("status", flat=True)) == {
        "on_draft"
    }
    # Both workers billed batches of this run.
    batches_per_worker = [
        log.read_text().count("invoicing.tasks.bill_invoice_run_batch") for log in logs
    ]
    assert all(n > 0 for n in batches_per_worker), batches_per_worker
