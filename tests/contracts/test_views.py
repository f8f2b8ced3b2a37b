"""The project manager's contract pages: scope (own only, 404 otherwise), list filters, sorting,
paging, and the detail page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts import models as c
from contracts.services import ContractSpec as Spec
from contracts.services import (
    Coverage,
    CustomerSplit,
    LineSpec,
    LineSplit,
    create_contract,
    create_milestone,
    generate_invoice_schedule,
)
from tests.factories import (
    CustomerFactory,
    LegalEntityFactory,
    ProjectFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("contracts:list")


def make_contract(
    *,
    number: str,
    manager,
    customers,
    name: str | None = None,
    status: str = c.ContractStatus.ACTIVE,
    start_date: dt.date = dt.date(2026, 1, 1),
    nte_limit: Decimal | None = None,
    lines=(),
) -> c.Contract:
    """A contract through the service; ``customers`` is [(customer, split, is_rounding)]."""
    contract = create_contract(
        spec=Spec(
            number=number,
            name=name or f"Contract {number}",
            legal_entity=LegalEntityFactory(),
            project_manager=manager,
            currency="EUR",
            start_date=start_date,
            nte_limit=nte_limit,
            customers=[
                CustomerSplit(customer=cu, split_percent=Decimal(p), is_rounding=r)
                for cu, p, r in customers
            ],
            lines=lines,
        )
    )
    if status != c.ContractStatus.ACTIVE:
        c.Contract.objects.filter(pk=contract.pk).update(status=status)
        contract.refresh_from_db()
    return contract


def numbers_in(response) -> list[str]:
    return [row.number for row in response.context["table"].rows]


# --- scope ------------------------------------------------------------------------------


def test_a_project_manager_gets_404_for_another_managers_contract(
    client, project_manager, other_project_manager
):
    theirs = make_contract(
        number="K-900", manager=other_project_manager, customers=[(CustomerFactory(), 100, True)]
    )
    client.force_login(project_manager)

    response = client.get(reverse("contracts:detail", args=[theirs.pk]))

    assert response.status_code == 404
    assert b"K-900" not in response.content


def test_a_project_manager_sees_their_own_contract_with_its_number(client, project_manager):
    customer = CustomerFactory(name="Gemeente Utrecht")
    own = make_contract(
        number="K-101", name="Digital permits", manager=project_manager,
        customers=[(customer, 100, True)],
    )  # fmt: skip
    client.force_login(project_manager)

    response = client.get(reverse("contracts:detail", args=[own.pk]))

    assert response.status_code == 200
    assert response.context["contract"] == own
    html = response.content.decode()
    assert "<h1>K-101 · Digital permits</h1>" in html
    assert "Gemeente Utrecht" in html


def test_the_list_shows_a_project_manager_only_their_own_contracts(
    client, project_manager, other_project_manager
):
    customer = CustomerFactory()
    make_contract(number="K-1", manager=project_manager, customers=[(customer, 100, True)])
    make_contract(number="K-2", manager=other_project_manager, customers=[(customer, 100, True)])
    make_contract(number="K-3", manager=project_manager, customers=[(customer, 100, True)])
    client.force_login(project_manager)

    response = client.get(LIST)

    assert response.status_code == 200
    assert numbers_in(response) == ["K-1", "K-3"]


def test_an_accountant_sees_every_contract_and_any_detail(
    client, accountant, project_manager, other_project_manager
):
    customer = CustomerFactory()
    make_contract(number="K-1", manager=project_manager, customers=[(customer, 100, True)])
    other = make_contract(
        number="K-2", manager=other_project_manager, customers=[(customer, 100, True)]
    )
    client.force_login(accountant)

    assert numbers_in(client.get(LIST)) == ["K-1", "K-2"]
    assert client.get(reverse("contracts:detail", args=[other.pk])).status_code == 200


def test_a_team_member_may_not_open_the_contract_pages(client, team_member, project_manager):
    contract = make_contract(
        number="K-1", manager=project_manager, customers=[(CustomerFactory(), 100, True)]
    )
    client.force_login(team_member)

    assert client.get(LIST).status_code == 403
    assert client.get(reverse("contracts:detail", args=[contract.pk])).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(LIST)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={LIST}"


# --- filters, sorting, paging -------------------------------------------------------------


@pytest.fixture
def three_contracts(project_manager):
    acme = CustomerFactory(code="ACME", name="Acme Industries")
    beta = CustomerFactory(code="BETA", name="Beta Logistics")
    make_contract(
        number="K-10", name="Warehouse robots", manager=project_manager,
        customers=[(acme, 100, True)], start_date=dt.date(2026, 3, 1),
    )  # fmt: skip
    make_contract(
        number="K-20", name="Airport baggage", manager=project_manager,
        customers=[(beta, 60, True), (acme, 40, False)], start_date=dt.date(2026, 1, 15),
        status=c.ContractStatus.DRAFT,
    )  # fmt: skip
    make_contract(
        number="K-30", name="Customs portal", manager=project_manager,
        customers=[(beta, 100, True)], start_date=dt.date(2025, 11, 1),
        status=c.ContractStatus.CLOSED,
    )  # fmt: skip
    return {"acme": acme, "beta": beta}


def test_the_list_filters_by_status(client, project_manager, three_contracts):
    client.force_login(project_manager)

    assert numbers_in(client.get(LIST, {"status": "draft"})) == ["K-20"]
    assert numbers_in(client.get(LIST, {"status": "active"})) == ["K-10"]


def test_the_list_filters_by_customer_including_shared_contracts(
    client, project_manager, three_contracts
):
    client.force_login(project_manager)

    response = client.get(LIST, {"customer": three_contracts["acme"].pk})

    assert numbers_in(response) == ["K-10", "K-20"]


def test_the_text_search_matches_number_name_and_customer(client, project_manager, three_contracts):
    client.force_login(project_manager)

    assert numbers_in(client.get(LIST, {"q": "k-3"})) == ["K-30"]
    assert numbers_in(client.get(LIST, {"q": "baggage"})) == ["K-20"]
    assert numbers_in(client.get(LIST, {"q": "beta log"})) == ["K-20", "K-30"]


def test_filters_combine(client, project_manager, three_contracts):
    client.force_login(project_manager)

    response = client.get(LIST, {"customer": three_contracts["beta"].pk, "status": "closed"})

    assert numbers_in(response) == ["K-30"]


def test_a_customer_the_manager_does_not_see_is_refused_and_ignored(
    client, project_manager, other_project_manager, three_contracts
):
    stranger = CustomerFactory(name="Not yours")
    make_contract(number="K-99", manager=other_project_manager, customers=[(stranger, 100, True)])
    client.force_login(project_manager)

    response = client.get(LIST, {"customer": stranger.pk})

    assert response.status_code == 200
    assert numbers_in(response) == ["K-10", "K-20", "K-30"]
    assert "customer" in response.context["form"].errors
    assert "Not yours" not in response.content.decode()


def test_the_list_sorts_by_name_start_date_and_number(client, project_manager, three_contracts):
    client.force_login(project_manager)

    assert numbers_in(client.get(LIST, {"sort": "name"})) == ["K-20", "K-30", "K-10"]
    assert numbers_in(client.get(LIST, {"sort": "-name"})) == ["K-10", "K-30", "K-20"]
    assert numbers_in(client.get(LIST, {"sort": "start_date"})) == ["K-30", "K-20", "K-10"]
    assert numbers_in(client.get(LIST, {"sort": "-number"})) == ["K-30", "K-20", "K-10"]
    # An unknown sort key falls back to the number.
    assert numbers_in(client.get(LIST, {"sort": "pk"})) == ["K-10", "K-20", "K-30"]


def test_the_sort_header_toggles_direction_and_keeps_the_filters(
    client, project_manager, three_contracts
):
    client.force_login(project_manager)

    response = client.get(LIST, {"status": "active", "sort": "name", "page": "1"})

    headers = {str(h.label): h for h in response.context["table"].headers}
    assert headers["Name"].direction == "ascending"
    assert headers["Name"].url == "?status=active&sort=-name"
    assert headers["Number"].url == "?status=active&sort=number"
    assert headers["Customers"].url == ""
    assert 'aria-sort="ascending"' in response.content.decode()


def test_the_list_pages_25_rows_at_a_time(client, project_manager):
    customer = CustomerFactory()
    for i in range(1, 31):
        make_contract(
            number=f"K-{i:03d}", manager=project_manager, customers=[(customer, 100, True)]
        )
    client.force_login(project_manager)

    first = client.get(LIST)
    second = client.get(LIST, {"page": 2})
    beyond = client.get(LIST, {"page": 9})

    assert numbers_in(first) == [f"K-{i:03d}" for i in range(1, 26)]
    assert numbers_in(second) == [f"K-{i:03d}" for i in range(26, 31)]
    assert numbers_in(beyond) == numbers_in(second)
    assert first.context["table"].next_url == "?page=2"
    assert second.context["table"].previous_url == "?page=1"
    assert "26–30 of 30" in second.content.decode()


def test_paging_keeps_filter_and_sort(client, project_manager):
    customer = CustomerFactory()
    for i in range(1, 28):
        make_contract(
            number=f"K-{i:03d}", manager=project_manager, customers=[(customer, 100, True)]
        )
    client.force_login(project_manager)

    response = client.get(LIST, {"status": "active", "sort": "-number"})

    assert response.context["table"].next_url == "?status=active&sort=-number&page=2"
    assert numbers_in(client.get(LIST, {"status": "active", "sort": "-number", "page": 2})) == [
        "K-002",
        "K-001",
    ]


# --- detail -------------------------------------------------------------------------------


def test_the_detail_shows_customers_lines_coverage_schedule_and_milestones(client, project_manager):
    acme = CustomerFactory(code="ACME", name="Acme Industries")
    beta = CustomerFactory(code="BETA", name="Beta Logistics")
    project = ProjectFactory(code="P-77", name="Robot fleet", project_manager=project_manager)
    task = TaskFactory(project=project, code="T-DESIGN", name="Design")
    contract = make_contract(
        number="K-500",
        name="Fleet programme",
        manager=project_manager,
        customers=[(acme, 70, True), (beta, 30, False)],
        nte_limit=Decimal("50000.00"),
        lines=[
            LineSpec(
                name="Engineering hours",
                billing_method=c.BillingMethod.TIME_AND_MATERIAL,
                transaction_classes=["time", "expense"],
                coverage=[Coverage(project=project)],
                customers=[
                    LineSplit(customer=acme, split_percent=Decimal(70), is_rounding=True),
                    LineSplit(customer=beta, split_percent=Decimal(30)),
                ],
                nte_limit=Decimal("20000.00"),
            ),
            LineSpec(
                name="Design package",
                billing_method=c.BillingMethod.FIXED_PRICE,
                transaction_classes=["milestone"],
                coverage=[Coverage(project=project, task=task)],
                customers=[LineSplit(customer=acme, split_percent=Decimal(100), is_rounding=True)],
            ),
        ],
    )
    tm_line, fp_line = contract.lines.order_by("pk")
    generate_invoice_schedule(
        line=tm_line,
        frequency=c.ScheduleFrequency.MONTHLY,
        start_date=dt.date(2026, 2, 1),
        end_date=dt.date(2026, 3, 31),
    )
    create_milestone(
        line=fp_line, name="Design approved", milestone_date=dt.date(2026, 4, 1),
        amount=Decimal("5000.00"),
    )  # fmt: skip
    client.force_login(project_manager)

    response = client.get(reverse("contracts:detail", args=[contract.pk]))

    assert response.status_code == 200
    lines = response.context["lines"]
    assert [lv.line.name for lv in lines] == ["Engineering hours", "Design package"]
    tm, fp = lines
    assert [(r.project.code, r.task, r.classes) for r in tm.coverage] == [
        ("P-77", None, ["Time", "Expense"])
    ]
    assert [(r.project.code, r.task.code, r.classes) for r in fp.coverage] == [
        ("P-77", "T-DESIGN", ["Milestone"])
    ]
    assert [(lc.contract_customer.customer.code, lc.split_percent) for lc in tm.customers] == [
        ("ACME", Decimal("70.00")),
        ("BETA", Decimal("30.00")),
    ]
    assert [(e.run_date, e.cut_off_date) for e in tm.schedule] == [
        (dt.date(2026, 2, 1), dt.date(2026, 1, 31)),
        (dt.date(2026, 3, 1), dt.date(2026, 2, 28)),
    ]
    assert [(m.name, m.amount, m.status) for m in fp.milestones] == [
        ("Design approved", Decimal("5000.00"), c.MilestoneStatus.NOT_READY)
    ]
    html = response.content.decode()
    for text in (
        "Time and material",
        "Fixed price",
        "EUR 50,000.00",
        "EUR 20,000.00",
        "Time, Expense",
        "T-DESIGN Design",
        "Design approved",
        "EUR 5,000.00",
        "Not ready",
        "rounding customer",
    ):
        assert text in html, text
