"""Invoice runs: the runs pages, starting a run from the portal, and ``manage.py
create_invoices`` with its printed counts."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from contracts import models as c
from contracts.services import generate_invoice_schedule
from invoicing.models import Invoice, InvoiceRun, RunStatus, RunTrigger
from invoicing.services import execute_run, record_run
from tests.factories import ProjectFactory

from .conftest import AT, make_contract

pytestmark = pytest.mark.django_db


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)._queued_messages]


@pytest.fixture
def scheduled(billing):
    """Two-weekly run dates 2, 16 and 30 March (cut-off the day before)."""
    generate_invoice_schedule(
        line=billing.contract.lines.get(),
        frequency=c.ScheduleFrequency.BIWEEKLY,
        start_date=dt.date(2026, 3, 2),
        end_date=dt.date(2026, 3, 31),
    )
    return billing


def bad_contract(billing):
    """A second scheduled contract whose invoices PostgreSQL refuses (a real failure)."""
    project = ProjectFactory(
        code="P-BAD",
        customer=billing.project.customer,
        project_manager=billing.manager,
        legal_entity=billing.project.legal_entity,
    )
    bad = make_contract(project=project, manager=billing.manager, number="BAD-1")
    generate_invoice_schedule(
        line=bad.lines.get(),
        frequency=c.ScheduleFrequency.BIWEEKLY,
        start_date=dt.date(2026, 3, 2),
        end_date=dt.date(2026, 3, 31),
    )
    billing.approve_ready("4", day=dt.date(2026, 3, 10), project=project)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE FUNCTION test_refuse_bad() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.contract_id = {bad.pk} THEN
                    RAISE EXCEPTION 'customer address missing for contract BAD-1';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER test_refuse_bad BEFORE INSERT ON invoicing_invoice
                FOR EACH ROW EXECUTE FUNCTION test_refuse_bad();
            """
        )
    return bad


def test_create_invoices_prints_the_counts(scheduled, settings):
    settings.INVOICE_RUN_BATCH = 10
    scheduled.approve_ready("8", day=dt.date(2026, 3, 10))
    bad_contract(scheduled)
    out = StringIO()

    call_command("create_invoices", "--date", "2026-03-16", stdout=out)

    run = InvoiceRun.objects.get()
    assert (run.trigger, run.run_date) == (RunTrigger.COMMAND, dt.date(2026, 3, 16))
    assert out.getvalue().splitlines() == [
        f"Invoice run {run.pk} for 2026-03-16: Done with failures",
        "Contracts: 2 of 2",
        "Invoices: 1",
        "Items: 1",
        "Amount EUR: 1600.00",
        "Failures: 1",
        "  BAD-1: customer address missing for contract BAD-1",
        f"Run {run.pk} finished with failures.",
    ]
    assert Invoice.objects.filter(contract=scheduled.contract).count() == 1


def test_create_invoices_with_nothing_due(billing):
    out = StringIO()

    call_command("create_invoices", "--date", "2026-03-16", stdout=out)

    run = InvoiceRun.objects.get()
    assert out.getvalue().splitlines() == [
        f"Invoice run {run.pk} for 2026-03-16: Done",
        "Contracts: 0 of 0",
        "Invoices: 0",
        "Items: 0",
        "Amount: 0",
        "Failures: 0",
        f"Run {run.pk} finished.",
    ]


def test_create_invoices_refuses_a_malformed_date(billing):
    with pytest.raises(CommandError) as error:
        call_command("create_invoices", "--date", "2026-13-01", stdout=StringIO())

    assert (
        str(error.value)
        == "--date '2026-13-01' is not a date: give it as YYYY-MM-DD, e.g. 2026-03-31."
    )
    assert InvoiceRun.objects.count() == 0


def test_the_runs_pages_show_counts_and_failures(client, scheduled, settings):
    settings.INVOICE_RUN_BATCH = 10
    scheduled.approve_ready("8", day=dt.date(2026, 3, 10))
    bad_contract(scheduled)
    run = execute_run(
        run=record_run(run_date=dt.date(2026, 3, 16), trigger=RunTrigger.COMMAND, by=None, now=AT),
        clock=lambda: AT,
    )
    client.force_login(scheduled.manager)

    listing = client.get(reverse("invoicing:run-list")).content.decode()
    detail = client.get(reverse("invoicing:run-detail", args=[run.pk])).content.decode()

    assert reverse("invoicing:run-detail", args=[run.pk]) in listing
    assert "1,600.00 EUR" in listing
    assert "Done with failures" in detail
    assert "customer address missing for contract BAD-1" in detail
    assert '<span class="stat-value">2 / 2</span>' in detail
    assert 'http-equiv="refresh"' not in detail


def test_a_running_run_refreshes_itself(client, billing):
    run = record_run(
        run_date=dt.date(2026, 3, 16), trigger=RunTrigger.API, by=billing.manager, now=AT
    )
    client.force_login(billing.manager)

    detail = client.get(reverse("invoicing:run-detail", args=[run.pk])).content.decode()

    assert '<meta http-equiv="refresh" content="3">' in detail


def test_starting_a_run_from_the_portal(client, billing, django_capture_on_commit_callbacks):
    client.force_login(billing.manager)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("invoicing:run-list"), {"run_date": "2026-03-16"})

    run = InvoiceRun.objects.get()
    assert response["Location"] == reverse("invoicing:run-detail", args=[run.pk])
    assert texts(response) == [f"Invoice run {run.pk} for 2026-03-16 started."]
    assert (run.trigger, run.status, run.started_by) == (
        RunTrigger.PORTAL,
        RunStatus.RUNNING,
        billing.manager,
    )
    assert len(callbacks) == 1

    bad = client.post(reverse("invoicing:run-list"), {"run_date": "2026-13-01"})

    assert texts(bad) == ["Run date: Enter a valid date."]
    assert InvoiceRun.objects.count() == 1
