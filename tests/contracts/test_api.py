"""The contracts API (v1): authentication, the contract payload, scope, milestones, schedules."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from contracts.models import (
    BillingMethod,
    Contract,
    ContractCustomer,
    ContractLine,
    ContractLineScope,
    InvoiceScheduleEntry,
    LineCustomer,
    Milestone,
    MilestoneStatus,
)
from contracts.services import (
    ContractSpec,
    Coverage,
    CustomerSplit,
    LineSpec,
    LineSplit,
    create_milestone,
)
from contracts.services import create_contract as create_contract_service
from tests.factories import (
    CustomerFactory,
    LegalEntityFactory,
    ProjectFactory,
    RoleFactory,
    SalesTaxGroupFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

CONTRACTS = "/api/v1/contracts/"
MILESTONES = "/api/v1/milestones/"
SCHEDULES = "/api/v1/invoice-schedules/"


def make_contract(
    *, project_manager: User, number: str, method: str = BillingMethod.TIME_AND_MATERIAL
):
    """A one-customer, one-line contract on a new project of ``project_manager``."""
    customer = CustomerFactory()
    project = ProjectFactory(customer=customer, project_manager=project_manager)
    classes = ["time"] if method == BillingMethod.TIME_AND_MATERIAL else ["milestone"]
    return create_contract_service(
        spec=ContractSpec(
            number=number,
            name=f"Contract {number}",
            legal_entity=LegalEntityFactory(),
            project_manager=project_manager,
            currency="EUR",
            start_date=dt.date(2026, 1, 1),
            customers=[
                CustomerSplit(customer=customer, split_percent=Decimal(100), is_rounding=True)
            ],
            lines=[
                LineSpec(
                    name="Work",
                    billing_method=method,
                    transaction_classes=classes,
                    coverage=[Coverage(project=project)],
                    customers=[
                        LineSplit(customer=customer, split_percent=Decimal(100), is_rounding=True)
                    ],
                )
            ],
        )
    )


@pytest.fixture
def setup(project_manager):
    c1 = CustomerFactory(code="ACME", name="Acme B.V.")
    c2 = CustomerFactory(code="GLOBEX", name="Globex N.V.")
    project = ProjectFactory(code="P-100", customer=c1, project_manager=project_manager)
    return {
        "legal_entity": LegalEntityFactory(),
        "sales_tax_group": SalesTaxGroupFactory(),
        "c1": c1,
        "c2": c2,
        "project": project,
        "task": TaskFactory(project=project, code="GOLIVE"),
        "role": RoleFactory(),
    }


def payload(s, project_manager):
    return {
        "number": "K-2026-001",
        "name": "Platform rebuild",
        "legal_entity": s["legal_entity"].pk,
        "project_manager": project_manager.pk,
        "currency": "EUR",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "nte_limit": "50000.00",
        "sales_tax_group": s["sales_tax_group"].pk,
        "customers": [
            {"customer": s["c1"].pk, "split_percent": "60", "is_rounding": False},
            {
                "customer": s["c2"].pk,
                "split_percent": "40",
                "is_rounding": True,
                "nte_limit": "20000",
            },
        ],
        "lines": [
            {
                "name": "Development",
                "billing_method": "tm",
                "transaction_classes": ["expense", "time"],
                "coverage": [{"project": s["project"].pk, "task": None}],
                "customers": [
                    {"customer": s["c1"].pk, "split_percent": "60", "is_rounding": False},
                    {"customer": s["c2"].pk, "split_percent": "40", "is_rounding": True},
                ],
                "nte_limit": "30000.00",
                "billing_rules": [{"role": s["role"].pk, "chargeable": False}],
            },
            {
                "name": "Go-live",
                "billing_method": "fp",
                "transaction_classes": ["milestone"],
                "coverage": [{"project": s["project"].pk, "task": s["task"].pk}],
                "customers": [
                    {"customer": s["c1"].pk, "split_percent": "100", "is_rounding": True}
                ],
            },
        ],
    }


def counts():
    return (
        Contract.objects.count(),
        ContractCustomer.objects.count(),
        ContractLine.objects.count(),
        ContractLineScope.objects.count(),
        LineCustomer.objects.count(),
    )


# --- authentication ---------------------------------------------------------------------------


def test_token_auth_returns_a_token_that_authenticates(api_client, accountant):
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "accountant", "password": "pw-123456!"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert set(response.json()) == {"token"}

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get(CONTRACTS).status_code == 200


def test_token_auth_refuses_a_wrong_password(api_client, accountant):
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "accountant", "password": "wrong"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}
    assert "non_field_errors" in response.json()["errors"]


def test_anonymous_requests_are_refused(api_client):
    assert api_client.get(CONTRACTS).status_code in (401, 403)


def test_session_auth_works(client, accountant):
    client.force_login(accountant)
    assert client.get(CONTRACTS).status_code == 200


# --- create a contract ------------------------------------------------------------------------


def test_administrator_creates_a_whole_contract_and_gets_it_back_nested(
    api_client, administrator, project_manager, setup
):
    api_client.force_authenticate(administrator)
    response = api_client.post(CONTRACTS, payload(setup, project_manager), format="json")
    assert response.status_code == 201, response.json()

    contract = Contract.objects.get()
    cc1, cc2 = contract.contract_customers.order_by("pk")
    dev, golive = contract.lines.order_by("pk")
    lc_dev1, lc_dev2 = dev.line_customers.order_by("pk")
    (lc_go,) = golive.line_customers.all()
    body = response.json()
    body.pop("created_at")
    assert body == {
        "id": contract.pk,
        "number": "K-2026-001",
        "name": "Platform rebuild",
        "legal_entity": setup["legal_entity"].pk,
        "project_manager": project_manager.pk,
        "currency": "EUR",
        "status": "active",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "nte_limit": "50000.00",
        "sales_tax_group": setup["sales_tax_group"].pk,
        "customer_reference": "",
        "description": "",
        "customers": [
            {
                "id": cc1.pk,
                "customer": setup["c1"].pk,
                "split_percent": "60.0000",
                "is_rounding": False,
                "nte_limit": None,
            },
            {
                "id": cc2.pk,
                "customer": setup["c2"].pk,
                "split_percent": "40.0000",
                "is_rounding": True,
                "nte_limit": "20000.00",
            },
        ],
        "lines": [
            {
                "id": dev.pk,
                "contract": contract.pk,
                "name": "Development",
                "billing_method": "tm",
                "transaction_classes": ["time", "expense"],
                "coverage": [{"project": setup["project"].pk, "task": None}],
                "customers": [
                    {
                        "id": lc_dev1.pk,
                        "customer": setup["c1"].pk,
                        "contract_customer": cc1.pk,
                        "split_percent": "60.0000",
                        "is_rounding": False,
                        "nte_limit": None,
                    },
                    {
                        "id": lc_dev2.pk,
                        "customer": setup["c2"].pk,
                        "contract_customer": cc2.pk,
                        "split_percent": "40.0000",
                        "is_rounding": True,
                        "nte_limit": None,
                    },
                ],
                "nte_limit": "30000.00",
                "external_description": "",
                "billing_rules": [
                    {"role": setup["role"].pk, "category": None, "task": None, "chargeable": False}
                ],
            },
            {
                "id": golive.pk,
                "contract": contract.pk,
                "name": "Go-live",
                "billing_method": "fp",
                "transaction_classes": ["milestone"],
                "coverage": [{"project": setup["project"].pk, "task": setup["task"].pk}],
                "customers": [
                    {
                        "id": lc_go.pk,
                        "customer": setup["c1"].pk,
                        "contract_customer": cc1.pk,
                        "split_percent": "100.0000",
                        "is_rounding": True,
                        "nte_limit": None,
                    }
                ],
                "nte_limit": None,
                "external_description": "",
                "billing_rules": [],
            },
        ],
    }
    assert api_client.get(f"{CONTRACTS}{contract.pk}/").json()["lines"] == body["lines"]


def _split_60_30(p):
    p["customers"][1]["split_percent"] = "30"


def _no_rounding(p):
    p["customers"][1]["is_rounding"] = False


def _two_rounding(p):
    p["customers"][0]["is_rounding"] = True


def _same_coverage_twice(p):
    p["lines"].append({**p["lines"][0], "name": "Duplicate", "billing_rules": []})


def _end_before_start(p):
    p["end_date"] = "2025-12-31"


def _start_in_year_one(p):
    p["start_date"] = "0001-01-01"


def _negative_nte(p):
    p["nte_limit"] = "-0.01"


def _negative_line_nte(p):
    p["lines"][0]["nte_limit"] = "-5"


def _unknown_currency(p):
    p["currency"] = "XYZ"


def _unknown_project(p):
    p["lines"][0]["coverage"][0]["project"] = 999999


def _unknown_class(p):
    p["lines"][0]["transaction_classes"] = ["time", "holiday"]


def _line_customer_not_on_contract(p):
    p["lines"][1]["customers"][0]["customer"] = CustomerFactory().pk


def _billing_rule_without_target(p):
    p["lines"][0]["billing_rules"] = [{"chargeable": True}]


def _not_a_project_manager(p):
    p["project_manager"] = User.objects.get(username="teammember").pk


def _duplicate_number(p):
    make_contract(project_manager=User.objects.get(username="manager"), number=p["number"])


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (_split_60_30, "customers", "Split percentages must sum to 100; they sum to 90"),
        (_no_rounding, "customers", "Exactly one customer must be the rounding customer; 0 are."),
        (_two_rounding, "customers", "Exactly one customer must be the rounding customer; 2 are."),
        (_same_coverage_twice, "lines[2].coverage", "Lines 1 and 3 both cover project"),
        (_end_before_start, "end_date", "The end date may not be before the start date."),
        (_start_in_year_one, "start_date", "Give a date from 1900-01-01 to 2999-12-31."),
        (_negative_nte, "nte_limit", "A not-to-exceed limit may not be negative."),
        (_negative_line_nte, "lines[0].nte_limit", "A not-to-exceed limit may not be negative."),
        (_unknown_currency, "currency", "XYZ is not a known ISO 4217 currency code."),
        (_unknown_project, "lines[0].coverage[0].project", "Invalid pk"),
        (_unknown_class, "lines[0].transaction_classes[1]", "not a valid choice"),
        (_line_customer_not_on_contract, "lines[1].customers[0].customer", "is not a customer"),
        (_billing_rule_without_target, "lines[0].billing_rules[0]", "exactly one role"),
        (_not_a_project_manager, "project_manager", "This user is not a project manager."),
        (_duplicate_number, "number", "already exists"),
    ],
)
def test_invalid_contract_is_400_naming_the_field_and_writes_nothing(
    api_client, administrator, project_manager, team_member, setup, mutate, field, reason
):
    api_client.force_authenticate(administrator)
    body = payload(setup, project_manager)
    mutate(body)
    before = counts()

    response = api_client.post(CONTRACTS, body, format="json")

    assert response.status_code == 400
    data = response.json()
    assert field in data["errors"], data
    assert any(reason in message for message in data["errors"][field]), data
    assert data["detail"]
    assert counts() == before


def test_patch_changes_header_fields_only_and_validates(api_client, administrator, project_manager):
    contract = make_contract(project_manager=project_manager, number="K-1")
    api_client.force_authenticate(administrator)

    fixed = api_client.patch(
        f"{CONTRACTS}{contract.pk}/", {"status": "closed", "currency": "USD"}, format="json"
    )
    assert (fixed.status_code, fixed.json()["errors"]) == (
        400,
        {"currency": ["Not a field that can be set here."]},
    )
    response = api_client.patch(
        f"{CONTRACTS}{contract.pk}/", {"nte_limit": "1000.00", "status": "closed"}, format="json"
    )
    assert response.status_code == 200
    contract.refresh_from_db()
    assert (contract.nte_limit, contract.status, contract.currency) == (
        Decimal("1000.00"),
        "closed",
        "EUR",
    )

    bad = api_client.patch(f"{CONTRACTS}{contract.pk}/", {"end_date": "2025-01-01"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"end_date": ["The end date may not be before the start date."]}
    absurd = api_client.patch(
        f"{CONTRACTS}{contract.pk}/", {"end_date": "9999-12-31"}, format="json"
    )
    assert (absurd.status_code, absurd.json()["errors"]) == (
        400,
        {"end_date": ["Give a date from 1900-01-01 to 2999-12-31."]},
    )
    negative = api_client.patch(f"{CONTRACTS}{contract.pk}/", {"nte_limit": "-1"}, format="json")
    assert negative.status_code == 400
    assert "nte_limit" in negative.json()["errors"]
    contract.refresh_from_db()
    assert (contract.end_date, contract.nte_limit) == (None, Decimal("1000.00"))


def test_contracts_cannot_be_deleted_or_replaced(api_client, administrator, project_manager):
    contract = make_contract(project_manager=project_manager, number="K-1")
    api_client.force_authenticate(administrator)
    assert api_client.delete(f"{CONTRACTS}{contract.pk}/").status_code == 405
    assert api_client.put(f"{CONTRACTS}{contract.pk}/", {}, format="json").status_code == 405
    assert Contract.objects.count() == 1


# --- who sees and may do what -----------------------------------------------------------------


def test_project_manager_sees_own_contract_and_404_on_another_managers(
    api_client, project_manager, other_project_manager
):
    own = make_contract(project_manager=project_manager, number="K-OWN")
    other = make_contract(project_manager=other_project_manager, number="K-OTHER", method="fp")
    other_line = other.lines.get()
    (other_milestone,) = create_milestone(
        line=other_line, name="M1", milestone_date=dt.date(2026, 3, 1), amount=Decimal("100")
    )
    api_client.force_authenticate(project_manager)

    assert api_client.get(f"{CONTRACTS}{own.pk}/").status_code == 200
    assert [c["number"] for c in api_client.get(CONTRACTS).json()["results"]] == ["K-OWN"]
    other_response = api_client.get(f"{CONTRACTS}{other.pk}/")
    assert other_response.status_code == 404
    assert set(other_response.json()) == {"detail", "errors"}
    assert api_client.get(f"/api/v1/contract-lines/{other_line.pk}/").status_code == 404
    assert api_client.get(f"{MILESTONES}{other_milestone.pk}/").status_code == 404
    assert api_client.get(MILESTONES).json()["count"] == 0
    other_project = other_line.scopes.get().project
    assert api_client.get(f"/api/v1/projects/{other_project.pk}/").status_code == 404
    assert api_client.post(f"{MILESTONES}{other_milestone.pk}/mark-ready/").status_code == 404
    other_milestone.refresh_from_db()
    assert other_milestone.status == MilestoneStatus.NOT_READY


def test_project_manager_may_not_change_a_contract(api_client, project_manager):
    own = make_contract(project_manager=project_manager, number="K-OWN")
    api_client.force_authenticate(project_manager)
    response = api_client.patch(f"{CONTRACTS}{own.pk}/", {"name": "Renamed"}, format="json")
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.name == "Contract K-OWN"


def test_team_member_gets_403_on_writing(api_client, team_member, project_manager, setup):
    api_client.force_authenticate(team_member)
    before = counts()

    assert (
        api_client.post(CONTRACTS, payload(setup, project_manager), format="json").status_code
        == 403
    )
    response = api_client.post(
        "/api/v1/tasks/", {"project": setup["project"].pk, "code": "X", "name": "X"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["errors"] == {}
    assert counts() == before
    assert setup["project"].tasks.count() == 1
    # They read what they book time on, and nothing of contracts.
    assert api_client.get("/api/v1/projects/").status_code == 200
    assert api_client.get(CONTRACTS).status_code == 403


def test_accountant_reads_all_contracts_but_may_not_write(
    api_client, accountant, project_manager, other_project_manager
):
    make_contract(project_manager=project_manager, number="K-A")
    make_contract(project_manager=other_project_manager, number="K-B")
    api_client.force_authenticate(accountant)

    response = api_client.get(CONTRACTS)
    assert response.status_code == 200
    assert [c["number"] for c in response.json()["results"]] == ["K-A", "K-B"]
    assert api_client.get("/api/v1/contract-lines/").json()["count"] == 2
    assert api_client.get("/api/v1/projects/").json()["count"] == 2
    contract = Contract.objects.get(number="K-B")
    assert (
        api_client.patch(f"{CONTRACTS}{contract.pk}/", {"name": "x"}, format="json").status_code
        == 403
    )


def test_contracts_filter_by_customer_status_and_manager(
    api_client, accountant, project_manager, other_project_manager
):
    a = make_contract(project_manager=project_manager, number="K-A")
    b = make_contract(project_manager=other_project_manager, number="K-B")
    Contract.objects.filter(pk=b.pk).update(status="closed")
    api_client.force_authenticate(accountant)
    customer_of_a = a.contract_customers.get().customer_id

    def numbers(query):
        return [c["number"] for c in api_client.get(CONTRACTS, query).json()["results"]]

    assert numbers({"customer": customer_of_a}) == ["K-A"]
    assert numbers({"status": "closed"}) == ["K-B"]
    assert numbers({"project_manager": project_manager.pk}) == ["K-A"]
    assert numbers({"ordering": "-number"}) == ["K-B", "K-A"]


# --- milestones -------------------------------------------------------------------------------


def test_milestone_create_splits_by_line_customers(
    api_client, administrator, project_manager, setup
):
    api_client.force_authenticate(administrator)
    api_client.post(CONTRACTS, payload(setup, project_manager), format="json")
    fp_line = ContractLine.objects.get(name="Go-live")

    response = api_client.post(
        MILESTONES,
        {
            "line": fp_line.pk,
            "name": "Go-live",
            "milestone_date": "2026-06-30",
            "amount": "5000.00",
        },
        format="json",
    )

    assert response.status_code == 201
    (row,) = response.json()
    assert (row["amount"], row["currency"], row["status"], row["customer"]) == (
        "5000.00",
        "EUR",
        "not_ready",
        setup["c1"].pk,
    )


def test_milestone_on_a_time_and_material_line_is_400_and_writes_nothing(
    api_client, administrator, project_manager
):
    contract = make_contract(project_manager=project_manager, number="K-TM")
    api_client.force_authenticate(administrator)

    response = api_client.post(
        MILESTONES,
        {
            "line": contract.lines.get().pk,
            "name": "Phase 1",
            "milestone_date": "2026-03-01",
            "amount": "1000.00",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "line": ["Milestones belong on a fixed-price line; this line is time and material."]
    }
    assert Milestone.objects.count() == 0


def test_project_manager_marks_own_milestone_ready_and_twice_is_409(api_client, project_manager):
    contract = make_contract(project_manager=project_manager, number="K-FP", method="fp")
    (milestone,) = create_milestone(
        line=contract.lines.get(),
        name="Design",
        milestone_date=dt.date(2026, 2, 1),
        amount=Decimal("5000"),
    )
    api_client.force_authenticate(project_manager)
    url = f"{MILESTONES}{milestone.pk}/"

    first = api_client.post(f"{url}mark-ready/")
    assert first.status_code == 200
    assert first.json()["status"] == "ready"

    second = api_client.post(f"{url}mark-ready/")
    assert second.status_code == 409
    assert second.json() == {
        "detail": "Milestone Design is Ready to invoice and cannot be marked Ready to invoice.",
        "errors": {},
    }
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.READY

    back = api_client.post(f"{url}mark-not-ready/")
    assert back.status_code == 200
    assert back.json()["status"] == "not_ready"
    assert api_client.post(f"{url}mark-not-ready/").status_code == 409


def test_accountant_may_not_mark_milestones_ready(api_client, accountant, project_manager):
    contract = make_contract(project_manager=project_manager, number="K-FP", method="fp")
    (milestone,) = create_milestone(
        line=contract.lines.get(),
        name="Design",
        milestone_date=dt.date(2026, 2, 1),
        amount=Decimal("10"),
    )
    api_client.force_authenticate(accountant)
    assert api_client.post(f"{MILESTONES}{milestone.pk}/mark-ready/").status_code == 403
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.NOT_READY


# --- invoice schedules ------------------------------------------------------------------------


def test_schedule_generation_creates_the_expected_run_dates(
    api_client, administrator, project_manager
):
    line = make_contract(project_manager=project_manager, number="K-TM").lines.get()
    api_client.force_authenticate(administrator)

    response = api_client.post(
        SCHEDULES,
        {
            "line": line.pk,
            "frequency": "monthly",
            "start_date": "2026-01-01",
            "end_date": "2026-04-30",
            "day": 31,
        },
        format="json",
    )

    assert response.status_code == 201
    assert [(e["run_date"], e["cut_off_date"], e["status"]) for e in response.json()] == [
        ("2026-01-31", "2026-01-30", "pending"),
        ("2026-02-28", "2026-02-27", "pending"),
        ("2026-03-31", "2026-03-30", "pending"),
        ("2026-04-30", "2026-04-29", "pending"),
    ]
    assert list(
        InvoiceScheduleEntry.objects.filter(line=line)
        .order_by("run_date")
        .values_list("run_date", flat=True)
    ) == [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 4, 30)]

    twice = api_client.post(
        SCHEDULES,
        {
            "line": line.pk,
            "frequency": "n_per_month",
            "start_date": "2026-01-01",
            "end_date": "2026-01-31",
            "times_per_month": 2,
        },
        format="json",
    )
    assert [e["run_date"] for e in twice.json()] == ["2026-01-01", "2026-01-16"]

    listed = api_client.get(SCHEDULES, {"line": line.pk, "run_date_to": "2026-02-28"}).json()
    assert [e["run_date"] for e in listed["results"]] == [
        "2026-01-01",
        "2026-01-16",
        "2026-01-31",
        "2026-02-28",
    ]


def test_schedule_generation_for_a_fixed_price_line_is_400(
    api_client, administrator, project_manager
):
    line = make_contract(project_manager=project_manager, number="K-FP", method="fp").lines.get()
    api_client.force_authenticate(administrator)
    response = api_client.post(
        SCHEDULES,
        {
            "line": line.pk,
            "frequency": "weekly",
            "start_date": "2026-01-01",
            "end_date": "2026-02-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "line": ["Only a time-and-material line has an invoice schedule."]
    }
    assert InvoiceScheduleEntry.objects.count() == 0


# --- schema -----------------------------------------------------------------------------------


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/milestones/{id}/mark-ready/" in schema.content
    assert client.get("/api/docs/").status_code == 200


# --- contract lines, schedule entries and milestones: small edits ------------------------------


def test_contract_line_patch_changes_name_and_limit_only(
    api_client, administrator, project_manager
):
    line = make_contract(project_manager=project_manager, number="K-1").lines.get()
    api_client.force_authenticate(administrator)
    url = f"/api/v1/contract-lines/{line.pk}/"

    response = api_client.patch(
        url, {"name": "Support", "nte_limit": "2500.00", "billing_method": "fp"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["nte_limit"]) == ("Support", "2500.00")
    line.refresh_from_db()
    assert (line.name, line.nte_limit, line.billing_method) == ("Support", Decimal("2500.00"), "tm")

    negative = api_client.patch(url, {"nte_limit": "-1"}, format="json")
    assert negative.status_code == 400
    assert negative.json()["errors"] == {
        "nte_limit": ["A not-to-exceed limit may not be negative."]
    }
    line.refresh_from_db()
    assert line.nte_limit == Decimal("2500.00")


def test_a_schedule_entry_that_ran_cannot_be_deleted(api_client, administrator, project_manager):
    line = make_contract(project_manager=project_manager, number="K-1").lines.get()
    pending = InvoiceScheduleEntry.objects.create(
        line=line, run_date=dt.date(2026, 2, 1), cut_off_date=dt.date(2026, 1, 31)
    )
    done = InvoiceScheduleEntry.objects.create(
        line=line, run_date=dt.date(2026, 1, 1), cut_off_date=dt.date(2025, 12, 31), status="done"
    )
    api_client.force_authenticate(administrator)

    assert api_client.delete(f"{SCHEDULES}{done.pk}/").status_code == 409
    assert api_client.delete(f"{SCHEDULES}{pending.pk}/").status_code == 204
    assert list(InvoiceScheduleEntry.objects.values_list("pk", flat=True)) == [done.pk]


def test_project_manager_lists_only_schedules_of_own_contracts(
    api_client, project_manager, other_project_manager
):
    own = make_contract(project_manager=project_manager, number="K-OWN").lines.get()
    other = make_contract(project_manager=other_project_manager, number="K-OTHER").lines.get()
    for line in (own, other):
        InvoiceScheduleEntry.objects.create(
            line=line, run_date=dt.date(2026, 2, 1), cut_off_date=dt.date(2026, 1, 31)
        )
    api_client.force_authenticate(project_manager)

    response = api_client.get(SCHEDULES)

    assert [e["line"] for e in response.json()["results"]] == [own.pk]


def test_milestone_edits_are_refused_once_it_is_on_an_invoice(
    api_client, administrator, project_manager
):
    line = make_contract(project_manager=project_manager, number="K-FP", method="fp").lines.get()
    (milestone,) = create_milestone(
        line=line, name="Design", milestone_date=dt.date(2026, 2, 1), amount=Decimal("100")
    )
    api_client.force_authenticate(administrator)
    url = f"{MILESTONES}{milestone.pk}/"

    renamed = api_client.patch(url, {"name": "Design phase", "amount": "1"}, format="json")
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["amount"]) == ("Design phase", "100.00")

    for step in (MilestoneStatus.READY, MilestoneStatus.ON_DRAFT):  # the legal moves
        Milestone.objects.filter(pk=milestone.pk).update(status=step)
    assert api_client.patch(url, {"name": "Late"}, format="json").status_code == 409
    assert api_client.delete(url).status_code == 409
    milestone.refresh_from_db()
    assert milestone.name == "Design phase"
