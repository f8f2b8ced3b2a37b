"""Not-to-exceed, cancelling an approval, and the database's guard on actuals."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.db.utils import IntegrityError, ProgrammingError

from actuals import services
from actuals.models import (
    Actual,
    ActualBilling,
    ActualType,
    BillingStatus,
    BillingType,
    EntryStatus,
    NteLevel,
    NteStatus,
)
from contracts import models as c
from tests.actuals.conftest import AT, make_contract

D = Decimal

#: The legal path of moves from not ready to each status (what the billing service would do).
_PATH = {
    BillingStatus.READY: ["ready"],
    BillingStatus.ON_DRAFT: ["ready", "on_draft"],
    BillingStatus.INVOICED: ["ready", "on_draft", "invoiced"],
}


def move(actual: Actual, status: str) -> None:
    for step in _PATH[status]:
        ActualBilling.objects.filter(pk=actual.pk).update(status=step)


def test_third_entry_crosses_the_line_customer_limit_and_raising_it_clears(world):
    contract = make_contract(
        project=world.project, manager=world.manager, line_customer_nte=D("4000")
    )
    first, second, third = (
        world.entry("8", day=world.project.start_date.replace(month=3, day=d)) for d in (2, 3, 4)
    )

    r1 = services.approve_time_entry(entry=first, approved_by=world.manager, approved_at=AT)
    r2 = services.approve_time_entry(entry=second, approved_by=world.manager, approved_at=AT)
    r3 = services.approve_time_entry(entry=third, approved_by=world.manager, approved_at=AT)

    assert [r.unbilled[0].billing.nte_status for r in (r1, r2)] == [NteStatus.OK, NteStatus.OK]
    failed = ActualBilling.objects.get(pk=r3.unbilled[0].pk)
    assert failed.nte_status == NteStatus.FAILED
    assert failed.nte_failed_level == NteLevel.LINE_CUSTOMER
    assert failed.nte_message == (
        "Not-to-exceed limit of the line customer exceeded: 3200.00 invoiced and in the "
        "backlog + 1600.00 = 4800.00, limit 4000.00 EUR."
    )
    assert r3.warnings == [failed.nte_message]
    assert failed.actual.amount == D("1600.00")  # the actual is written and stays visible
    assert failed.status == BillingStatus.NOT_READY

    # Re-evaluating without raising the limit changes nothing.
    assert services.reevaluate_nte(contract=contract) == []
    failed.refresh_from_db()
    assert failed.nte_status == NteStatus.FAILED

    c.LineCustomer.objects.filter(line__contract=contract).update(nte_limit=D("4800"))
    cleared = services.reevaluate_nte(contract=contract)

    assert [a.pk for a in cleared] == [failed.pk]
    failed.refresh_from_db()
    assert (failed.nte_status, failed.nte_failed_level, failed.nte_message) == (
        NteStatus.OK,
        "",
        "",
    )


def test_contract_level_limit_is_named(world):
    make_contract(project=world.project, manager=world.manager, contract_nte=D("1000"))
    entry = world.entry("8")

    result = services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)

    assert result.unbilled[0].billing.nte_status == NteStatus.FAILED
    assert result.unbilled[0].billing.nte_failed_level == NteLevel.CONTRACT


def test_invoiced_amounts_count_against_the_limit(world):
    make_contract(project=world.project, manager=world.manager, line_nte=D("2000"))
    first = world.entry("8")
    r1 = services.approve_time_entry(entry=first, approved_by=world.manager, approved_at=AT)
    # What confirmation does (reduced to what NTE reads): invoiced, and a billed actual.
    move(r1.unbilled[0], BillingStatus.INVOICED)
    r1.unbilled[0].derived(actual_type=ActualType.BILLED_SALES, created_at=AT).save()
    second = world.entry("3", day=first.entry_date.replace(day=3))

    r2 = services.approve_time_entry(entry=second, approved_by=world.manager, approved_at=AT)

    assert (r2.unbilled[0].billing.nte_status, r2.unbilled[0].billing.nte_failed_level) == (
        NteStatus.FAILED,
        NteLevel.LINE,
    )


def test_cancelling_an_approval_writes_exact_reversals(world):
    make_contract(project=world.project, manager=world.manager)
    entry = world.entry("8")
    approved = services.approve_time_entry(
        entry=entry, approved_by=world.manager, approved_at=AT, billable_quantity=D("6")
    )

    result = services.cancel_approval(entry=entry, by=world.manager, at=AT, reason="Wrong project")

    originals = approved.actuals
    assert [
        (r.reverses_id, r.actual_type, r.billing_type, r.quantity, r.amount)
        for r in result.reversals
    ] == [
        (originals[0].pk, ActualType.COST, BillingType.CHARGEABLE, D("-8.00"), D("-800.00")),
        (
            originals[1].pk,
            ActualType.UNBILLED_SALES,
            BillingType.CHARGEABLE,
            D("-6.00"),
            D("-1200.00"),
        ),
        (
            originals[2].pk,
            ActualType.UNBILLED_SALES,
            BillingType.NON_CHARGEABLE,
            D("-2.00"),
            D("-400.00"),
        ),
    ]
    assert not ActualBilling.objects.filter(actual__in=result.reversals).exists()
    statuses = dict(
        ActualBilling.objects.filter(actual__in=originals).values_list("actual_id", "status")
    )
    assert statuses == {originals[1].pk: "cancelled", originals[2].pk: "cancelled"}
    per_type = {}
    for a in Actual.objects.filter(time_entry=entry):
        per_type[a.actual_type] = per_type.get(a.actual_type, D(0)) + a.amount
    assert per_type == {ActualType.COST: D("0.00"), ActualType.UNBILLED_SALES: D("0.00")}
    entry.refresh_from_db()
    assert entry.status == EntryStatus.RETURNED
    assert entry.return_comment == "Wrong project"
    assert entry.approved_by is None

    # Resubmitted and approved again: a fresh set of actuals; a second cancel reverses only it.
    services.submit_entry(
        entry=entry, by=world.resource.user, submitted_at=AT, today=entry.entry_date
    )
    services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)
    again = services.cancel_approval(entry=entry, by=world.manager, at=AT)
    assert [r.amount for r in again.reversals] == [D("-800.00"), D("-1600.00")]


@pytest.mark.parametrize("status", [BillingStatus.ON_DRAFT, BillingStatus.INVOICED])
def test_cancelling_is_refused_while_a_sales_actual_is_on_an_invoice(world, status):
    make_contract(project=world.project, manager=world.manager)
    entry = world.entry("8")
    approved = services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)
    move(approved.unbilled[0], status)

    with pytest.raises(services.EntryStateError, match="are on an invoice"):
        services.cancel_approval(entry=entry, by=world.manager, at=AT)

    assert Actual.objects.filter(time_entry=entry).count() == 2
    entry.refresh_from_db()
    assert entry.status == EntryStatus.APPROVED


def test_cancelling_a_submitted_entry_is_refused(world):
    entry = world.entry("8")
    with pytest.raises(services.EntryStateError, match="only an approved entry"):
        services.cancel_approval(entry=entry, by=world.manager, at=AT)


def test_database_refuses_update_of_amount_and_delete(world):
    make_contract(project=world.project, manager=world.manager)
    entry = world.entry("8")
    actual = services.approve_time_entry(
        entry=entry, approved_by=world.manager, approved_at=AT
    ).cost[0]

    with (
        pytest.raises(ProgrammingError, match="Cannot update rows"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("UPDATE actuals_actual SET amount = 1 WHERE id = %s", [actual.pk])
    with (
        pytest.raises(ProgrammingError, match="Cannot delete rows"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("DELETE FROM actuals_actual WHERE id = %s", [actual.pk])

    actual.refresh_from_db()
    assert actual.amount == D("800.00")

    # The billing state beside it moves only along the allowed moves, and its history is kept.
    unbilled = Actual.objects.get(time_entry=entry, actual_type=ActualType.UNBILLED_SALES)
    with (
        pytest.raises(IntegrityError, match="cannot move from not_ready to invoiced"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(
            "UPDATE actuals_actualbilling SET status = 'invoiced' WHERE actual_id = %s",
            [unbilled.pk],
        )
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE actuals_actualbilling SET status = 'ready' WHERE actual_id = %s", [unbilled.pk]
        )
    events = ActualBilling.pgh_event_model.objects.filter(  # type: ignore[attr-defined]
        pgh_obj_id=unbilled.pk
    ).values_list("status", flat=True)
    assert list(events) == ["ready"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_approval_creates_one_set_of_actuals(world):
    make_contract(project=world.project, manager=world.manager)
    entry = world.entry("8")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve() -> None:
        try:
            barrier.wait()
            services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)
            outcomes.append("approved")
        except services.EntryStateError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["approved", "refused"]
    assert Actual.objects.filter(time_entry=entry).count() == 2
    assert sorted(Actual.objects.filter(time_entry=entry).values_list("amount", flat=True)) == [
        D("800.00"),
        D("1600.00"),
    ]
