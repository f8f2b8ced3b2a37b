"""One invoice run, billed by two real Celery workers (separate processes) on Redis.

The run is split into batches of one contract; both workers take batches from their own queue
side by side. Every ready actual ends up on exactly one invoice detail, every contract gets
one draft, and the run closes once, done."""

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from actuals.models import ActualBilling
from contracts import models as c
from contracts.services import generate_invoice_schedule
from invoicing.celery import app
from invoicing.models import Invoice, InvoiceDetail, RunStatus, RunTrigger
from invoicing.services import record_run
from invoicing.tasks import execute_invoice_run
from tests.factories import ProjectFactory

from .conftest import make_contract

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
RUN_DATE = dt.date(2026, 3, 16)
CONTRACTS = 8


def _database_url() -> str:
    """The test database as a URL, for processes of their own."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="") + (
        ":" + quote(s["PASSWORD"], safe="") if s["PASSWORD"] else ""
    )
    host = quote(s["HOST"] or "", safe="")
    return f"postgres://{auth}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_workers(queue: str, count: int, log_dir: Path) -> list[tuple[subprocess.Popen, Path]]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "INVOICE_RUN_BATCH": "1",
        "DEBUG": "1",
    }
    workers = []
    for n in range(count):
        log = log_dir / f"worker{n}.log"
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
                f"w{n}-{queue}@%h",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        workers.append((process, log))
    deadline = time.monotonic() + 60
    names = {f"w{n}-{queue}" for n in range(count)}
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        answered = {name.split("@")[0] for reply in replies for name in reply}
        if names <= answered:
            return workers
    raise AssertionError(f"the workers did not start: see {log_dir}")


def test_two_workers_bill_one_run_and_every_actual_once(billing, tmp_path):
    items = []
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
        generate_invoice_schedule(
            line=contract.lines.get(),
            frequency=c.ScheduleFrequency.WEEKLY,
            start_date=RUN_DATE,
            end_date=RUN_DATE,
        )
        for day in (2, 3, 4):
            items += billing.approve_ready("2", day=dt.date(2026, 3, day), project=project)
    run = record_run(
        run_date=RUN_DATE, trigger=RunTrigger.API, by=None, now=dt.datetime.now(dt.UTC)
    )
    queue = f"test-{uuid.uuid4().hex}"
    workers = _start_workers(queue, 2, tmp_path)
    try:
        execute_invoice_run.apply_async((run.pk,), queue=queue)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status != RunStatus.RUNNING:
                break
            time.sleep(0.2)
    finally:
        for process, _log in workers:
            process.terminate()
        for process, _log in workers:
            process.wait(timeout=30)

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
        log.read_text().count("invoicing.tasks.bill_invoice_run_batch") for _p, log in workers
    ]
    assert all(n > 0 for n in batches_per_worker), batches_per_worker
