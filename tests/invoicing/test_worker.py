"""The nightly run's scheduled task, carried out by a real Celery worker on Redis."""

import datetime as dt
import time
import uuid
from decimal import Decimal as D

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from contracts import models as c
from contracts.services import generate_invoice_schedule
from invoicing.celery import app
from invoicing.models import Invoice, InvoiceRun, RunStatus, RunTrigger
from invoicing.queries import invoice_totals
from invoicing.tasks import nightly_invoice_run

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(run_id: int, timeout: float = 60) -> InvoiceRun:
    """The run once its batches are billed (the worker takes them after the run's own task)."""
    deadline = time.monotonic() + timeout
    while True:
        run = InvoiceRun.objects.get(pk=run_id)
        if run.status != RunStatus.RUNNING or time.monotonic() > deadline:
            return run
        time.sleep(0.1)


def test_the_beat_schedule_starts_the_nightly_run_at_two_in_amsterdam():
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-invoice-run"]
    assert entry["task"] == "invoicing.tasks.nightly_invoice_run"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {0})
    assert settings.CELERY_TIMEZONE == "Europe/Amsterdam"


def test_a_real_worker_runs_the_scheduled_task_and_creates_the_expected_drafts(billing):
    today = timezone.localdate()
    run_day = today - dt.timedelta(days=3)
    generate_invoice_schedule(
        line=billing.contract.lines.get(),
        frequency=c.ScheduleFrequency.WEEKLY,
        start_date=run_day,
        end_date=run_day,
    )
    billing.approve_ready("8", day=run_day - dt.timedelta(days=2))  # before the cut-off
    billing.approve_ready("2", day=run_day)  # after the cut-off: stays in the backlog

    queue = f"test-{uuid.uuid4().hex}"
    with start_worker(
        app, pool="solo", queues=[queue], perform_ping_check=False, loglevel="WARNING"
    ):
        run_id = nightly_invoice_run.apply_async(queue=queue).get(timeout=60)
        run = wait_for(run_id)

    assert (run.trigger, run.status, run.run_date) == (RunTrigger.SCHEDULE, RunStatus.DONE, today)
    assert (run.contracts_total, run.invoices_count, run.items_count, run.amounts) == (
        1,
        1,
        1,
        {"EUR": "1600.00"},
    )
    [invoice] = Invoice.objects.filter(run=run)
    assert (invoice.status, invoice.contract, invoice.invoice_date) == (
        "draft",
        billing.contract,
        today,
    )
    assert invoice_totals(invoice).net == D("1600.00")
    assert c.InvoiceScheduleEntry.objects.get(line__contract=billing.contract).status == "done"
