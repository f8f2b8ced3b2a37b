"""Contract validation: each bad input named by field and reason, and nothing half-saved."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from contracts.models import (
    BillingMethod,
    Contract,
    ContractCustomer,
    ContractLine,
    ContractLineScope,
    LineCustomer,
    Milestone,
    TransactionClass,
)
from contracts.services import (
    ContractSpec,
    Coverage,
    CustomerSplit,
    LineSpec,
    LineSplit,
    create_contract,
    create_milestone,
)
from tests.factories import CustomerFactory, LegalEntityFactory, ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties(project_manager):
    acme, globex = CustomerFactory(code="ACME"), CustomerFactory(code="GLOBEX")
    project = ProjectFactory(code="P1", customer=acme, project_manager=project_manager)
    return {
        "acme": acme,
        "globex": globex,
        "project": project,
        "entity": LegalEntityFactory(),
        "pm": project_manager,
    }


def spec(parties, **overrides):
    acme, globex, project = parties["acme"], parties["globex"], parties["project"]
    values = {
        "number": "C-001",
        "name": "Implementation",
        "legal_entity": parties["entity"],
        "project_manager": parties["pm"],
        "currency": "EUR",
        "start_date": dt.date(2026, 1, 1),
        "end_date": dt.date(2026, 12, 31),
        "customers": [
            CustomerSplit(customer=acme, split_percent=Decimal("60"), is_rounding=True),
            CustomerSplit(customer=globex, split_percent=Decimal("40")),
        ],
        "lines": [
            LineSpec(
                name="Consulting",
                billing_method=BillingMethod.TIME_AND_MATERIAL,
                transaction_classes=[TransactionClass.TIME, TransactionClass.EXPENSE],
                coverage=[Coverage(project=project)],
                customers=[
                    LineSplit(customer=acme, split_percent=Decimal("60"), is_rounding=True),
                    LineSplit(customer=globex, split_percent=Decimal("40")),
                ],
            )
        ],
    }
    values.update(overrides)
    return ContractSpec(**values)


def nothing_written():
    return (
        Contract.objects.count(),
        ContractCustomer.objects.count(),
        ContractLine.objects.count(),
        ContractLineScope.objects.count(),
        LineCustomer.objects.count(),
    ) == (0, 0, 0, 0, 0)


def errors_of(excinfo) -> dict[str, list[str]]:
    return {k: [str(m) for m in v] for k, v in excinfo.value.message_dict.items()}


def test_a_valid_contract_is_written_whole(parties):
    contract = create_contract(spec=spec(parties))

    assert contract.contract_customers.count() == 2
    line = contract.lines.get()
    assert sorted(line.scopes.values_list("transaction_class", flat=True)) == ["expense", "time"]
    assert sorted(
        line.line_customers.values_list(
            "contract_customer__customer__code", "split_percent", "is_rounding"
        )
    ) == [("ACME", Decimal("60.0000"), True), ("GLOBEX", Decimal("40.0000"), False)]


def test_split_not_summing_to_100_is_refused_and_nothing_is_saved(parties):
    bad = [
        CustomerSplit(customer=parties["acme"], split_percent=Decimal("60"), is_rounding=True),
        CustomerSplit(customer=parties["globex"], split_percent=Decimal("30")),
    ]
    with pytest.raises(ValidationError) as excinfo:
        create_contract(spec=spec(parties, customers=bad))

    assert errors_of(excinfo)["customers"] == ["Split percentages must sum to 100; they sum to 90."]
    assert nothing_written()


@pytest.mark.parametrize("rounding_flags, count", [((False, False), 0), ((True, True), 2)])
def test_zero_or_two_rounding_customers_are_refused(parties, rounding_flags, count):
    customers = [
        CustomerSplit(
            customer=parties["acme"], split_percent=Decimal("60"), is_rounding=rounding_flags[0]
        ),
        CustomerSplit(
            customer=parties["globex"], split_percent=Decimal("40"), is_rounding=rounding_flags[1]
        ),
    ]
    with pytest.raises(ValidationError) as excinfo:
        create_contract(spec=spec(parties, customers=customers))

    assert errors_of(excinfo)["customers"] == [
        f"Exactly one customer must be the rounding customer; {count} are."
    ]
    assert nothing_written()


def test_two_lines_covering_the_same_project_class_and_task_are_refused(parties):
    task = TaskFactory(project=parties["project"], code="BUILD")
    line = spec(parties).lines[0]
    other = LineSpec(
        name="Second",
        billing_method=BillingMethod.TIME_AND_MATERIAL,
        transaction_classes=[TransactionClass.TIME],
        coverage=[Coverage(project=parties["project"], task=task)],
        customers=line.customers,
    )
    with pytest.raises(ValidationError) as excinfo:
        create_contract(spec=spec(parties, lines=[line, other]))

    assert errors_of(excinfo)["lines[1].coverage"] == [
        f"Lines 1 and 2 both cover project {parties['project'].pk} for time "
        "(a line that covers the whole project overlaps any task)."
    ]
    assert nothing_written()


def test_lines_on_different_classes_of_one_project_are_fine(parties):
    line = spec(parties).lines[0]
    fees = LineSpec(
        name="Fees",
        billing_method=BillingMethod.TIME_AND_MATERIAL,
        transaction_classes=[TransactionClass.FEE],
        coverage=[Coverage(project=parties["project"])],
        customers=line.customers,
    )
    contract = create_contract(spec=spec(parties, lines=[line, fees]))
    assert contract.lines.count() == 2


def test_end_date_before_start_date_is_refused(parties):
    with pytest.raises(ValidationError) as excinfo:
        create_contract(spec=spec(parties, end_date=dt.date(2025, 12, 31)))
    assert errors_of(excinfo)["end_date"] == ["The end date may not be before the start date."]
    assert nothing_written()


def test_negative_limits_are_refused_with_their_field(parties):
    line = spec(parties).lines[0]
    bad_line = LineSpec(**{**line.__dict__, "nte_limit": Decimal("-1")})
    with pytest.raises(ValidationError) as excinfo:
        create_contract(spec=spec(parties, nte_limit=Decimal("-0.01"), lines=[bad_line]))
    errors = errors_of(excinfo)
    assert errors["nte_limit"] == ["A not-to-exceed limit may not be negative."]
    assert errors["lines[0].nte_limit"] == ["A not-to-exceed limit may not be negative."]
    assert nothing_written()


def test_unknown_currency_is_refused(parties):
    with pytest.raises(ValidationError) as excinfo:
        create_contract(spec=spec(parties, currency="XYZ"))
    assert errors_of(excinfo)["currency"] == ["XYZ is not a known ISO 4217 currency code."]
    assert nothing_written()


def test_a_line_customer_must_be_a_contract_customer(parties):
    stranger = CustomerFactory(code="STRANGER")
    line = spec(parties).lines[0]
    bad_line = LineSpec(
        **{
            **line.__dict__,
            "customers": [
                LineSplit(customer=stranger, split_percent=Decimal(100), is_rounding=True)
            ],
        }
    )
    with pytest.raises(ValidationError) as excinfo:
        create_contract(spec=spec(parties, lines=[bad_line]))
    assert errors_of(excinfo)["lines[0].customers[0].customer"] == [
        f"{stranger} is not a customer of this contract."
    ]
    assert nothing_written()


def test_a_milestone_on_a_time_and_material_line_is_refused(parties):
    contract = create_contract(spec=spec(parties))
    with pytest.raises(ValidationError) as excinfo:
        create_milestone(
            line=contract.lines.get(),
            name="Go-live",
            milestone_date=dt.date(2026, 6, 1),
            amount=Decimal("5000"),
        )
    assert errors_of(excinfo)["line"] == [
        "Milestones belong on a fixed-price line; this line is time and material."
    ]
    assert Milestone.objects.count() == 0


def test_a_fixed_price_milestone_is_split_over_the_line_customers_to_the_cent(parties):
    line = spec(parties).lines[0]
    fp = LineSpec(**{**line.__dict__, "billing_method": BillingMethod.FIXED_PRICE})
    contract = create_contract(spec=spec(parties, lines=[fp]))

    milestones = create_milestone(
        line=contract.lines.get(),
        name="Design",
        milestone_date=dt.date(2026, 3, 1),
        amount=Decimal("1000.01"),
    )

    amounts = {m.line_customer.contract_customer.customer.code: m.amount for m in milestones}
    assert amounts == {"ACME": Decimal("600.01"), "GLOBEX": Decimal("400.00")}
    assert {m.status for m in milestones} == {"not_ready"}


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_split_that_does_not_sum_to_100_at_commit(parties):
    contract = create_contract(spec=spec(parties))
    acme_row = contract.contract_customers.get(customer__code="ACME")

    with (
        pytest.raises(IntegrityError, match="must sum to 100"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE contracts_contractcustomer SET split_percent = 50 WHERE id = %s",
            [acme_row.pk],
        )

    acme_row.refresh_from_db()
    assert acme_row.split_percent == Decimal("60.0000")


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_two_lines_on_the_same_coverage(parties):
    contract = create_contract(spec=spec(parties))
    line = contract.lines.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractLineScope.objects.create(
            contract=contract,
            line=line,
            project=parties["project"],
            transaction_class=TransactionClass.TIME,
        )
    assert ContractLineScope.objects.count() == 2
