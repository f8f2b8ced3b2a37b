"""``manage.py seed_demo``: the fixed demo dataset, idempotent, and ``--if-empty``."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from contracts import models as c
from contracts.roles import Role
from ledger import models as ledger
from ledger.chart import DEFAULT_ACCOUNTS, DEFAULT_VAT_CODES

pytestmark = pytest.mark.django_db

MODELS = [
    User,
    c.LegalEntity,
    c.SalesTaxGroup,
    c.ItemSalesTaxGroup,
    c.Customer,
    c.Role,
    c.ExpenseCategory,
    c.Resource,
    c.Project,
    c.Task,
    c.PriceList,
    c.RolePrice,
    c.CategoryPrice,
    c.Contract,
    c.ContractCustomer,
    c.ContractLine,
    c.ContractLineScope,
    c.LineCustomer,
    c.LineBillingRule,
    c.InvoiceScheduleEntry,
    c.Milestone,
    ledger.Account,
    ledger.VatCode,
    ledger.VatRule,
    ledger.FiscalYear,
    ledger.Period,
    ledger.PostingProfile,
]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[dict]]:
    """Every row of every seeded table (all columns), ordered by primary key."""
    return {
        m._meta.label: list(m.objects.order_by("pk").values())  # type: ignore[attr-defined]
        for m in MODELS
    }


def counts() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()  # type: ignore[attr-defined]
        for m in MODELS
        if m._meta.label in EXPECTED_COUNTS
    }


EXPECTED_COUNTS = {
    "auth.User": 4,
    "contracts.LegalEntity": 1,
    # The ledger's default chart brings three of each; the demo uses two and one of them.
    "contracts.SalesTaxGroup": 3,
    "contracts.ItemSalesTaxGroup": 3,
    "contracts.Customer": 2,
    "contracts.Role": 3,
    "contracts.ExpenseCategory": 3,
    "contracts.Resource": 1,
    "contracts.Project": 4,
    "contracts.Task": 10,
    "contracts.PriceList": 2,
    "contracts.RolePrice": 6,
    "contracts.CategoryPrice": 6,
    "contracts.Contract": 3,
    "contracts.ContractCustomer": 4,
    "contracts.ContractLine": 3,
    # T&M: 1 project x 3 classes; FP: 1 x 2; split: 2 projects x 3 classes.
    "contracts.ContractLineScope": 11,
    "contracts.LineCustomer": 4,
    "contracts.LineBillingRule": 2,
    # Monthly on the 1st, Feb-Dec (11), and twice a month, Feb-Dec (22).
    "contracts.InvoiceScheduleEntry": 33,
    "contracts.Milestone": 3,
    "ledger.Account": len(DEFAULT_ACCOUNTS),
    "ledger.VatCode": len(DEFAULT_VAT_CODES),
    "ledger.FiscalYear": 1,
    "ledger.Period": 12,
}


def test_seed_demo_creates_the_fixed_dataset():
    output = seed()

    assert counts() == EXPECTED_COUNTS
    assert "contracts                  3 created,   0 already there" in output
    assert "Demo data loaded." in output


def test_seed_demo_twice_changes_nothing_and_duplicates_nothing():
    seed()
    before = snapshot()

    output = seed()

    assert snapshot() == before
    assert counts() == EXPECTED_COUNTS
    assert "contracts                  0 created,   3 already there" in output
    assert "Demo data was already complete; nothing changed." in output


def test_if_empty_does_nothing_when_a_contract_exists():
    seed()
    c.Customer.objects.filter(code="NL-GRACHT").update(name="Renamed by a user")
    before = snapshot()

    output = seed("--if-empty")

    assert output == "Demo data: the database already has contracts; nothing to do.\n"
    assert snapshot() == before


def test_if_empty_seeds_an_empty_database():
    seed("--if-empty")

    assert counts() == EXPECTED_COUNTS


def test_the_consultancy_and_its_customers():
    seed()

    firm = c.LegalEntity.objects.get()
    assert (firm.code, firm.country, firm.accounting_currency) == ("NL01", "NL", "EUR")
    assert (firm.chamber_of_commerce, firm.vat_number, firm.iban) == (
        "12345678",
        "NL812345678B01",
        "NL91ABNA0417164300",
    )
    customers = {
        cu.code: (cu.country, cu.language, cu.sales_tax_group.code)
        for cu in c.Customer.objects.select_related("sales_tax_group")
    }
    assert customers == {
        "BE-SCHELDE": ("BE", "nl", "EU_B2B"),
        "NL-GRACHT": ("NL", "nl", "DOMESTIC"),
    }
    assert sorted(
        c.Role.objects.values_list("code", "item_sales_tax_group__code").order_by("code")
    ) == [("CONSULTANT", "SERVICES"), ("DEVELOPER", "SERVICES"), ("PROJECT_LEAD", "SERVICES")]


def test_the_firm_gets_the_ledger_setup_for_2026():
    seed()

    year = ledger.FiscalYear.objects.get()
    assert (year.legal_entity.code, year.year) == ("NL01", 2026)
    periods = list(year.periods.order_by("number").values_list("start_date", "end_date"))
    assert periods[0] == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert periods[-1] == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert ledger.PostingProfile.objects.filter(legal_entity__code="NL01").count() == 1


def test_price_lists_and_category_methods():
    seed()

    lists = {
        pl.kind: pl
        for pl in c.PriceList.objects.filter(
            currency="EUR", valid_from=dt.date(2026, 1, 1), valid_to=None, contract=None
        )
    }
    assert set(lists) == {"cost", "sales"}
    sales = dict(lists["sales"].role_prices.values_list("role__code", "price"))
    assert sales == {
        "CONSULTANT": Decimal("145.0000"),
        "DEVELOPER": Decimal("125.0000"),
        "PROJECT_LEAD": Decimal("165.0000"),
    }
    methods = {
        cp.category.code: (cp.method, cp.price, cp.markup_percent)
        for cp in lists["sales"].category_prices.select_related("category")
    }
    assert methods == {
        "TRAVEL_KM": ("per_unit", Decimal("0.3500"), None),
        "HOTEL": ("at_cost", None, None),
        "MATERIALS": ("markup", None, Decimal("15.0000")),
    }


def test_the_contracts_schedule_and_milestones():
    seed()

    tm = c.Contract.objects.get(number="C-2026-001")
    tm_line = tm.lines.get()
    assert tm_line.billing_method == "tm"
    runs = list(
        tm_line.schedule_entries.order_by("run_date").values_list("run_date", "cut_off_date")
    )
    assert len(runs) == 11
    assert runs[0] == (dt.date(2026, 2, 1), dt.date(2026, 1, 31))
    assert runs[-1] == (dt.date(2026, 12, 1), dt.date(2026, 11, 30))

    fp_line = c.Contract.objects.get(number="C-2026-002").lines.get()
    assert fp_line.billing_method == "fp"
    assert list(
        fp_line.milestones.order_by("milestone_date").values_list("name", "amount", "status")
    ) == [
        ("Design approved", Decimal("12000.00"), "not_ready"),
        ("Beta live", Decimal("18000.00"), "not_ready"),
        ("Go-live and handover", Decimal("10000.00"), "not_ready"),
    ]


def test_the_split_contract_is_sixty_forty():
    seed()

    split = c.Contract.objects.get(number="C-2026-003")
    assert sorted(
        split.contract_customers.values_list("customer__code", "split_percent", "is_rounding")
    ) == [("BE-SCHELDE", Decimal("60.0000"), True), ("NL-GRACHT", Decimal("40.0000"), False)]
    line = split.lines.get()
    assert sorted(
        line.line_customers.values_list(
            "contract_customer__customer__code", "split_percent", "is_rounding"
        )
    ) == [("BE-SCHELDE", Decimal("60.0000"), True), ("NL-GRACHT", Decimal("40.0000"), False)]
    assert sorted(line.scopes.values_list("project__code", flat=True).distinct()) == [
        "P-1003",
        "P-1004",
    ]


def test_one_demo_user_per_role():
    seed()

    groups = {
        u.username: sorted(u.groups.values_list("name", flat=True))
        for u in User.objects.order_by("username")
    }
    assert groups == {
        "accountant": [Role.PROJECT_ACCOUNTANT],
        "admin": [Role.ADMINISTRATOR],
        "manager": [Role.PROJECT_MANAGER],
        "teammember": [Role.TEAM_MEMBER],
    }
    for user in User.objects.all():
        assert user.check_password("demo12345"), user.username
    staff = set(User.objects.filter(is_staff=True).values_list("username", flat=True))
    assert staff == {"admin"}
    resource = c.Resource.objects.select_related("user", "default_role").get()
    assert (resource.user.username, resource.default_role.code) == ("teammember", "DEVELOPER")
    assert set(c.Project.objects.values_list("project_manager__username", flat=True)) == {"manager"}


def test_a_second_run_keeps_a_changed_password():
    seed()
    user = User.objects.get(username="manager")
    user.set_password("changed-by-the-user-1")
    user.save()

    seed()

    user.refresh_from_db()
    assert user.check_password("changed-by-the-user-1")
