"""A billing world: a T&M contract (cost 100, bill 200 per hour), a resource, the ledger's
VAT setup, and helpers that approve time and bill it, so tests read as the worked examples."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db.models import Value
from django.db.models.functions import Coalesce

from actuals import services as actuals
from actuals.models import Actual, ActualType, BillingStatus
from actuals.services.billing import mark_ready
from contracts import models as c
from contracts.services import (
    ContractSpec,
    Coverage,
    CustomerSplit,
    LineSpec,
    LineSplit,
    create_contract,
)
from tests.factories import (
    CustomerFactory,
    PriceListFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    RolePriceFactory,
    ledger_setup,
)

DAY = dt.date(2026, 3, 2)
TODAY = dt.date(2026, 3, 6)
AT = dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.UTC)


def make_contract(
    *, project, manager, method=c.BillingMethod.TIME_AND_MATERIAL, number="K-001", customers=None
):
    customers = customers or [(project.customer, "100", True)]
    return create_contract(
        spec=ContractSpec(
            number=number,
            name=f"Contract {number}",
            legal_entity=project.legal_entity,
            project_manager=manager,
            currency="EUR",
            start_date=dt.date(2026, 1, 1),
            customers=[
                CustomerSplit(customer=cu, split_percent=Decimal(p), is_rounding=r)
                for cu, p, r in customers
            ],
            lines=[
                LineSpec(
                    name="Development",
                    billing_method=method,
                    transaction_classes=[c.TransactionClass.TIME, c.TransactionClass.EXPENSE],
                    coverage=[Coverage(project=project)],
                    customers=[
                        LineSplit(customer=cu, split_percent=Decimal(p), is_rounding=r)
                        for cu, p, r in customers
                    ],
                )
            ],
        )
    )


@dataclass
class Billing:
    project: c.Project
    contract: c.Contract
    resource: c.Resource
    role: c.Role
    manager: object

    def approve(self, hours="8", *, billable=None, day=DAY, project=None) -> list[Actual]:
        """Book, submit and approve time; returns the chargeable unbilled actuals."""
        entry = actuals.create_time_entry(
            resource=self.resource,
            project=project or self.project,
            role=self.role,
            entry_date=day,
            hours=Decimal(hours),
            created_at=AT,
            today=max(TODAY, day),
        )
        entry = actuals.submit_entry(
            entry=entry, by=self.resource.user, submitted_at=AT, today=max(TODAY, day)
        )
        result = actuals.approve_time_entry(
            entry=entry,
            approved_by=self.manager,
            approved_at=AT,
            billable_quantity=Decimal(billable) if billable else None,
        )
        return [
            a
            for a in result.actuals
            if a.actual_type == ActualType.UNBILLED_SALES and a.billing_type == "chargeable"
        ]

    def approve_ready(self, hours="8", **kwargs) -> list[Actual]:
        rows = self.approve(hours, **kwargs)
        mark_ready(actual_ids=[a.pk for a in rows], scope=Actual.objects.all())
        return rows


@pytest.fixture
def billing(db, project_manager, team_member) -> Billing:
    legal = ledger_setup()
    domestic = c.SalesTaxGroup.objects.get(code="DOMESTIC")
    services = c.ItemSalesTaxGroup.objects.get(code="SERVICES")
    role = RoleFactory(item_sales_tax_group=services)
    customer = CustomerFactory(code="ACME", sales_tax_group=domestic)
    project = ProjectFactory(
        code="P-ACME", customer=customer, project_manager=project_manager, legal_entity=legal
    )
    resource = ResourceFactory(user=team_member, legal_entity=legal)
    cost = PriceListFactory(kind=c.PriceListKind.COST, name="Cost 2026")
    sales = PriceListFactory(kind=c.PriceListKind.SALES, name="Sales 2026")
    RolePriceFactory(price_list=cost, role=role, price=Decimal("100"))
    RolePriceFactory(price_list=sales, role=role, price=Decimal("200"))
    contract = make_contract(project=project, manager=project_manager)
    return Billing(project, contract, resource, role, project_manager)


def actual_rows(**filters):
    """(type, quantity, amount, billing type, billing status) of actuals, in creation order
    (the billing status is empty on actuals that have none: cost, billed, reversals)."""
    return list(
        Actual.objects.filter(**filters)
        .order_by("pk")
        .annotate(status=Coalesce("billing__status", Value("")))
        .values_list("actual_type", "quantity", "amount", "billing_type", "status")
    )


def backlog_amount(contract) -> Decimal:
    return sum(
        (
            a.amount
            for a in Actual.objects.filter(
                contract=contract,
                actual_type=ActualType.UNBILLED_SALES,
                billing_type="chargeable",
                billing__status__in=[BillingStatus.NOT_READY, BillingStatus.READY],
            )
        ),
        Decimal(0),
    )
