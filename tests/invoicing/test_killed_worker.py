"""A worker killed outright in the middle of a batch: another worker bills the batch again and
the run ends *done*, every due item billed once (settings: "Faults that heal").

Two real Celery workers (separate processes, solo pool) on the Redis of ``REDIS_URL``, on a
queue of the test's own. The first plans the run and takes a batch; the test holds the row
locks of the contracts (``FOR UPDATE``, in a connection of its own), so the batch waits in its
first statement (``lock_contracts``) inside its transaction: the worker is mid-task, its message
taken and not acknowledged. The test then SIGKILLs the whole worker: nothing is acknowledged,
rejected or put back; the message stays in kombu's ``unacked`` hash (asserted), and the killed
worker's PostgreSQL transaction never commits. A second worker, started with
``TASK_VISIBILITY_TIMEOUT=2``, bills the batches still queued, finds the unacknowledged message
older than the timeout in its sweep (``restore_visible``: at start and every
``unacked_restore_interval``), queues it again, takes it and bills it. Nothing in the product
knows about the test: the lock and the kill come from outside, as a slow database and a dead
machine would.
"""

import datetime as dt
import json
import signal
import subprocess
import time
import uuid

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from actuals.models import ActualBilling
from contracts import models as c
from invoicing.models import Invoice, InvoiceDetail, RunStatus, RunTrigger
from invoicing.services import record_run
from invoicing.tasks import execute_invoice_run

from .workers import RUN_DATE, contracts_due, database_url, start_worker, stop, wait_for_run

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CONTRACTS = 3
BATCH_TASK = "invoicing.tasks.bill_invoice_run_batch"


def _waiting_on_a_lock() -> list[str]:
    """The statements of other sessions of the test database that wait for a row lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _unacked(broker: redis.Redis, queue: str) -> dict[str, dict]:
    """Messages of ``queue`` taken by a consumer and not acknowledged (kombu's Redis transport
    keeps them in the ``unacked`` hash: ``[payload, exchange, routing key]``), by task id."""
    found = {}
    for raw in broker.hvals("unacked"):
        payload, _exchange, routing_key = json.loads(raw)
        if routing_key == queue:
            found[payload["headers"]["id"]] = payload["headers"]
    return found


def test_a_batch_of_a_worker_killed_mid_task_is_billed_by_another_and_the_run_completes(
    billing, tmp_path
):
    items, contracts = contracts_due(billing, count=CONTRACTS, days=(2, 3))
    run = record_run(
        run_date=RUN_DATE, trigger=RunTrigger.API, by=None, now=dt.datetime.now(dt.UTC)
    )
    queue = f"test-{uuid.uuid4().hex}"
    broker = redis.Redis.from_url(settings.REDIS_URL)
    workers: list[subprocess.Popen] = []
    # The contracts' rows locked as a slow transaction elsewhere would: a batch that starts
    # waits inside its transaction, in its first statement.
    blocker = psycopg.connect(database_url())
    blocker.execute(
        f"SELECT id FROM {c.Contract._meta.db_table} WHERE id = ANY(%s) FOR UPDATE",
        [[k.pk for k in contracts]],
    )
    try:
        started = time.monotonic()
        doomed = start_worker("doomed", queue, tmp_path / "doomed.log")
        workers.append(doomed)
        execute_invoice_run.apply_async((run.pk,), queue=queue)
        deadline = time.monotonic() + 30
        while not _waiting_on_a_lock() and time.monotonic() < deadline:
            time.sleep(0.1)
        waiting = _waiting_on_a_lock()
        assert len(waiting) == 1 and "FOR NO KEY UPDATE" in waiting[0], waiting

        doomed.send_signal(signal.SIGKILL)  # the whole worker, at once: no chance to put back
        assert doomed.wait(timeout=10) == -signal.SIGKILL
        blocker.rollback()  # the killed worker's transaction gets the lock and dies uncommitted

        # What a killed worker leaves behind: its batch taken and not acknowledged, the other
        # batches queued, nothing billed.
        taken = _unacked(broker, queue)
        assert [h["task"] for h in taken.values()] == [BATCH_TASK]
        ((task_id, headers),) = taken.items()
        assert headers["argsrepr"].startswith(f"({run.pk}, 1, ")
        assert broker.llen(queue) == CONTRACTS - 1
        run.refresh_from_db()
        assert (run.status, run.batches_total, run.batches_done) == (
            RunStatus.RUNNING,
            CONTRACTS,
            0,
        )
        assert InvoiceDetail.objects.count() == 0

        healer = start_worker("healer", queue, tmp_path / "healer.log", TASK_VISIBILITY_TIMEOUT="2")
        workers.append(healer)
        wait_for_run(run, 45)
        elapsed = time.monotonic() - started
    finally:
        blocker.close()
        stop(workers)
        for tag, raw in broker.hgetall("unacked").items():  # nothing of ours left behind
            if json.loads(raw)[2] == queue:
                broker.hdel("unacked", tag)
                broker.zrem("unacked_index", tag)
        broker.delete(queue)

    assert (run.status, run.batches_total, run.batches_done, run.batches_billed) == (
        RunStatus.DONE,
        CONTRACTS,
        CONTRACTS,
        [1, 2, 3],
    )
    assert (run.invoices_count, run.items_count, run.failures_count) == (CONTRACTS, 6, 0)
    assert run.amounts == {"EUR": "2400.00"}  # 6 items of 2 hours at 200
    billed = list(InvoiceDetail.objects.values_list("actual_id", flat=True))
    assert sorted(billed) == sorted(a.pk for a in items)  # each once, none missing
    assert Invoice.objects.filter(run=run).count() == CONTRACTS
    assert set(ActualBilling.objects.filter(actual__in=items).values_list("status", flat=True)) == {
        "on_draft"
    }
    # The killed worker's batch was delivered again and billed by the other worker.
    doomed_log = (tmp_path / "doomed.log").read_text()
    healer_log = (tmp_path / "healer.log").read_text()
    assert f"{BATCH_TASK}[{task_id}] received" in doomed_log
    assert f"{BATCH_TASK}[{task_id}] succeeded" not in doomed_log
    assert f"{BATCH_TASK}[{task_id}] succeeded" in healer_log
    assert healer_log.count(f"Task {BATCH_TASK}[") == 2 * CONTRACTS  # received, succeeded
    print(f"healed in {elapsed:.1f} s")
