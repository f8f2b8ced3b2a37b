"""Approval writes the actuals of DOMAIN.md §5 (worked examples 1 and 2 of §8 and more)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actuals import services
from actuals.models import Actual, ActualType, BillingStatus, BillingType, EntryStatus, NteStatus
from actuals.pricing import split_sales
from contracts import models as c
from contracts.services import BillingRule
from tests.actuals.conftest import AT, make_contract

D = Decimal


def rows(entry):
    """(type, billing type, quantity, amount) of the entry's actuals, in creation order."""
    return [
        (a.actual_type, a.billing_type, a.quantity, a.amount)
        for a in Actual.objects.filter(time_entry=entry).order_by("pk")
    ]


def test_worked_example_1_cost_and_unbilled_sales(world):
    make_contract(project=world.project, manager=world.manager)
    entry = world.entry("8")

    result = services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)

    assert result.warnings == []
    assert rows(entry) == [
        (ActualType.COST, BillingType.CHARGEABLE, D("8.00"), D("800.00")),
        (ActualType.UNBILLED_SALES, BillingType.CHARGEABLE, D("8.00"), D("1600.00")),
    ]
    unbilled = result.unbilled[0]
    assert unbilled.unit_price == D("200.0000")
    assert unbilled.billing.status == BillingStatus.NOT_READY
    assert unbilled.billing.nte_status == NteStatus.OK
    assert unbilled.customer == world.project.customer
    assert result.cost[0].currency == "EUR"
    entry.refresh_from_db()
    assert entry.status == EntryStatus.APPROVED
    assert entry.approved_by == world.manager
    assert entry.approved_at == AT


def test_worked_example_2_lowered_billable_hours(world):
    make_contract(project=world.project, manager=world.manager)
    entry = world.entry("8")

    services.approve_time_entry(
        entry=entry, approved_by=world.manager, approved_at=AT, billable_quantity=D("6")
    )

    assert rows(entry) == [
        (ActualType.COST, BillingType.CHARGEABLE, D("8.00"), D("800.00")),
        (ActualType.UNBILLED_SALES, BillingType.CHARGEABLE, D("6.00"), D("1200.00")),
        (ActualType.UNBILLED_SALES, BillingType.NON_CHARGEABLE, D("2.00"), D("400.00")),
    ]


def test_raised_billable_hours_give_one_chargeable_actual_and_cost_stays(world):
    make_contract(project=world.project, manager=world.manager)
    entry = world.entry("8")

    services.approve_time_entry(
        entry=entry, approved_by=world.manager, approved_at=AT, billable_quantity=D("10")
    )

    assert rows(entry) == [
        (ActualType.COST, BillingType.CHARGEABLE, D("8.00"), D("800.00")),
        (ActualType.UNBILLED_SALES, BillingType.CHARGEABLE, D("10.00"), D("2000.00")),
    ]


def test_fixed_price_line_creates_cost_only(world):
    make_contract(project=world.project, manager=world.manager, method=c.BillingMethod.FIXED_PRICE)
    entry = world.entry("8")

    services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)

    assert rows(entry) == [(ActualType.COST, BillingType.CHARGEABLE, D("8.00"), D("800.00"))]
    assert Actual.objects.get(time_entry=entry).contract_line is not None


def test_no_covering_line_creates_cost_only(world):
    entry = world.entry("8")

    services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)

    assert rows(entry) == [(ActualType.COST, BillingType.NON_CHARGEABLE, D("8.00"), D("800.00"))]


def test_class_not_included_on_the_line_is_not_billed(world):
    make_contract(
        project=world.project, manager=world.manager, classes=(c.TransactionClass.EXPENSE,)
    )
    entry = world.entry("8")

    services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)

    assert rows(entry) == [(ActualType.COST, BillingType.NON_CHARGEABLE, D("8.00"), D("800.00"))]


def test_role_non_chargeable_on_the_line_gives_a_non_chargeable_unbilled_actual(world):
    make_contract(
        project=world.project,
        manager=world.manager,
        billing_rules=[BillingRule(chargeable=False, role=world.role)],
    )
    entry = world.entry("8")

    services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)

    assert rows(entry) == [
        (ActualType.COST, BillingType.NON_CHARGEABLE, D("8.00"), D("800.00")),
        (ActualType.UNBILLED_SALES, BillingType.NON_CHARGEABLE, D("8.00"), D("1600.00")),
    ]
    unbilled = Actual.objects.get(time_entry=entry, actual_type="unbilled_sales")
    assert (unbilled.billing.billable, unbilled.billing.nte_status) == (False, "")


def test_non_chargeable_task_overrides_chargeable_role(world):
    from tests.factories import TaskFactory

    task = TaskFactory(project=world.project, chargeable=False)
    make_contract(project=world.project, manager=world.manager)
    entry = world.entry("8", task=task)

    services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)

    assert rows(entry)[1][1] == BillingType.NON_CHARGEABLE


def test_missing_sales_price_approves_at_zero_with_a_warning(world):
    make_contract(project=world.project, manager=world.manager)
    world.sales_list.role_prices.all().delete()
    entry = world.entry("8")

    result = services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)

    assert rows(entry) == [
        (ActualType.COST, BillingType.CHARGEABLE, D("8.00"), D("800.00")),
        (ActualType.UNBILLED_SALES, BillingType.CHARGEABLE, D("8.00"), D("0.00")),
    ]
    assert len(result.warnings) == 1
    assert "No sales price for role Developer in EUR on 2026-03-02" in result.warnings[0]
    assert result.unbilled[0].price_warning == result.warnings[0]


def test_contract_price_list_wins_over_the_standard_one(world):
    contract = make_contract(project=world.project, manager=world.manager)
    from tests.factories import PriceListFactory, RolePriceFactory

    own = PriceListFactory(kind=c.PriceListKind.SALES, contract=contract)
    RolePriceFactory(price_list=own, role=world.role, price=D("150"))
    entry = world.entry("8")

    result = services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)

    assert [(a.unit_price, a.amount) for a in result.unbilled] == [(D("150.0000"), D("1200.00"))]


def test_60_40_split_with_an_odd_cent_adds_up_exactly(world, second_customer):
    world.sales_list.role_prices.update(price=D("100.01"))
    make_contract(
        project=world.project,
        manager=world.manager,
        splits=[(world.project.customer, "60", False), (second_customer, "40", True)],
    )
    entry = world.entry("1")

    result = services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)

    parts = [(a.customer, a.quantity, a.amount) for a in result.unbilled]
    assert parts == [
        (world.project.customer, D("0.60"), D("60.01")),
        (second_customer, D("0.40"), D("40.00")),
    ]
    assert sum(a.amount for a in result.unbilled) == D("100.01")
    assert sum(a.quantity for a in result.unbilled) == D("1.00")


def test_lowered_quantity_is_split_per_customer_in_both_parts(world, second_customer):
    make_contract(
        project=world.project,
        manager=world.manager,
        splits=[(world.project.customer, "60", False), (second_customer, "40", True)],
    )
    entry = world.entry("7.5")

    result = services.approve_time_entry(
        entry=entry, approved_by=world.manager, approved_at=AT, billable_quantity=D("5")
    )

    assert [(a.billing_type, a.customer, a.quantity, a.amount) for a in result.unbilled] == [
        (BillingType.CHARGEABLE, world.project.customer, D("3.00"), D("600.00")),
        (BillingType.CHARGEABLE, second_customer, D("2.00"), D("400.00")),
        (BillingType.NON_CHARGEABLE, world.project.customer, D("1.50"), D("300.00")),
        (BillingType.NON_CHARGEABLE, second_customer, D("1.00"), D("200.00")),
    ]


percent = st.integers(min_value=1, max_value=9999).map(lambda n: D(n) / 100)


@given(
    quantity=st.decimals(min_value=D("0.01"), max_value=D("9999"), places=2),
    price=st.decimals(min_value=D("0"), max_value=D("99999"), places=4),
    first=st.integers(min_value=1, max_value=99),
    extra=st.lists(st.integers(min_value=1, max_value=20), max_size=4),
    rounding_at=st.integers(min_value=0, max_value=4),
)
def test_split_parts_always_add_up_to_the_whole(quantity, price, first, extra, rounding_at):
    # Percentages: random positive parts, the last one takes what is left of 100.
    pcts = [D(first)]
    for p in extra:
        if sum(pcts) + p < 100:
            pcts.append(D(p))
    pcts.append(D(100) - sum(pcts))
    pcts = [p for p in pcts if p > 0]
    idx = rounding_at % len(pcts)
    shares = [(p, i == idx) for i, p in enumerate(pcts)]

    parts = split_sales(quantity=quantity, unit_price=price, currency="EUR", shares=shares)

    whole_amount = (quantity * price).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    assert sum(q for q, _a in parts) == quantity
    assert sum(a for _q, a in parts) == whole_amount
    assert all(a.as_tuple().exponent >= -2 for _q, a in parts)


def test_second_approval_creates_nothing_and_says_why(world):
    make_contract(project=world.project, manager=world.manager)
    entry = world.entry("8")
    services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)

    with pytest.raises(services.EntryStateError, match="is Approved; only a submitted entry"):
        services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)

    assert Actual.objects.filter(time_entry=entry).count() == 2


def test_approving_a_draft_is_refused_and_nothing_changes(world):
    make_contract(project=world.project, manager=world.manager)
    entry = world.entry("8", submit=False)

    with pytest.raises(services.EntryStateError, match="is Draft"):
        services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)

    entry.refresh_from_db()
    assert entry.status == EntryStatus.DRAFT
    assert Actual.objects.count() == 0


def test_bulk_approval_is_all_or_nothing(world):
    make_contract(project=world.project, manager=world.manager)
    a = world.entry("4")
    b = world.entry("2", submit=False)

    with pytest.raises(services.EntryStateError):
        services.approve_entries(
            model=type(a), ids=[a.pk, b.pk], approved_by=world.manager, approved_at=AT
        )

    a.refresh_from_db()
    assert a.status == EntryStatus.SUBMITTED
    assert Actual.objects.count() == 0

    results = services.approve_entries(
        model=type(a),
        ids=[a.pk],
        approved_by=world.manager,
        approved_at=AT,
        billable_quantities={a.pk: D("3")},
    )
    assert [x.amount for x in results[0].unbilled] == [D("600.00"), D("200.00")]


def test_expense_at_cost_and_per_unit(world):
    from tests.factories import ExpenseCategoryFactory

    make_contract(project=world.project, manager=world.manager)
    hotel = ExpenseCategoryFactory(code="HOTEL", name="Hotel", unit="night")
    km = ExpenseCategoryFactory(code="KM", name="Mileage", unit="km")
    c.CategoryPrice.objects.create(
        price_list=world.sales_list,
        category=hotel,
        method=c.PricingMethod.MARKUP,
        markup_percent=D("10"),
    )
    c.CategoryPrice.objects.create(
        price_list=world.sales_list,
        category=km,
        method=c.PricingMethod.PER_UNIT,
        price=D("0.2345"),
    )
    by = world.resource.user
    night = services.create_expense_entry(
        resource=world.resource,
        project=world.project,
        category=hotel,
        entry_date=world.project.start_date.replace(month=3, day=2),
        amount=D("123.45"),
        currency="EUR",
        created_at=AT,
        today=world.project.start_date.replace(month=3, day=6),
    )
    drive = services.create_expense_entry(
        resource=world.resource,
        project=world.project,
        category=km,
        quantity=D("101"),
        entry_date=night.entry_date,
        amount=D("23.23"),
        currency="EUR",
        created_at=AT,
        today=night.entry_date,
    )
    for e in (night, drive):
        services.submit_entry(entry=e, by=by, submitted_at=AT, today=e.entry_date)

    r1 = services.approve_expense_entry(entry=night, approved_by=world.manager, approved_at=AT)
    r2 = services.approve_expense_entry(entry=drive, approved_by=world.manager, approved_at=AT)

    assert [(a.actual_type, a.quantity, a.amount) for a in r1.actuals] == [
        (ActualType.COST, D("1.00"), D("123.45")),
        (ActualType.UNBILLED_SALES, D("1.00"), D("135.80")),  # 135.795 rounded half-up
    ]
    assert [(a.actual_type, a.quantity, a.amount) for a in r2.actuals] == [
        (ActualType.COST, D("101.00"), D("23.23")),
        (ActualType.UNBILLED_SALES, D("101.00"), D("23.68")),  # 23.6845
    ]
