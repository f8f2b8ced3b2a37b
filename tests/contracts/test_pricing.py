"""Price-list resolution by date: the contract's own list over the standard one, never a guess."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from contracts.models import CategoryPrice, PriceListKind, PricingMethod
from contracts.pricing import resolve_category_price, resolve_role_price
from tests.factories import ExpenseCategoryFactory, PriceListFactory, RoleFactory, RolePriceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def developer():
    return RoleFactory(code="DEV", name="Developer")


@pytest.fixture
def yearly_lists(developer):
    """Standard sales lists for 2025 and for 2026 onwards, with different rates."""
    old = PriceListFactory(
        name="Sales 2025", valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31)
    )
    new = PriceListFactory(name="Sales 2026", valid_from=dt.date(2026, 1, 1))
    RolePriceFactory(price_list=old, role=developer, price=Decimal("180"))
    RolePriceFactory(price_list=new, role=developer, price=Decimal("200"))
    return old, new


@pytest.mark.parametrize(
    "on_date, expected",
    [
        (dt.date(2025, 12, 31), Decimal("180")),
        (dt.date(2026, 1, 1), Decimal("200")),
        (dt.date(2030, 6, 1), Decimal("200")),
    ],
)
def test_the_list_effective_on_the_transaction_date_gives_the_price(
    yearly_lists, developer, on_date, expected
):
    price = resolve_role_price(
        kind=PriceListKind.SALES, currency="EUR", role=developer, on_date=on_date
    )
    assert price.unit_price == expected
    assert price.warning == ""


def test_no_effective_list_gives_zero_and_a_warning(yearly_lists, developer):
    price = resolve_role_price(
        kind=PriceListKind.SALES, currency="EUR", role=developer, on_date=dt.date(2024, 5, 1)
    )
    assert price.unit_price == Decimal("0")
    assert price.price_list is None
    assert (
        price.warning == "No sales price for role Developer in EUR on 2024-05-01; price set to 0."
    )


def test_another_currency_does_not_apply(yearly_lists, developer):
    price = resolve_role_price(
        kind=PriceListKind.SALES, currency="USD", role=developer, on_date=dt.date(2026, 5, 1)
    )
    assert price.unit_price == Decimal("0")
    assert "in USD" in price.warning


def test_the_contract_list_wins_over_the_standard_list(yearly_lists, developer):
    from contracts.models import Contract
    from tests.factories import LegalEntityFactory, UserFactory

    contract = Contract.objects.create(
        number="C-9",
        name="Negotiated",
        legal_entity=LegalEntityFactory(),
        project_manager=UserFactory(),
        currency="EUR",
        start_date=dt.date(2026, 1, 1),
    )
    own = PriceListFactory(name="Negotiated", contract=contract, valid_from=dt.date(2026, 1, 1))
    RolePriceFactory(price_list=own, role=developer, price=Decimal("175.5"))

    with_contract = resolve_role_price(
        kind=PriceListKind.SALES,
        currency="EUR",
        role=developer,
        on_date=dt.date(2026, 3, 1),
        contract=contract,
    )
    standard = resolve_role_price(
        kind=PriceListKind.SALES, currency="EUR", role=developer, on_date=dt.date(2026, 3, 1)
    )

    assert with_contract.unit_price == Decimal("175.5")
    assert with_contract.price_list == own
    assert standard.unit_price == Decimal("200")


def test_overlapping_lists_of_the_same_kind_and_currency_are_refused(yearly_lists):
    with pytest.raises(IntegrityError, match="pricelist_no_overlap"), transaction.atomic():
        PriceListFactory(name="Clash", valid_from=dt.date(2025, 6, 1), valid_to=dt.date(2026, 2, 1))


def test_a_cost_list_may_cover_the_same_dates_as_a_sales_list(yearly_lists):
    cost = PriceListFactory(
        name="Cost 2026", kind=PriceListKind.COST, valid_from=dt.date(2026, 1, 1)
    )
    assert cost.pk is not None


def test_a_negative_role_price_is_refused_by_the_database(yearly_lists, developer):
    with pytest.raises(IntegrityError, match="roleprice_not_negative"), transaction.atomic():
        RolePriceFactory(
            price_list=PriceListFactory(currency="GBP"), role=developer, price=Decimal("-1")
        )


@pytest.mark.parametrize(
    "method, price, markup, unit_cost, expected",
    [
        (PricingMethod.PER_UNIT, Decimal("0.23"), None, Decimal("0.19"), Decimal("0.23")),
        (PricingMethod.AT_COST, None, None, Decimal("129.00"), Decimal("129.00")),
        (PricingMethod.MARKUP, None, Decimal("15"), Decimal("200.00"), Decimal("230.00")),
    ],
)
def test_category_prices_by_method(method, price, markup, unit_cost, expected):
    category = ExpenseCategoryFactory(code="HOTEL", name="Hotel")
    sales = PriceListFactory(name="Sales", valid_from=dt.date(2026, 1, 1))
    CategoryPrice.objects.create(
        price_list=sales, category=category, method=method, price=price, markup_percent=markup
    )

    resolved = resolve_category_price(
        kind=PriceListKind.SALES, currency="EUR", category=category, on_date=dt.date(2026, 2, 1)
    )

    assert resolved.apply_to_cost(unit_cost) == expected
