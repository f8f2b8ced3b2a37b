"""The billing lifecycle's table of moves, kept by the service and refused by PostgreSQL.

Every pair of statuses is tried from raw SQL: the moves of ``BILLING_MOVES`` (and
``MILESTONE_MOVES``) pass, every other one is refused with ``restrict_violation`` and changes
nothing. The milestone's django-fsm-2 transitions are the same table."""

import itertools

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import ProgrammingError

from actuals.models import BILLING_MOVES, ActualBilling, BillingStatus
from contracts.models import MILESTONE_MOVES, Milestone, MilestoneStatus
from contracts.services import create_milestone
from tests.invoicing.conftest import AT, billing  # noqa: F401  (the billing world)

pytestmark = pytest.mark.django_db

#: For each status, the moves from not ready that reach it (the way there is legal).
_PATH = {
    BillingStatus.NOT_READY: [],
    BillingStatus.READY: ["ready"],
    BillingStatus.ON_DRAFT: ["ready", "on_draft"],
    BillingStatus.INVOICED: ["ready", "on_draft", "invoiced"],
    BillingStatus.WRITTEN_OFF: ["written_off"],
    BillingStatus.CANCELLED: ["cancelled"],
}


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _item_in(billing, status: str) -> ActualBilling:  # noqa: F811
    [actual] = billing.approve("8")
    for step in _PATH[status]:
        reason = "Goodwill" if step == "written_off" else ""
        _sql(
            "UPDATE actuals_actualbilling SET status = %s, write_off_reason = %s"
            " WHERE actual_id = %s",
            [step, reason, actual.pk],
        )
    return ActualBilling.objects.get(pk=actual.pk)


ALL_PAIRS = [(a, b) for a, b in itertools.product(BillingStatus.values, repeat=2) if a != b]


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS)
def test_postgresql_allows_exactly_the_table_of_moves(billing, source, target):  # noqa: F811
    item = _item_in(billing, source)
    reason = "Goodwill" if target == BillingStatus.WRITTEN_OFF else item.write_off_reason
    move = (
        "UPDATE actuals_actualbilling SET status = %s, write_off_reason = %s WHERE actual_id = %s"
    )

    if (source, target) in BILLING_MOVES:
        _sql(move, [target, reason, item.pk])
        assert ActualBilling.objects.get(pk=item.pk).status == target
    else:
        with (
            pytest.raises(IntegrityError, match=f"cannot move from {source} to {target}"),
            transaction.atomic(),
        ):
            _sql(move, [target, reason, item.pk])
        assert ActualBilling.objects.get(pk=item.pk).status == source


def test_the_table_of_moves_is_the_documented_lifecycle():
    assert set(BILLING_MOVES) == {
        ("not_ready", "ready"),
        ("ready", "not_ready"),
        ("ready", "on_draft"),
        ("on_draft", "ready"),
        ("on_draft", "invoiced"),
        ("not_ready", "written_off"),
        ("ready", "written_off"),
        ("written_off", "not_ready"),
        ("not_ready", "cancelled"),
        ("ready", "cancelled"),
    }


def test_a_new_billing_row_starts_not_ready_and_none_is_ever_deleted(billing):  # noqa: F811
    [actual] = billing.approve("8")
    row = ActualBilling.objects.get(pk=actual.pk)

    with (
        pytest.raises(
            IntegrityError, match="a new row starts with status in 'not_ready', not ready"
        ),
        transaction.atomic(),
    ):
        _sql(
            "INSERT INTO actuals_actualbilling (actual_id, contract_id, contract_line_id,"
            " contract_customer_id, transaction_date, billable, status, nte_status,"
            " nte_failed_level, nte_message, write_off_reason)"
            " SELECT actual_id, contract_id, contract_line_id, contract_customer_id,"
            " transaction_date, billable, 'ready', nte_status, '', '', ''"
            " FROM actuals_actualbilling WHERE actual_id = %s",
            [actual.pk],
        )
    with pytest.raises(ProgrammingError, match="Cannot delete rows"), transaction.atomic():
        _sql("DELETE FROM actuals_actualbilling WHERE actual_id = %s", [actual.pk])
    with pytest.raises(ProgrammingError, match="Cannot update rows"), transaction.atomic():
        _sql(
            "UPDATE actuals_actualbilling SET transaction_date = '2026-01-01' WHERE actual_id = %s",
            [actual.pk],
        )
    assert ActualBilling.objects.get(pk=actual.pk) == row


def test_only_a_billable_item_within_its_limit_can_be_ready(billing):  # noqa: F811
    [actual] = billing.approve("8", billable="6")  # 6 h chargeable, 2 h non-chargeable
    given_away = ActualBilling.objects.get(actual__time_entry=actual.time_entry, billable=False)
    _sql(
        "UPDATE actuals_actualbilling SET nte_status = 'failed', nte_failed_level = 'line',"
        " nte_message = 'Line limit' WHERE actual_id = %s",
        [actual.pk],
    )

    for item in (given_away.pk, actual.pk):
        with (
            pytest.raises(IntegrityError, match="billing_only_billable_items_move"),
            transaction.atomic(),
        ):
            _sql("UPDATE actuals_actualbilling SET status = 'ready' WHERE actual_id = %s", [item])
    assert set(
        ActualBilling.objects.filter(actual__time_entry=actual.time_entry).values_list(
            "status", flat=True
        )
    ) == {"not_ready"}


def test_the_claim_leaves_no_history_row_and_every_other_move_does(billing):  # noqa: F811
    [actual] = billing.approve("8")

    for step in ("ready", "on_draft", "ready", "not_ready"):
        _sql("UPDATE actuals_actualbilling SET status = %s WHERE actual_id = %s", [step, actual.pk])

    events = ActualBilling.pgh_event_model.objects.filter(pgh_obj_id=actual.pk)  # type: ignore[attr-defined]
    assert list(events.order_by("pgh_id").values_list("status", flat=True)) == [
        "ready",
        "ready",  # released from the draft (the claim itself is recorded by its detail)
        "not_ready",
    ]


# --- milestones ---------------------------------------------------------------------------------

_M_PATH = {
    MilestoneStatus.NOT_READY: [],
    MilestoneStatus.READY: ["ready"],
    MilestoneStatus.ON_DRAFT: ["ready", "on_draft"],
    MilestoneStatus.INVOICED: ["ready", "on_draft", "invoiced"],
}


@pytest.fixture
def fixed_line(billing):  # noqa: F811
    line = billing.contract.lines.get()
    line.billing_method = "fp"
    line.save(update_fields=["billing_method"])
    return line


@pytest.mark.parametrize(
    ("source", "target"),
    [(a, b) for a, b in itertools.product(MilestoneStatus.values, repeat=2) if a != b],
)
def test_postgresql_moves_a_milestone_only_along_its_table(fixed_line, source, target):
    [milestone] = create_milestone(
        line=fixed_line, name="Design", milestone_date=AT.date(), amount=1000
    )
    for step in _M_PATH[source]:
        _sql("UPDATE contracts_milestone SET status = %s WHERE id = %s", [step, milestone.pk])
    move = "UPDATE contracts_milestone SET status = %s WHERE id = %s"

    if (source, target) in MILESTONE_MOVES:
        _sql(move, [target, milestone.pk])
        assert Milestone.objects.get(pk=milestone.pk).status == target
    else:
        with (
            pytest.raises(IntegrityError, match=f"cannot move from {source} to {target}"),
            transaction.atomic(),
        ):
            _sql(move, [target, milestone.pk])
        assert Milestone.objects.get(pk=milestone.pk).status == source


def test_the_milestone_transitions_are_its_table_of_moves():
    transitions = {
        (t.source, t.target): t.name
        for t in Milestone._meta.get_field("status").get_all_transitions(Milestone)
    }
    assert transitions == MILESTONE_MOVES


def test_each_milestone_transition_sets_its_own_fields(fixed_line, project_manager):
    [m] = create_milestone(line=fixed_line, name="Design", milestone_date=AT.date(), amount=1000)

    m.mark_ready(by=project_manager, at=AT)
    assert (m.status, m.ready_by, m.status_changed_at, m.invoiced_at) == (
        "ready",
        project_manager,
        AT,
        None,
    )
    m.claim(at=AT)
    m.invoice(at=AT)
    assert (m.status, m.invoiced_at) == ("invoiced", AT)
    m.credit(at=AT)
    assert (m.status, m.invoiced_at) == ("ready", None)
    m.mark_not_ready(at=AT)
    assert (m.status, m.ready_by) == ("not_ready", None)
