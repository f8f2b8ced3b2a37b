"""factory_boy factories for the whole suite (one place, shared by every app's tests)."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from contracts import models as c
from contracts.roles import Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-123456!")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*[Group.objects.get(name=r) for r in extracted])


def user_with_role(role: str, **kwargs) -> User:
    return UserFactory(roles=[role], **kwargs)


class LegalEntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = c.LegalEntity
        django_get_or_create = ("code",)

    code = "NL01"
    name = "Dijkstra Consultancy B.V."
    address = "Keizersgracht 1\n1015 CC Amsterdam"
    country = "NL"
    vat_number = "NL001234567B01"
    chamber_of_commerce = "12345678"
    iban = "NL91ABNA0417164300"
    accounting_currency = "EUR"
    language = "en"  # English books, so that the tests read like the docs


class SalesTaxGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = c.SalesTaxGroup
        django_get_or_create = ("code",)

    code = "DOMESTIC"
    name = "Domestic customers"


class ItemSalesTaxGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = c.ItemSalesTaxGroup
        django_get_or_create = ("code",)

    code = "SERVICES"
    name = "Services (standard rate)"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = c.Customer

    code = factory.Sequence(lambda n: f"C{n:04d}")
    name = factory.Sequence(lambda n: f"Customer {n} B.V.")
    address = "Stationsplein 1\n3511 ED Utrecht"
    country = "NL"
    vat_number = "NL009876543B01"
    sales_tax_group = factory.SubFactory(SalesTaxGroupFactory)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = c.Project

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"Project {n}")
    customer = factory.SubFactory(CustomerFactory)
    project_manager = factory.LazyFunction(lambda: user_with_role(Role.PROJECT_MANAGER))
    legal_entity = factory.SubFactory(LegalEntityFactory)
    start_date = dt.date(2026, 1, 1)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = c.Task

    project = factory.SubFactory(ProjectFactory)
    code = factory.Sequence(lambda n: f"T{n}")
    name = factory.Sequence(lambda n: f"Task {n}")


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = c.Role
        django_get_or_create = ("code",)

    code = "DEV"
    name = "Developer"
    item_sales_tax_group = factory.SubFactory(ItemSalesTaxGroupFactory)


class ExpenseCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = c.ExpenseCategory
        django_get_or_create = ("code",)

    code = "TRAVEL"
    name = "Travel"
    unit = "km"
    item_sales_tax_group = factory.SubFactory(ItemSalesTaxGroupFactory)


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = c.Resource

    user = factory.LazyFunction(lambda: user_with_role(Role.TEAM_MEMBER))
    name = factory.LazyAttribute(lambda r: r.user.get_full_name() or r.user.username)
    legal_entity = factory.SubFactory(LegalEntityFactory)
    default_role = factory.SubFactory(RoleFactory)


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = c.PriceList

    name = factory.Sequence(lambda n: f"Price list {n}")
    kind = c.PriceListKind.SALES
    currency = "EUR"
    valid_from = dt.date(2026, 1, 1)


class RolePriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = c.RolePrice

    price_list = factory.SubFactory(PriceListFactory)
    role = factory.SubFactory(RoleFactory)
    price = Decimal("200.00")


# --- actuals (issue 3) ---------------------------------------------------------------------


class TimeEntryFactory(factory.django.DjangoModelFactory):
    """A draft time entry; pass ``status=`` to create it in another state directly."""

    class Meta:
        model = "actuals.TimeEntry"

    resource = factory.SubFactory(ResourceFactory)
    project = factory.SubFactory(ProjectFactory)
    role = factory.SubFactory(RoleFactory)
    entry_date = dt.date(2026, 3, 2)
    hours = Decimal("8.00")
    description = "Work"
    created_at = factory.LazyFunction(lambda: dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC))


class ExpenseEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "actuals.ExpenseEntry"

    resource = factory.SubFactory(ResourceFactory)
    project = factory.SubFactory(ProjectFactory)
    category = factory.SubFactory(ExpenseCategoryFactory)
    entry_date = dt.date(2026, 3, 2)
    quantity = Decimal("1.00")
    amount = Decimal("50.00")
    currency = "EUR"
    description = "Train ticket"
    created_at = factory.LazyFunction(lambda: dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC))


# --- ledger (issue 4) ----------------------------------------------------------------------


def ledger_setup(legal_entity=None, year: int = 2026):
    """The default Dutch chart, VAT, dimensions, posting profile and fiscal year ``year``."""
    from ledger.services import load_default_chart

    legal_entity = legal_entity or LegalEntityFactory()
    load_default_chart(legal_entity=legal_entity, year=year)
    return legal_entity


class LedgerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ledger.Account"

    legal_entity = factory.SubFactory(LegalEntityFactory)
    code = factory.Sequence(lambda n: f"9{n:03d}")
    name = factory.Sequence(lambda n: f"Account {n}")
    account_type = "asset"


class DimensionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ledger.Dimension"
        django_get_or_create = ("code",)

    code = "DEPARTMENT"
    name = "Department"


class DimensionValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ledger.DimensionValue"
        django_get_or_create = ("dimension", "code")

    dimension = factory.SubFactory(DimensionFactory)
    code = factory.Sequence(lambda n: f"D{n}")
    name = factory.Sequence(lambda n: f"Dimension value {n}")


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ledger.ExchangeRate"

    from_currency = "USD"
    to_currency = "EUR"
    rate_date = dt.date(2026, 1, 1)
    rate = Decimal("0.90000000")


class JournalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ledger.Journal"

    legal_entity = factory.SubFactory(LegalEntityFactory)
    grouping = "month"
    journal_date = dt.date(2026, 3, 1)
    description = "March 2026"
    created_at = factory.LazyFunction(lambda: dt.datetime(2026, 3, 31, 18, 0, tzinfo=dt.UTC))


class JournalLineFactory(factory.django.DjangoModelFactory):
    """A draft journal line as the actuals import would write it (no actual behind it)."""

    class Meta:
        model = "ledger.JournalLine"

    journal = factory.SubFactory(JournalFactory)
    line_date = dt.date(2026, 3, 2)
    kind = "time_cost"
    project = factory.SubFactory(
        ProjectFactory, legal_entity=factory.SelfAttribute("..journal.legal_entity")
    )
    customer = factory.LazyAttribute(lambda o: o.project.customer)
    currency = "EUR"
    amount = Decimal("800.00")
    description = "8 h Developer"
    source_key = factory.Sequence(lambda n: f"test:{n}")
