"""Real Celery workers for the tests that need them (``-m worker``): each a process of its own
(solo pool) on the Redis of ``REDIS_URL``, on the test database, on a queue of the test's own,
and contracts with a run due, billed in batches of one contract."""

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from contracts import models as c
from contracts.services import generate_invoice_schedule
from invoicing.celery import app
from invoicing.models import InvoiceRun, RunStatus
from tests.factories import ProjectFactory

from .conftest import make_contract

ROOT = Path(__file__).resolve().parents[2]
RUN_DATE = dt.date(2026, 3, 16)
CELERY_WORKER = (sys.executable, "-m", "celery", "-A", "invoicing", "worker", "--pool", "solo")


def database_url() -> str:
    """The test database as a URL, for processes of their own."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="") + (
        ":" + quote(s["PASSWORD"], safe="") if s["PASSWORD"] else ""
    )
    host = quote(s["HOST"] or "", safe="")
    return f"postgres://{auth}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(name: str, queue: str, log: Path, **env: str) -> subprocess.Popen:
    """A worker named ``name`` on ``queue``, once it answers a ping."""
    process = subprocess.Popen(
        [*CELERY_WORKER, "-Q", queue, "-n", f"{name}@%h", "--loglevel", "INFO"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
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
        destination = [f"{name}@{socket.gethostname()}"]
        if app.control.ping(destination=destination, timeout=0.5):
            return process
    process.kill()
    raise AssertionError(f"worker {name} did not start: see {log}")


def stop(workers: list[subprocess.Popen]) -> None:
    for process in workers:
        if process.poll() is None:
            process.terminate()
    for process in workers:
        process.wait(timeout=30)


def wait_for_run(run: InvoiceRun, seconds: float) -> None:
    """Until the run is no longer running, or ``seconds`` passed (the caller asserts)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status != RunStatus.RUNNING:
            return
        time.sleep(0.2)


def contracts_due(billing, *, count: int, days: tuple[int, ...]):
    """``count`` contracts due on RUN_DATE, each with 2 hours approved and ready on each of
    ``days`` of March 2026; returns (items, contracts)."""
    items, contracts = [], []
    for n in range(count):
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
        for day in days:
            items += billing.approve_ready("2", day=dt.date(2026, 3, day), project=project)
    return items, contracts
