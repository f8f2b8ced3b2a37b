"""Invoice runs: the schedule drives them, repeats and races create nothing twice, and one bad
contract fails alone."""

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.db import connection, connections

from actuals.models import Actual, ActualType, BillingStatus
from actuals.services.billing import mark_milestones_ready
from contracts import models as c
from contracts.services import (
    ContractSpec,
    Coverage,
    CustomerSplit,
    LineSpec,
    LineSplit,
    create_contract,
    create_milestone,
    generate_invoice_schedule,
)
from invoicing.models import Invoice, InvoiceDetail, InvoiceRun, RunStatus, RunTrigger
from invoicing.queries import invoice_totals
from invoicing.services import confirm_invoice, create_invoice_for_contract, execute_run, record_run

from .conftest import AT, make_contract

D_ = dt.date


def run_on(day: dt.date) -> InvoiceRun:
    run = record_run(run_date=day, trigger=RunTrigger.COMMAND, by=None, now=AT)
    return execute_run(run=run, clock=lambda: AT)


@pytest.fixture
def scheduled(billing):
    """The billing contract with a two-weekly schedule on Mondays 2 March – 30 March."""
    generate_invoice_schedule(
        line=billing.contract.lines.get(),
        frequency=c.ScheduleFrequency.BIWEEKLY,
        start_date=D_(2026, 3, 2),
        end_date=D_(2026, 3, 31),
    )
    return billing


@pytest.mark.django_db
def test_a_two_weekly_schedule_with_two_milestones_invoices_on_its_run_dates_only(
    billing, project_manager
):
    project = billing.project
    contract = create_contract(
        spec=ContractSpec(
            number="MIX-1",
            name="T&M and fixed price",
            legal_entity=project.legal_entity,
            project_manager=project_manager,
            currency="EUR",
            start_date=D_(2026, 1, 1),
            customers=[
                CustomerSplit(customer=project.customer, split_percent=D(100), is_rounding=True)
            ],
            lines=[
                LineSpec(
                    name="Time and material",
                    billing_method=c.BillingMethod.TIME_AND_MATERIAL,
                    transaction_classes=[c.TransactionClass.TIME],
                    coverage=[Coverage(project=project)],
                    customers=[
                        LineSplit(customer=project.customer, split_percent=D(100), is_rounding=True)
                    ],
                ),
                LineSpec(
                    name="Fixed price",
                    billing_method=c.BillingMethod.FIXED_PRICE,
                    transaction_classes=[c.TransactionClass.MILESTONE],
                    coverage=[Coverage(project=project)],
                    customers=[
                        LineSplit(customer=project.customer, split_percent=D(100), is_rounding=True)
                    ],
                ),
            ],
        )
    )
    c.Contract.objects.filter(pk=billing.contract.pk).update(status=c.ContractStatus.CLOSED)
    tm_line, fp_line = contract.lines.order_by("pk")
    generate_invoice_schedule(
        line=tm_line,
        frequency=c.ScheduleFrequency.BIWEEKLY,
        start_date=D_(2026, 3, 2),
        end_date=D_(2026, 3, 31),
    )
    m1 = create_milestone(
        line=fp_line, name="Design", milestone_date=D_(2026, 3, 5), amount=D("5000")
    )
    m2 = create_milestone(
        line=fp_line, name="Build", milestone_date=D_(2026, 3, 25), amount=D("3000")
    )
    mark_milestones_ready(milestone_ids=[m.pk for m in m1 + m2], by=None, at=AT)
    for hours, day in (("8", D_(2026, 3, 2)), ("4", D_(2026, 3, 10)), ("2", D_(2026, 3, 20))):
        billing.approve_ready(hours, day=day)

    invoices_by_day = {}
    for offset in range(31):
        day = D_(2026, 3, 1) + dt.timedelta(days=offset)
        run = run_on(day)
        created = list(Invoice.objects.filter(run=run).order_by("pk"))
        if created:
            invoices_by_day[day] = [(invoice_totals(i).net, i.details.count()) for i in created]
            for invoice in created:
                confirm_invoice(invoice=invoice, by=project_manager, at=AT)

    assert invoices_by_day == {
        D_(2026, 3, 16): [(D("7400.00"), 3)],  # 8 h + 4 h (cut-off 15 March) and Design
        D_(2026, 3, 30): [(D("3400.00"), 2)],  # 2 h (cut-off 29 March) and Build
    }
    assert set(
        c.InvoiceScheduleEntry.objects.filter(line=tm_line).values_list("status", flat=True)
    ) == {"done"}


@pytest.mark.django_db
def test_running_twice_creates_nothing_new(scheduled):
    scheduled.approve_ready("8", day=D_(2026, 3, 10))

    first = run_on(D_(2026, 3, 16))
    second = run_on(D_(2026, 3, 16))

    assert (first.contracts_total, first.invoices_count, first.items_count, first.amounts) == (
        1,
        1,
        1,
        {"EUR": "1600.00"},
    )
    assert (second.contracts_total, second.invoices_count, second.items_count) == (0, 0, 0)
    assert first.status == RunStatus.DONE
    assert InvoiceDetail.objects.count() == 1


@pytest.mark.django_db
def test_missed_nights_are_caught_up(scheduled):
    scheduled.approve_ready("8", day=D_(2026, 3, 10))
    scheduled.approve_ready("2", day=D_(2026, 3, 20))

    run = run_on(D_(2026, 3, 31))  # the 2, 16 and 30 March runs were missed

    assert (run.invoices_count, run.items_count, run.amounts) == (1, 2, {"EUR": "2000.00"})
    assert list(
        c.InvoiceScheduleEntry.objects.order_by("run_date").values_list("run_date", "status")
    ) == [(D_(2026, 3, 2), "done"), (D_(2026, 3, 16), "done"), (D_(2026, 3, 30), "done")]


@pytest.mark.django_db
def test_one_bad_contract_fails_alone_and_the_others_go_on(scheduled, project_manager, settings):
    settings.INVOICE_RUN_BATCH = 10
    scheduled.approve_ready("8", day=D_(2026, 3, 10))
    other_project = c.Project.objects.create(
        code="P-2",
        name="Second",
        customer=scheduled.project.customer,
        project_manager=project_manager,
        legal_entity=scheduled.project.legal_entity,
        start_date=D_(2026, 1, 1),
    )
    bad = make_contract(project=other_project, manager=project_manager, number="BAD-1")
    generate_invoice_schedule(
        line=bad.lines.get(),
        frequency=c.ScheduleFrequency.BIWEEKLY,
        start_date=D_(2026, 3, 2),
        end_date=D_(2026, 3, 31),
    )
    scheduled.approve_ready("4", day=D_(2026, 3, 10), project=other_project)
    with connection.cursor() as cursor:  # a real database failure for this contract only
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

    run = run_on(D_(2026, 3, 16))

    assert (
        run.status,
        run.contracts_total,
        run.invoices_count,
        run.items_count,
        run.failures_count,
    ) == (
        RunStatus.DONE_WITH_FAILURES,
        2,
        1,
        1,
        1,
    )
    failure = run.failures.get()
    assert failure.contract == bad
    assert failure.message == "customer address missing for contract BAD-1"
    bad_rows = c.InvoiceScheduleEntry.objects.filter(line__contract=bad).order_by("run_date")
    assert list(bad_rows.values_list("run_date", "status", "failure_reason")) == [
        (D_(2026, 3, 2), "failed", "customer address missing for contract BAD-1"),
        (D_(2026, 3, 16), "failed", "customer address missing for contract BAD-1"),
        (D_(2026, 3, 30), "pending", ""),
    ]
    assert Actual.objects.filter(contract=bad, billing__status=BillingStatus.READY).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_and_a_manual_create_at_once_put_every_actual_on_exactly_one_invoice(scheduled):
    for day in range(2, 14):
        scheduled.approve_ready("1", day=D_(2026, 3, day))
    ready = set(
        Actual.objects.filter(
            actual_type=ActualType.UNBILLED_SALES, billing__status="ready"
        ).values_list("pk", flat=True)
    )
    assert len(ready) == 12
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def in_thread(work):
        def target():
            try:
                barrier.wait()
                work()
            except BaseException as error:  # reported by the assertion below
                errors.append(error)
            finally:
                connections.close_all()

        return threading.Thread(target=target)

    threads = [
        in_thread(lambda: run_on(D_(2026, 3, 16))),
        in_thread(lambda: run_on(D_(2026, 3, 16))),
        in_thread(
            lambda: create_invoice_for_contract(
                contract=scheduled.contract,
                up_to=None,
                invoice_date=D_(2026, 3, 16),
                by=scheduled.manager,
                now=AT,
            )
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    on_details = list(InvoiceDetail.objects.values_list("actual_id", flat=True))
    assert sorted(on_details) == sorted(ready)  # each actual exactly once
    assert Invoice.objects.count() == 1
    assert set(Actual.objects.filter(pk__in=ready).values_list("billing__status", flat=True)) == {
        "on_draft"
    }
