"""Every billing date is bounded to the fiscal calendar (contracts.fiscal_calendar): invoice
dates, up-to dates, proposals, runs, schedules and milestones. The billing world's legal entity
has fiscal year 2026 only, so its calendar is 2026-01-01 – 2026-12-31."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from contracts import models as c
from contracts.fiscal_calendar import fiscal_calendar
from contracts.services import create_milestone
from invoicing.models import Invoice, InvoiceRun, InvoiceStatus, RunStatus, RunTrigger
from invoicing.services import check_run_date, create_invoice_for_contract
from tests.factories import LegalEntityFactory

from .conftest import AT, make_contract

pytestmark = pytest.mark.django_db

INVOICES = "/api/v1/invoices/"
RUNS = "/api/v1/invoice-runs/"
ABSURD = ["9999-12-31", "0001-01-01"]


def outside(field: str) -> str:
    return f"{field} must fall within the fiscal calendar: 2026-01-01 – 2026-12-31."


@pytest.fixture
def client(api_client, billing):
    api_client.force_authenticate(billing.manager)
    return api_client


def draft(billing) -> Invoice:
    billing.approve_ready("8")
    result = create_invoice_for_contract(
        contract=billing.contract,
        up_to=None,
        invoice_date=dt.date(2026, 3, 31),
        by=billing.manager,
        now=AT,
    )
    return Invoice.objects.get(pk=next(iter(result.invoice_ids)))


def schedule_row(billing, run_date: dt.date) -> c.InvoiceScheduleEntry:
    return c.InvoiceScheduleEntry.objects.create(
        line=billing.contract.lines.get(),
        run_date=run_date,
        cut_off_date=run_date - dt.timedelta(days=1),
    )


# --- the calendar ------------------------------------------------------------------------------


def test_the_calendar_runs_from_the_first_fiscal_year_to_the_last(billing):
    from ledger.services import create_fiscal_year

    create_fiscal_year(legal_entity=billing.project.legal_entity, year=2027)
    other = LegalEntityFactory(code="BE01")

    assert fiscal_calendar(legal_entity=billing.project.legal_entity) == fiscal_calendar()
    assert (fiscal_calendar().first_day, fiscal_calendar().last_day) == (
        dt.date(2026, 1, 1),
        dt.date(2027, 12, 31),
    )
    # Without a fiscal year, only the database's sane range holds.
    assert (
        fiscal_calendar(legal_entity=other).first_day,
        fiscal_calendar(legal_entity=other).last_day,
    ) == (dt.date(1900, 1, 1), dt.date(2999, 12, 31))


# --- invoice runs ------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ABSURD)
def test_the_api_refuses_a_run_outside_the_calendar_and_marks_no_row_done(
    client, billing, day, django_capture_on_commit_callbacks
):
    row = schedule_row(billing, dt.date(2026, 3, 16))
    billing.approve_ready("8")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RUNS, {"run_date": day}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"run_date": [outside("Run date")]}
    assert InvoiceRun.objects.count() == 0
    row.refresh_from_db()
    assert (row.status, row.ran_at) == (c.ScheduleStatus.PENDING, None)
    assert Invoice.objects.count() == 0


def test_the_api_still_starts_a_run_within_the_calendar(
    client, billing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(RUNS, {"run_date": "2026-03-16"}, format="json")

    assert response.status_code == 202, response.json()
    run = InvoiceRun.objects.get()
    assert (run.run_date, run.status) == (dt.date(2026, 3, 16), RunStatus.RUNNING)
    assert len(callbacks) == 1


def test_a_run_may_not_be_after_today():
    with pytest.raises(ValidationError) as refused:
        check_run_date(run_date=dt.date(2026, 3, 17), today=dt.date(2026, 3, 16))

    assert refused.value.message_dict == {
        "run_date": [
            "The run date may not be after today (2026-03-16): a run ahead of its day would "
            "mark schedule rows done before their cut-off."
        ]
    }
    check_run_date(run_date=dt.date(2026, 3, 16), today=dt.date(2026, 3, 16))


def test_the_run_page_refuses_a_run_outside_the_calendar(client, billing):
    from django.contrib.messages import get_messages
    from django.test import Client

    row = schedule_row(billing, dt.date(2026, 3, 16))
    page = Client()
    page.force_login(billing.manager)

    response = page.post(reverse("invoicing:run-list"), {"run_date": "9999-12-31"})

    assert response["Location"] == reverse("invoicing:run-list")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"run_date: {outside('Run date')}"
    ]
    assert InvoiceRun.objects.count() == 0
    row.refresh_from_db()
    assert row.status == c.ScheduleStatus.PENDING


def test_the_command_line_refuses_a_run_outside_the_calendar(billing):
    from io import StringIO

    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError) as refused:
        call_command("create_invoices", "--date", "9999-12-31", stdout=StringIO())

    assert str(refused.value) == outside("Run date")
    assert InvoiceRun.objects.count() == 0


# --- invoices ----------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ABSURD)
def test_patch_refuses_an_invoice_date_outside_the_calendar(client, billing, day):
    invoice = draft(billing)

    response = client.patch(
        f"{INVOICES}{invoice.pk}/",
        {"version": invoice.version, "invoice_date": day},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"invoice_date": [outside("Invoice date")]}
    changed = Invoice.objects.get(pk=invoice.pk)
    assert (changed.invoice_date, changed.version) == (dt.date(2026, 3, 31), invoice.version)


def test_patch_still_changes_an_invoice_date_within_the_calendar(client, billing):
    invoice = draft(billing)

    response = client.patch(
        f"{INVOICES}{invoice.pk}/",
        {"version": invoice.version, "invoice_date": "2026-12-31"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert Invoice.objects.get(pk=invoice.pk).invoice_date == dt.date(2026, 12, 31)


def test_the_invoice_page_refuses_an_invoice_date_outside_the_calendar(billing):
    from django.contrib.messages import get_messages
    from django.test import Client

    invoice = draft(billing)
    page = Client()
    page.force_login(billing.manager)

    response = page.post(
        reverse("invoicing:invoice-header", args=[invoice.pk]),
        {"version": invoice.version, "invoice_date": "0001-01-01"},
    )

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"invoice_date: {outside('Invoice date')}"
    ]
    assert Invoice.objects.get(pk=invoice.pk).invoice_date == dt.date(2026, 3, 31)


@pytest.mark.parametrize("field", ["up_to", "invoice_date"])
def test_create_invoice_refuses_a_date_outside_the_calendar(client, billing, field):
    billing.approve_ready("8")

    response = client.post(
        f"/api/v1/contracts/{billing.contract.pk}/create-invoice/",
        {field: "9999-12-31"},
        format="json",
    )

    assert response.status_code == 400
    label = {"up_to": "Up to", "invoice_date": "Invoice date"}[field]
    assert response.json()["errors"] == {field: [outside(label)]}
    assert Invoice.objects.count() == 0


def test_the_proposal_refuses_dates_outside_the_calendar(client, billing, accountant):
    invoice = draft(billing)
    client.post(f"{INVOICES}{invoice.pk}/confirm/", {}, format="json")
    invoice.refresh_from_db()
    client.force_authenticate(accountant)

    response = client.patch(
        f"{INVOICES}{invoice.pk}/proposal/",
        {
            "version": invoice.version,
            "invoice_date": "9999-12-31",
            "accounting_date": "0001-01-01",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "invoice_date": [outside("Invoice date")],
        "accounting_date": [outside("Accounting date")],
    }
    unchanged = Invoice.objects.get(pk=invoice.pk)
    assert (unchanged.invoice_date, unchanged.accounting_date, unchanged.status) == (
        dt.date(2026, 3, 31),
        None,
        InvoiceStatus.CONFIRMED,
    )


def test_a_draft_dated_outside_the_calendar_is_not_confirmed(client, billing):
    """A draft from before the calendar was enforced (within the database's range)."""
    invoice = draft(billing)
    Invoice.objects.filter(pk=invoice.pk).update(invoice_date=dt.date(2030, 1, 1))

    response = client.post(f"{INVOICES}{invoice.pk}/confirm/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"invoice_date": [outside("Invoice date")]}
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("invoicing_invoice", "invoice_date", "9999-12-31"),
        ("invoicing_invoice", "accounting_date", "0001-01-01"),
        ("invoicing_invoice", "due_date", "9999-12-31"),
        ("invoicing_invoicerun", "run_date", "9999-12-31"),
    ],
)
def test_postgresql_refuses_an_absurd_date_written_by_raw_sql(billing, table, column, value):
    invoice = draft(billing)
    run = InvoiceRun.objects.create(
        run_date=dt.date(2026, 3, 16), trigger=RunTrigger.API, started_at=AT, heartbeat_at=AT
    )
    pk = invoice.pk if table == "invoicing_invoice" else run.pk

    with (
        pytest.raises(IntegrityError, match="_sane"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])

    assert Invoice.objects.get(pk=invoice.pk).invoice_date == dt.date(2026, 3, 31)
    assert InvoiceRun.objects.get(pk=run.pk).run_date == dt.date(2026, 3, 16)


# --- schedules and milestones ----------------------------------------------------------------


def test_schedule_generation_refuses_an_end_date_outside_the_calendar(
    client, billing, administrator
):
    client.force_authenticate(administrator)
    response = client.post(
        "/api/v1/invoice-schedules/",
        {
            "line": billing.contract.lines.get().pk,
            "frequency": "monthly",
            "start_date": "2026-01-01",
            "end_date": "9999-12-31",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"end_date": [outside("End date")]}
    assert c.InvoiceScheduleEntry.objects.count() == 0


def test_milestone_dates_outside_the_calendar_are_refused(client, billing):
    contract = make_contract(
        project=billing.project,
        manager=billing.manager,
        method=c.BillingMethod.FIXED_PRICE,
        number="K-FP",
    )
    line = contract.lines.get()
    with pytest.raises(ValidationError) as refused:
        create_milestone(
            line=line, name="Go-live", milestone_date=dt.date(9999, 12, 31), amount=Decimal("100")
        )
    assert refused.value.message_dict == {"milestone_date": [outside("Date")]}
    assert c.Milestone.objects.count() == 0

    [milestone] = create_milestone(
        line=line, name="Go-live", milestone_date=dt.date(2026, 6, 30), amount=Decimal("100")
    )
    response = client.patch(
        f"/api/v1/milestones/{milestone.pk}/", {"milestone_date": "0001-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"milestone_date": [outside("Date")]}
    milestone.refresh_from_db()
    assert milestone.milestone_date == dt.date(2026, 6, 30)
