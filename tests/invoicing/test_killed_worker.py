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
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from actuals.models import ActualBilling
from contracts import models as c
from contracts.services import generate_invoice_schedule
from invoicing.celery import app
from invoicing.models import Invoice, InvoiceDetail, InvoiceRun, RunStatus, RunTrigger
from invoicing.services import record_run
from invoicing.tasks import execute_invoice_run
from tests.factories import ProjectFactory

from .conftest import make_contract

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
RUN_DATE = dt.date(2026, 3, 16)
CONTRACTS = 3
BATCH_TASK = "invoicing.tasks.bill_invoice_run_batch"


def _database_url() -> str:
    """The test database as a URL, for processes of their own."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="") + (
        ":" + quote(s["PASSWORD"], safe="") if s["PASSWORD"] else ""
    )
    host = quote(s["HOST"] or "", safe="")
    return f"postgres://{auth}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_worker(name: str, queue: str, log: Path, **env: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "invoicing",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "-n",
            f"{name}@%h",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": _database_url(),
            "INVOICE_RUN_BATCH": "1",
            "DEBUG": "1",
            "PYTHONUNBUFFERED": "1",  # the log of a SIGKILLed worker is complete
            **env,
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"worker {name} exited: see {log}"
        replies = app.control.ping(destination=[_node(name)], timeout=0.5) or []
        if replies:
            return process
    process.kill()
    raise AssertionError(f"worker {name} did not start: see {log}")


def _node(name: str) -> str:
    return f"{name}@{socket.gethostname()}"


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


def _wait_for_run(run: InvoiceRun, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status != RunStatus.RUNNING:
            return
        time.sleep(0.2)


def test_a_batch_of_a_worker_killed_mid_task_is_billed_by_another_and_the_run_completes(
    billing, tmp_path
):
    items, contracts = [], []
    for n in range(CONTRACTS):
        project = (
            billing.project
            if n == 0
            else ProjectFactory(
                code=f"P-{n}",
                customer=billing.project.customer,
                project_manager=billing.manager,
                legal_entity=billing.project.legal_entity,
            )
        )
        contract = (
            billing.contract
            if n == 0
            else make_contract(project=project, manager=billing.manager, number=f"K-{n}")
        )
        contracts.append(contract)
        generate_invoice_schedule(
            line=contract.lines.get(),
            frequency=c.ScheduleFrequency.WEEKLY,
            start_date=RUN_DATE,
            end_date=RUN_DATE,
        )
        for day in (2, 3):
            items += billing.approve_ready("2", day=dt.date(2026, 3, day), project=project)
    run = record_run(
        run_date=RUN_DATE, trigger=RunTrigger.API, by=None, now=dt.datetime.now(dt.UTC)
    )
    queue = f"test-{uuid.uuid4().hex}"
    broker = redis.Redis.from_url(settings.REDIS_URL)
    workers: list[subprocess.Popen] = []
    # The contracts' rows locked as a slow transaction elsewhere would: a batch that starts
    # waits inside its transaction, in its first statement.
    blocker = psycopg.connect(_database_url())
    blocker.execute(
        f"SELECT id FROM {c.Contract._meta.db_table} WHERE id = ANY(%s) FOR UPDATE",
        [[k.pk for k in contracts]],
    )
    try:
        started = time.monotonic()
        doomed = _start_worker("doomed", queue, tmp_path / "doomed.log")
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

        healer = _start_worker(
            "healer", queue, tmp_path / "healer.log", TASK_VISIBILITY_TIMEOUT="2"
        )
        workers.append(healer)
        _wait_for_run(run, 45)
        elapsed = time.monotonic() - started
    finally:
        blocker.close()
        for process in workers:
            if process.poll() is None:
                process.terminate()
        for process in workers:
            process.wait(timeout=30)
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
