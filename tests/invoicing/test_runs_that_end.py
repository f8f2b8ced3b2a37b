"""Runs that end: a run whose worker died is marked failed with the reason, and can be retried;
a run's batches can be billed by several workers; the detail table's references hold."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.urls import reverse

from actuals.models import Actual
from contracts import models as c
from contracts.services import generate_invoice_schedule
from invoicing.models import Invoice, InvoiceDetail, InvoiceRun, RunStatus, RunTrigger
from invoicing.services import (
    RunStateError,
    bill_run_batch,
    create_invoice_for_contract,
    execute_run,
    fail_stalled_runs,
    plan_run,
    record_run,
    retry_run,
    start_run,
)
from tests.factories import ProjectFactory

from .conftest import AT, make_contract

pytestmark = pytest.mark.django_db

RUN_DATE = dt.date(2026, 3, 16)


def _scheduled(contract: c.Contract) -> None:
    generate_invoice_schedule(
        line=contract.lines.get(),
        frequency=c.ScheduleFrequency.WEEKLY,
        start_date=RUN_DATE,
        end_date=RUN_DATE,
    )


@pytest.fixture
def scheduled(billing):
    """The billing contract with a run on 16 March and 8 h ready."""
    _scheduled(billing.contract)
    billing.approve_ready("8")
    return billing


def test_a_run_without_progress_is_marked_failed_and_says_why(scheduled, settings):
    settings.JOB_STALLED_AFTER_MINUTES = 10
    run = record_run(run_date=RUN_DATE, trigger=RunTrigger.API, by=None, now=AT)
    plan_run(run=run, now=AT)  # planned, then its worker died: no batch was billed

    assert fail_stalled_runs(now=AT + dt.timedelta(minutes=9)) == []
    assert fail_stalled_runs(now=AT + dt.timedelta(minutes=11)) == [run.pk]

    run.refresh_from_db()
    assert (run.status, run.finished_at) == (RunStatus.FAILED, AT + dt.timedelta(minutes=11))
    assert run.message == (
        "No progress since 2026-03-06 13:00 (0 of 1 batches billed): the worker running it "
        "stopped (killed, or its broker was lost) or no worker took it. What it finished stays "
        "done; start it again for the rest."
    )
    # A late batch of the dead run bills nothing: the run is over.
    bill_run_batch(run=run, batch=1, contract_ids=[scheduled.contract.pk], clock=lambda: AT)
    assert not Invoice.objects.exists()


def test_a_run_whose_queue_cannot_be_reached_fails_at_once_and_says_why(
    scheduled, monkeypatch, django_capture_on_commit_callbacks
):
    """The broker is what leaves the process: stand-in for it being down."""
    from kombu.exceptions import OperationalError

    from invoicing.tasks import execute_invoice_run

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(execute_invoice_run, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        run = start_run(run_date=AT.date(), trigger=RunTrigger.API, by=None, now=AT)
    run.refresh_from_db()

    assert (run.status, run.finished_at, run.message) == (
        RunStatus.FAILED,
        AT,
        "The task queue could not be reached, so the run did not start (Error 111 connecting "
        "to 127.0.0.1:6399. Connection refused.). Start it again when the queue is back.",
    )
    assert Invoice.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_503_with_retry_after_when_the_queue_is_down(
    scheduled, api_client, monkeypatch
):
    """A real commit (no test transaction), so the task is sent inside the request."""
    from kombu.exceptions import OperationalError

    from invoicing.tasks import execute_invoice_run

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(execute_invoice_run, "delay", unreachable)
    api_client.force_authenticate(scheduled.manager)
    response = api_client.post(
        "/api/v1/invoice-runs/", {"run_date": RUN_DATE.isoformat()}, format="json"
    )

    message = (
        "The task queue could not be reached, so the run did not start (Error 111 connecting "
        "to 127.0.0.1:6399. Connection refused.). Start it again when the queue is back."
    )
    body = response.json()
    assert (response.status_code, response["Retry-After"], body["detail"]) == (503, "30", message)
    assert (body["run"]["status"], body["run"]["message"], body["errors"]) == (
        "failed",
        message,
        {},
    )
    run = InvoiceRun.objects.get()
    assert (run.status, run.message) == (RunStatus.FAILED, message)
    assert Invoice.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_page_says_the_run_did_not_start_when_the_queue_is_down(scheduled, client, monkeypatch):
    from kombu.exceptions import OperationalError

    from invoicing.tasks import execute_invoice_run

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(execute_invoice_run, "delay", unreachable)
    client.force_login(scheduled.manager)
    response = client.post(
        reverse("invoicing:run-list"), {"run_date": RUN_DATE.isoformat()}, follow=True
    )

    run = InvoiceRun.objects.get()
    said = [(m.level_tag, m.message) for m in response.context["messages"]]
    assert said == [
        (
            "error",
            "The task queue could not be reached, so the run did not start (Error 111 "
            "connecting to 127.0.0.1:6399. Connection refused.). Start it again when the queue "
            "is back.",
        )
    ]
    assert (response.redirect_chain[-1][0], run.status) == (
        f"/billing/runs/{run.pk}/",
        RunStatus.FAILED,
    )


def test_a_failed_run_is_retried_and_bills_what_is_still_due(scheduled):
    run = record_run(run_date=RUN_DATE, trigger=RunTrigger.API, by=None, now=AT)
    plan_run(run=run, now=AT)
    fail_stalled_runs(now=AT + dt.timedelta(hours=1))

    with pytest.raises(RunStateError, match="only a failed run can be retried"):
        retry_run(
            run=record_run(run_date=RUN_DATE, trigger=RunTrigger.API, by=None, now=AT),
            trigger=RunTrigger.API,
            by=None,
            now=AT,
        )
    retry = retry_run(run=run, trigger=RunTrigger.PORTAL, by=scheduled.manager, now=AT)
    retry = execute_run(run=retry, clock=lambda: AT)

    assert (retry.retry_of, retry.status, retry.invoices_count, retry.items_count) == (
        run,
        RunStatus.DONE,
        1,
        1,
    )
    assert retry.amounts == {"EUR": "1600.00"}
    assert (retry.batches_total, retry.batches_done, retry.heartbeat_at) == (1, 1, AT)


def test_the_api_and_the_page_say_a_run_failed_and_retry_it(
    scheduled, api_client, client, django_capture_on_commit_callbacks
):
    run = record_run(run_date=RUN_DATE, trigger=RunTrigger.API, by=None, now=AT)
    fail_stalled_runs(now=AT + dt.timedelta(hours=1))
    api_client.force_authenticate(scheduled.manager)

    body = api_client.get(f"/api/v1/invoice-runs/{run.pk}/").json()
    assert (body["status"], body["batches_done"]) == ("failed", 0)
    assert body["message"].startswith("No progress since 2026-03-06 13:00")  # Amsterdam time

    with django_capture_on_commit_callbacks(execute=False) as queued:
        retried = api_client.post(f"/api/v1/invoice-runs/{run.pk}/retry/")
    assert retried.status_code == 202
    assert (retried.json()["retry_of"], retried.json()["status"]) == (run.pk, "running")
    assert len(queued) == 1
    again = api_client.post(f"/api/v1/invoice-runs/{retried.json()['id']}/retry/")
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"Run {retried.json()['id']} is running; only a failed run can be retried."
    )

    client.force_login(scheduled.manager)
    page = client.get(reverse("invoicing:run-detail", args=[run.pk])).content.decode()
    assert 'id="run-message"' in page and 'id="run-retry"' in page
    assert f'href="/billing/runs/{retried.json()["id"]}/"' in page


def test_batches_billed_apart_bill_every_item_once(billing):
    """Three contracts billed in batches of one, out of order and one twice (a task delivered
    again): every actual ends up on exactly one detail, and the run closes once."""
    projects = [billing.project] + [
        ProjectFactory(
            code=f"P-{n}",
            customer=billing.project.customer,
            project_manager=billing.manager,
            legal_entity=billing.project.legal_entity,
        )
        for n in (2, 3)
    ]
    contracts = [billing.contract] + [
        make_contract(project=p, manager=billing.manager, number=f"K-{p.code}")
        for p in projects[1:]
    ]
    items = []
    for contract, project in zip(contracts, projects, strict=True):
        _scheduled(contract)
        items += billing.approve_ready("8", project=project)
    run = record_run(run_date=RUN_DATE, trigger=RunTrigger.API, by=None, now=AT)
    with override_settings(INVOICE_RUN_BATCH=1):
        batches = plan_run(run=run, now=AT)
        assert batches == [[k.pk] for k in contracts]
        bill_run_batch(run=run, batch=3, contract_ids=batches[2], clock=lambda: AT)
        # The run's own task delivered again (its worker died before acknowledging it): the
        # same plan, so batch numbers keep naming the same contracts.
        assert plan_run(run=run, now=AT) == batches

    for number in (1, 3, 2, 1):
        bill_run_batch(run=run, batch=number, contract_ids=batches[number - 1], clock=lambda: AT)

    run.refresh_from_db()
    assert (run.status, run.batches_billed, run.invoices_count, run.items_count) == (
        RunStatus.DONE,
        [1, 2, 3],
        3,
        3,
    )
    assert run.contracts_done == 3
    assert sorted(InvoiceDetail.objects.values_list("actual_id", flat=True)) == sorted(
        a.pk for a in items
    )


# --- the detail table's references, kept per statement -----------------------------------------


def _insert_detail(**values) -> None:
    columns = {
        "transaction_class": "fee",
        "credited": False,
        "transaction_date": "2026-03-02",
        "original_quantity": 1,
        "quantity": 1,
        "unit_price": 100,
        "amount": 100,
        "currency": "EUR",
        "billing_type": "chargeable",
        "description": "",
        "external_description": "",
        **values,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO invoicing_invoicedetail ({', '.join(columns)}) VALUES"
            f" ({', '.join(['%s'] * len(columns))})",
            list(columns.values()),
        )


@pytest.fixture
def draft(billing) -> Invoice:
    billing.approve_ready("8")
    result = create_invoice_for_contract(
        contract=billing.contract, up_to=None, invoice_date=RUN_DATE, by=billing.manager, now=AT
    )
    return Invoice.objects.get(pk=next(iter(result.invoice_ids)))


def test_postgresql_refuses_a_detail_whose_references_do_not_hold(billing, draft):
    line = draft.lines.get()
    [ready] = billing.approve("4")  # not ready, not claimed
    other = InvoiceDetail.objects.get(invoice=draft)
    count = InvoiceDetail.objects.count()

    cases = [
        ({"invoice_id": draft.pk, "line_id": line.pk + 1000}, "is not on invoice"),
        ({"invoice_id": draft.pk + 1000, "line_id": line.pk}, "is not on invoice"),
        ({"invoice_id": draft.pk, "line_id": line.pk, "actual_id": ready.pk}, "not claimed"),
        ({"invoice_id": draft.pk, "line_id": line.pk, "actual_id": 10**9}, "not claimed"),
        ({"invoice_id": draft.pk, "line_id": line.pk, "sales_tax_group_id": 10**9}, "tax group"),
        ({"invoice_id": draft.pk, "line_id": line.pk, "milestone_id": 10**9}, "milestone"),
    ]
    for values, message in cases:
        with pytest.raises(IntegrityError, match=message), transaction.atomic():
            _insert_detail(**values)
    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
        InvoiceDetail.objects.filter(pk=other.pk).update(billed_actual_id=10**9)
    for table, pk in (
        ("invoicing_invoiceline", line.pk),
        ("contracts_salestaxgroup", other.sales_tax_group_id),
    ):
        with (
            pytest.raises(IntegrityError, match="details still name a deleted row"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])

    assert InvoiceDetail.objects.count() == count
    assert Actual.objects.get(pk=ready.pk).billing.status == "not_ready"
    _insert_detail(invoice_id=draft.pk, line_id=line.pk)  # a fee: nothing to claim
    assert InvoiceDetail.objects.count() == count + 1
    assert D("100") in set(InvoiceDetail.objects.values_list("amount", flat=True))
