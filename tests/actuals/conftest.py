"""Fixtures for the actuals tests: a project with a T&M contract, prices and a resource."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from actuals import services
from actuals.models import TimeEntry
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
    LegalEntityFactory,
    PriceListFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    RolePriceFactory,
)

DAY = dt.date(2026, 3, 2)  # a Monday
TODAY = dt.date(2026, 3, 6)
AT = dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.UTC)


def make_contract(
    *,
    project: c.Project,
    manager,
    method: str = c.BillingMethod.TIME_AND_MATERIAL,
    splits: list[tuple[c.Customer, str, bool]] | None = None,
    line_customer_nte: Decimal | None = None,
    line_nte: Decimal | None = None,
    contract_nte: Decimal | None = None,
    classes: tuple[str, ...] = (c.TransactionClass.TIME, c.TransactionClass.EXPENSE),
    number: str = "K-001",
    billing_rules=(),
) -> c.Contract:
    splits = splits or [(project.customer, "100", True)]
    return create_contract(
        spec=ContractSpec(
            number=number,
            name="Build",
            legal_entity=project.legal_entity,
            project_manager=manager,
            currency="EUR",
            start_date=dt.date(2026, 1, 1),
            nte_limit=contract_nte,
            customers=[
                CustomerSplit(customer=cu, split_percent=Decimal(p), is_rounding=r)
                for cu, p, r in splits
            ],
            lines=[
                LineSpec(
                    name="Development",
                    billing_method=method,
                    transaction_classes=classes,
                    coverage=[Coverage(project=project)],
                    nte_limit=line_nte,
                    customers=[
                        LineSplit(
                            customer=cu,
                            split_percent=Decimal(p),
                            is_rounding=r,
                            nte_limit=line_customer_nte,
                        )
                        for cu, p, r in splits
                    ],
                    billing_rules=billing_rules,
                )
            ],
        )
    )


@dataclass
class World:
    project: c.Project
    resource: c.Resource
    role: c.Role
    manager: object
    cost_list: c.PriceList
    sales_list: c.PriceList

    def entry(
        self, hours: str = "8", *, day: dt.date = DAY, submit: bool = True, **kw
    ) -> TimeEntry:
        entry = services.create_time_entry(
            resource=self.resource,
            project=self.project,
            role=kw.pop("role", self.role),
            entry_date=day,
            hours=Decimal(hours),
            created_at=AT,
            today=TODAY,
            **kw,
        )
        if submit:
            entry = services.submit_entry(
                entry=entry, by=self.resource.user, submitted_at=AT, today=TODAY
            )
        return entry


@pytest.fixture
def world(db, project_manager, team_member) -> World:
    legal = LegalEntityFactory()
    role = RoleFactory()
    project = ProjectFactory(project_manager=project_manager, legal_entity=legal)
    resource = ResourceFactory(user=team_member, legal_entity=legal)
    cost_list = PriceListFactory(kind=c.PriceListKind.COST, name="Cost 2026")
    sales_list = PriceListFactory(kind=c.PriceListKind.SALES, name="Sales 2026")
    RolePriceFactory(price_list=cost_list, role=role, price=Decimal("100"))
    RolePriceFactory(price_list=sales_list, role=role, price=Decimal("200"))
    return World(project, resource, role, project_manager, cost_list, sales_list)


@pytest.fixture
def second_customer(db) -> c.Customer:
    return CustomerFactory()
