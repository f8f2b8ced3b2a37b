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
