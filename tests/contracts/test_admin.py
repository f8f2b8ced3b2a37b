"""The admin for master data and contracts: it loads, and its inline formsets refuse a bad split,
a second rounding customer or overlapping coverage with a form error, saving nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts import models as c
from contracts.services import (
    ContractSpec,
    Coverage,
    CustomerSplit,
    LineSpec,
    LineSplit,
    create_contract,
    create_milestone,
)
from tests.factories import (
    CustomerFactory,
    LegalEntityFactory,
    PriceListFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, administrator):
    administrator.is_staff = True
    administrator.save()
    client.force_login(administrator)
    return client


def management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def contract_post(project_manager, splits) -> dict[str, str]:
    """The add-contract form with ``splits`` = [(customer, percent, is_rounding)]."""
    data = {
        "number": "K-NEW",
        "name": "New contract",
        "status": "active",
        "project_manager": str(project_manager.pk),
        "legal_entity": str(LegalEntityFactory().pk),
        "currency": "EUR",
        "start_date": "2026-01-01",
        "end_date": "",
        "nte_limit": "",
        "sales_tax_group": "",
        "customer_reference": "",
        "description": "",
        **management("contract_customers", len(splits)),
        **management("lines", 0),
    }
    for i, (customer, percent, rounding) in enumerate(splits):
        data[f"contract_customers-{i}-customer"] = str(customer.pk)
        data[f"contract_customers-{i}-split_percent"] = str(percent)
        data[f"contract_customers-{i}-nte_limit"] = ""
        if rounding:
            data[f"contract_customers-{i}-is_rounding"] = "on"
    return data


def test_the_contract_changelist_loads_for_an_administrator(admin_client, project_manager):
    create_contract(
        spec=ContractSpec(
            number="K-42",
            name="Listed",
            legal_entity=LegalEntityFactory(),
            project_manager=project_manager,
            currency="EUR",
            start_date=dt.date(2026, 1, 1),
            customers=[
                CustomerSplit(
                    customer=CustomerFactory(name="Acme"),
                    split_percent=Decimal(100),
                    is_rounding=True,
                )
            ],
        )
    )

    response = admin_client.get(reverse("admin:contracts_contract_changelist"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "K-42" in html
    assert "Acme (100%)" in html


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:index",
        "admin:contracts_contract_add",
        "admin:contracts_contractline_add",
        "admin:contracts_pricelist_add",
        "admin:contracts_customer_changelist",
        "admin:contracts_project_changelist",
        "admin:contracts_milestone_changelist",
        "admin:contracts_invoicescheduleentry_changelist",
        "admin:contracts_contractcustomer_changelist",
        "admin:contracts_linecustomer_changelist",
        "admin:contracts_contractlinescope_changelist",
    ],
)
def test_admin_pages_load(admin_client, url_name):
    assert admin_client.get(reverse(url_name)).status_code == 200


def test_the_admin_refuses_customer_splits_summing_to_90_and_saves_nothing(
    admin_client, project_manager
):
    a, b = CustomerFactory(), CustomerFactory()

    response = admin_client.post(
        reverse("admin:contracts_contract_add"),
        contract_post(project_manager, [(a, 50, True), (b, 40, False)]),
    )

    assert response.status_code == 200
    assert "Split percentages must sum to 100; they sum to 90." in response.content.decode()
    assert c.Contract.objects.count() == 0
    assert c.ContractCustomer.objects.count() == 0


def test_the_admin_refuses_two_rounding_customers(admin_client, project_manager):
    a, b = CustomerFactory(), CustomerFactory()

    response = admin_client.post(
        reverse("admin:contracts_contract_add"),
        contract_post(project_manager, [(a, 50, True), (b, 50, True)]),
    )

    assert response.status_code == 200
    assert "Exactly one customer must be the rounding customer; 2 are." in (
        response.content.decode()
    )
    assert c.Contract.objects.count() == 0


def test_the_admin_refuses_a_contract_without_customers(admin_client, project_manager):
    response = admin_client.post(
        reverse("admin:contracts_contract_add"), contract_post(project_manager, [])
    )

    assert "Add at least one customer with its split." in response.content.decode()
    assert c.Contract.objects.count() == 0


def test_the_admin_saves_a_contract_whose_split_adds_up(admin_client, project_manager):
    a, b = CustomerFactory(), CustomerFactory()

    response = admin_client.post(
        reverse("admin:contracts_contract_add"),
        contract_post(project_manager, [(a, "60.5", True), (b, "39.5", False)]),
    )

    assert response.status_code == 302
    made = c.Contract.objects.get(number="K-NEW")
    assert sorted(
        made.contract_customers.values_list("customer_id", "split_percent", "is_rounding")
    ) == sorted([(a.pk, Decimal("60.50"), True), (b.pk, Decimal("39.50"), False)])


@pytest.fixture
def two_line_contract(project_manager):
    acme, beta = CustomerFactory(name="Acme"), CustomerFactory(name="Beta")
    project = ProjectFactory(project_manager=project_manager)
    contract = create_contract(
        spec=ContractSpec(
            number="K-7",
            name="Lines",
            legal_entity=LegalEntityFactory(),
            project_manager=project_manager,
            currency="EUR",
            start_date=dt.date(2026, 1, 1),
            customers=[
                CustomerSplit(customer=acme, split_percent=Decimal(50), is_rounding=True),
                CustomerSplit(customer=beta, split_percent=Decimal(50)),
            ],
            lines=[
                LineSpec(
                    name="Hours",
                    billing_method=c.BillingMethod.TIME_AND_MATERIAL,
                    transaction_classes=["time"],
                    coverage=[Coverage(project=project)],
                    customers=[
                        LineSplit(customer=acme, split_percent=Decimal(50), is_rounding=True),
                        LineSplit(customer=beta, split_percent=Decimal(50)),
                    ],
                ),
                LineSpec(
                    name="Delivery",
                    billing_method=c.BillingMethod.FIXED_PRICE,
                    transaction_classes=["milestone"],
                    coverage=[Coverage(project=project)],
                    customers=[
                        LineSplit(customer=acme, split_percent=Decimal(100), is_rounding=True)
                    ],
                ),
            ],
        )
    )
    hours, delivery = contract.lines.order_by("pk")
    return {"contract": contract, "hours": hours, "delivery": delivery, "project": project}


def line_post(line, *, customers, scopes, milestones=(), schedule=()) -> dict[str, str]:
    """The change form of a contract line with its inlines, existing rows as they are."""
    data = {
        "name": line.name,
        "billing_method": line.billing_method,
        "nte_limit": "",
        "external_description": "",
    }
    existing_scopes = list(line.scopes.order_by("pk"))
    data |= management("scopes", len(existing_scopes) + len(scopes), len(existing_scopes))
    rows = [(s.pk, s.project_id, s.task_id, s.transaction_class) for s in existing_scopes] + [
        (None, p.pk, None, cls) for p, cls in scopes
    ]
    for i, (pk, project_id, task_id, cls) in enumerate(rows):
        data[f"scopes-{i}-id"] = str(pk or "")
        data[f"scopes-{i}-line"] = str(line.pk)
        data[f"scopes-{i}-project"] = str(project_id)
        data[f"scopes-{i}-task"] = str(task_id or "")
        data[f"scopes-{i}-transaction_class"] = cls
    existing_lc = list(line.line_customers.order_by("pk"))
    data |= management("line_customers", len(existing_lc), len(existing_lc))
    for i, lc in enumerate(existing_lc):
        percent, rounding = customers[i]
        data[f"line_customers-{i}-id"] = str(lc.pk)
        data[f"line_customers-{i}-line"] = str(line.pk)
        data[f"line_customers-{i}-contract_customer"] = str(lc.contract_customer_id)
        data[f"line_customers-{i}-split_percent"] = str(percent)
        data[f"line_customers-{i}-nte_limit"] = ""
        if rounding:
            data[f"line_customers-{i}-is_rounding"] = "on"
    data |= management("billing_rules", 0)
    data |= management("schedule_entries", len(schedule))
    for i, run_date in enumerate(schedule):
        data[f"schedule_entries-{i}-run_date"] = run_date
        data[f"schedule_entries-{i}-line"] = str(line.pk)
    existing_ms = list(line.milestones.order_by("pk"))
    data |= management("milestones", len(existing_ms) + len(milestones), len(existing_ms))
    ms_rows = [
        (m.pk, m.name, m.milestone_date.isoformat(), m.line_customer_id, m.amount)
        for m in existing_ms
    ] + [(None, *m) for m in milestones]
    for i, (pk, name, date, lc_id, amount) in enumerate(ms_rows):
        data[f"milestones-{i}-id"] = str(pk or "")
        data[f"milestones-{i}-line"] = str(line.pk)
        data[f"milestones-{i}-name"] = name
        data[f"milestones-{i}-milestone_date"] = date
        data[f"milestones-{i}-line_customer"] = str(lc_id)
        data[f"milestones-{i}-amount"] = str(amount)
    return data


def test_the_line_admin_refuses_line_splits_summing_to_90(admin_client, two_line_contract):
    hours = two_line_contract["hours"]
    url = reverse("admin:contracts_contractline_change", args=[hours.pk])

    response = admin_client.post(
        url, line_post(hours, customers=[(50, True), (40, False)], scopes=[])
    )

    assert response.status_code == 200
    assert "Split percentages must sum to 100; they sum to 90." in response.content.decode()
    assert sorted(hours.line_customers.values_list("split_percent", flat=True)) == [
        Decimal("50.00"),
        Decimal("50.00"),
    ]


def test_the_line_admin_saves_a_changed_split_and_a_schedule(admin_client, two_line_contract):
    hours = two_line_contract["hours"]
    url = reverse("admin:contracts_contractline_change", args=[hours.pk])

    response = admin_client.post(
        url,
        line_post(hours, customers=[(70, True), (30, False)], scopes=[], schedule=["2026-05-01"]),
    )

    assert response.status_code == 302
    assert list(hours.line_customers.order_by("pk").values_list("split_percent", flat=True)) == [
        Decimal("70.00"),
        Decimal("30.00"),
    ]
    assert list(hours.schedule_entries.values_list("run_date", "cut_off_date")) == [
        (dt.date(2026, 5, 1), dt.date(2026, 4, 30))
    ]


def test_the_line_admin_refuses_coverage_another_line_has(admin_client, two_line_contract):
    delivery = two_line_contract["delivery"]
    url = reverse("admin:contracts_contractline_change", args=[delivery.pk])

    response = admin_client.post(
        url,
        line_post(
            delivery, customers=[(100, True)], scopes=[(two_line_contract["project"], "time")]
        ),
    )

    assert response.status_code == 200
    assert "Line Hours already covers project" in response.content.decode()
    assert list(delivery.scopes.values_list("transaction_class", flat=True)) == ["milestone"]


def test_the_line_admin_refuses_a_schedule_on_a_fixed_price_line(admin_client, two_line_contract):
    delivery = two_line_contract["delivery"]
    url = reverse("admin:contracts_contractline_change", args=[delivery.pk])

    response = admin_client.post(
        url, line_post(delivery, customers=[(100, True)], scopes=[], schedule=["2026-05-01"])
    )

    assert response.status_code == 200
    assert "Only a time-and-material line has an invoice schedule." in response.content.decode()
    assert not delivery.schedule_entries.exists()


def test_the_line_admin_adds_a_milestone_in_the_contract_currency(admin_client, two_line_contract):
    delivery = two_line_contract["delivery"]
    lc = delivery.line_customers.get()
    url = reverse("admin:contracts_contractline_change", args=[delivery.pk])

    response = admin_client.post(
        url,
        line_post(
            delivery,
            customers=[(100, True)],
            scopes=[],
            milestones=[("Go-live", "2026-06-30", lc.pk, "2500.00")],
        ),
    )

    assert response.status_code == 302
    assert list(delivery.milestones.values_list("name", "amount", "currency", "status")) == [
        ("Go-live", Decimal("2500.00"), "EUR", c.MilestoneStatus.NOT_READY)
    ]


def test_the_milestone_status_is_read_only_in_the_admin(admin_client, two_line_contract):
    delivery = two_line_contract["delivery"]
    (milestone,) = create_milestone(
        line=delivery, name="Design", milestone_date=dt.date(2026, 3, 1), amount=Decimal("1000")
    )
    url = reverse("admin:contracts_milestone_change", args=[milestone.pk])

    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    response = admin_client.post(
        url,
        {
            "line": str(delivery.pk),
            "line_customer": str(milestone.line_customer_id),
            "name": "Design done",
            "milestone_date": "2026-03-01",
            "amount": "1000.00",
            "external_description": "",
            "status": c.MilestoneStatus.INVOICED,
        },
    )

    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.name, milestone.status) == ("Design done", c.MilestoneStatus.NOT_READY)


def test_the_admin_refuses_an_overlapping_standard_price_list(admin_client):
    PriceListFactory(name="Standard 2026", currency="EUR", valid_from=dt.date(2026, 1, 1))
    data = {
        "name": "Overlapping",
        "kind": "sales",
        "currency": "EUR",
        "valid_from": "2026-06-01",
        "valid_to": "",
        "contract": "",
        **management("role_prices", 0),
        **management("category_prices", 0),
    }

    response = admin_client.post(reverse("admin:contracts_pricelist_add"), data)

    assert response.status_code == 200
    assert "Another price list of the same kind and currency is effective in these dates." in (
        response.content.decode()
    )
    assert list(c.PriceList.objects.values_list("name", flat=True)) == ["Standard 2026"]


def test_an_administrator_cannot_make_anyone_superuser_or_change_roles(admin_client, administrator):
    """Issue 12: the administrator role held ``auth.change_user`` with the stock admin and
    ticked ``is_superuser`` on their own user."""
    from django.contrib.auth.models import Group

    client = admin_client  # the administrator (this module's fixture), not a superuser
    url = f"/admin/auth/user/{administrator.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="groups"' not in page

    response = client.post(
        url,
        {
            "username": administrator.username,
            "first_name": "Ada",
            "last_name": administrator.last_name,
            "email": "ada@example.com",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [g.pk for g in Group.objects.all()],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
        },
    )

    assert response.status_code == 302
    administrator.refresh_from_db()
    assert (administrator.first_name, administrator.is_superuser) == ("Ada", False)
    assert list(administrator.groups.values_list("name", flat=True)) == ["administrator"]


def test_a_superuser_still_grants_roles(client, admin_user, team_member):
    client.force_login(admin_user)

    page = client.get(f"/admin/auth/user/{team_member.pk}/change/").content.decode()

    assert 'name="is_superuser"' in page and 'name="groups"' in page
