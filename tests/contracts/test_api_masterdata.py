"""The master data API (v1): price lists with nested prices, filters, writes and deletes."""

import datetime as dt
from decimal import Decimal

import pytest

from contracts.models import CategoryPrice, Customer, PriceList, Project, RolePrice
from tests.factories import (
    CustomerFactory,
    ExpenseCategoryFactory,
    PriceListFactory,
    ProjectFactory,
    RoleFactory,
    RolePriceFactory,
    SalesTaxGroupFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

PRICE_LISTS = "/api/v1/price-lists/"


def price_list_payload(role, category, **overrides):
    body = {
        "name": "Standard sales 2026",
        "kind": "sales",
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "role_prices": [{"role": role.pk, "price": "200.00"}],
        "category_prices": [
            {"category": category.pk, "method": "markup", "markup_percent": "10"},
        ],
    }
    body.update(overrides)
    return body


def test_administrator_creates_a_price_list_with_nested_prices(api_client, administrator):
    role, category = RoleFactory(), ExpenseCategoryFactory()
    api_client.force_authenticate(administrator)

    response = api_client.post(PRICE_LISTS, price_list_payload(role, category), format="json")

    assert response.status_code == 201, response.json()
    price_list = PriceList.objects.get()
    role_price = RolePrice.objects.get()
    category_price = CategoryPrice.objects.get()
    assert response.json() == {
        "id": price_list.pk,
        "name": "Standard sales 2026",
        "kind": "sales",
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "contract": None,
        "role_prices": [{"id": role_price.pk, "role": role.pk, "price": "200.0000"}],
        "category_prices": [
            {
                "id": category_price.pk,
                "category": category.pk,
                "method": "markup",
                "price": None,
                "markup_percent": "10.0000",
            }
        ],
    }


def test_patching_role_prices_replaces_them(api_client, administrator):
    price_list = PriceListFactory()
    RolePriceFactory(price_list=price_list, price=Decimal("100"))
    api_client.force_authenticate(administrator)
    role = RoleFactory()

    response = api_client.patch(
        f"{PRICE_LISTS}{price_list.pk}/",
        {"role_prices": [{"role": role.pk, "price": "150.50"}]},
        format="json",
    )

    assert response.status_code == 200
    assert list(price_list.role_prices.values_list("role", "price")) == [
        (role.pk, Decimal("150.5000"))
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"role_prices": "NEGATIVE"},
            "role_prices[0].price",
            "A price may not be negative.",
        ),
        (
            {"category_prices": "PER_UNIT_WITHOUT_PRICE"},
            "category_prices[0].price",
            "Price per unit needs a price.",
        ),
        ({"currency": "XYZ"}, "currency", "XYZ is not a known ISO 4217 currency code."),
        (
            {"valid_to": "2025-12-31"},
            "valid_to",
            "The end date may not be before the start date.",
        ),
        (
            {"role_prices": "TWICE"},
            "role_prices[1].role",
            "is priced twice",
        ),
        (
            {"valid_from": "2025-06-01", "valid_to": None},
            "non_field_errors",
            "Another price list of the same kind and currency is effective in these dates.",
        ),
    ],
)
def test_invalid_price_list_is_400_naming_the_field_and_writes_nothing(
    api_client, administrator, overrides, field, message
):
    existing = PriceListFactory(valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31))
    role, category = RoleFactory(), ExpenseCategoryFactory()
    if overrides.get("role_prices") == "NEGATIVE":
        overrides["role_prices"] = [{"role": role.pk, "price": "-0.01"}]
    if overrides.get("role_prices") == "TWICE":
        overrides["role_prices"] = [
            {"role": role.pk, "price": "1"},
            {"role": role.pk, "price": "2"},
        ]
    if overrides.get("category_prices") == "PER_UNIT_WITHOUT_PRICE":
        overrides["category_prices"] = [{"category": category.pk, "method": "per_unit"}]
    api_client.force_authenticate(administrator)

    response = api_client.post(
        PRICE_LISTS, price_list_payload(role, category, **overrides), format="json"
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors, errors
    assert any(message in m for m in errors[field]), errors
    assert list(PriceList.objects.values_list("pk", flat=True)) == [existing.pk]
    assert RolePrice.objects.count() == 0
    assert CategoryPrice.objects.count() == 0


def test_price_lists_filter_by_kind_currency_and_effective_date(api_client, accountant):
    old = PriceListFactory(
        name="2025", valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31)
    )
    new = PriceListFactory(name="2026", valid_from=dt.date(2026, 1, 1))
    cost = PriceListFactory(name="Cost", kind="cost", valid_from=dt.date(2025, 1, 1))
    usd = PriceListFactory(name="USD", currency="USD", valid_from=dt.date(2025, 1, 1))
    api_client.force_authenticate(accountant)

    def ids(query):
        return [p["id"] for p in api_client.get(PRICE_LISTS, query).json()["results"]]

    assert ids({"kind": "sales", "currency": "EUR"}) == [old.pk, new.pk]
    assert ids({"kind": "cost"}) == [cost.pk]
    assert ids({"effective_on": "2025-07-01", "kind": "sales"}) == [old.pk, usd.pk]
    assert ids({"effective_on": "2026-07-01", "currency": "EUR"}) == [cost.pk, new.pk]


def test_projects_filter_by_customer(api_client, accountant):
    customer = CustomerFactory()
    mine = ProjectFactory(customer=customer)
    ProjectFactory()
    api_client.force_authenticate(accountant)

    response = api_client.get("/api/v1/projects/", {"customer": customer.pk})

    assert [p["code"] for p in response.json()["results"]] == [mine.code]


def test_project_manager_sees_only_own_projects_and_their_tasks(
    api_client, project_manager, other_project_manager
):
    own = ProjectFactory(project_manager=project_manager)
    other = ProjectFactory(project_manager=other_project_manager)
    own_task, other_task = TaskFactory(project=own), TaskFactory(project=other)
    api_client.force_authenticate(project_manager)

    assert [p["id"] for p in api_client.get("/api/v1/projects/").json()["results"]] == [own.pk]
    assert [t["id"] for t in api_client.get("/api/v1/tasks/").json()["results"]] == [own_task.pk]
    assert api_client.get(f"/api/v1/tasks/{other_task.pk}/").status_code == 404
    # Customers are master data every reader sees.
    assert api_client.get("/api/v1/customers/").json()["count"] == 2


def test_administrator_creates_updates_and_deletes_a_customer(api_client, administrator):
    api_client.force_authenticate(administrator)
    group = SalesTaxGroupFactory()
    created = api_client.post(
        "/api/v1/customers/",
        {"code": "NEW", "name": "New B.V.", "country": "NL", "sales_tax_group": group.pk},
        format="json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    assert created.json()["payment_terms_days"] == 30

    changed = api_client.patch(
        f"/api/v1/customers/{pk}/", {"payment_terms_days": 14}, format="json"
    )
    assert changed.status_code == 200
    assert Customer.objects.get(pk=pk).payment_terms_days == 14

    duplicate = api_client.post(
        "/api/v1/customers/",
        {"code": "NEW", "name": "Other", "country": "NL", "sales_tax_group": group.pk},
        format="json",
    )
    assert duplicate.status_code == 400
    assert "code" in duplicate.json()["errors"]

    assert api_client.delete(f"/api/v1/customers/{pk}/").status_code == 204
    assert not Customer.objects.filter(pk=pk).exists()


def test_deleting_a_customer_in_use_is_409_and_keeps_it(api_client, administrator):
    project = ProjectFactory()
    api_client.force_authenticate(administrator)

    response = api_client.delete(f"/api/v1/customers/{project.customer_id}/")

    assert response.status_code == 409
    assert "cannot be deleted" in response.json()["detail"]
    assert Customer.objects.filter(pk=project.customer_id).exists()
    assert Project.objects.count() == 1


def test_project_end_before_start_names_the_end_date(api_client, administrator, project_manager):
    project = ProjectFactory(project_manager=project_manager)
    api_client.force_authenticate(administrator)
    response = api_client.patch(
        f"/api/v1/projects/{project.pk}/", {"end_date": "2025-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "end_date": ["The end date may not be before the start date."]
    }
    project.refresh_from_db()
    assert project.end_date is None
