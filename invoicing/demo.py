"""The demo dataset behind ``manage.py seed_demo`` (and ``make run`` on an empty database).

A Dutch consultancy invoicing in EUR, with a Belgian customer (EU business, reverse-charged
VAT) and a Dutch one, four projects, the standard cost and sales price lists for 2026, and three
contracts that show the main shapes: time and material with a monthly invoice schedule, fixed
price with milestones, and a contract split 60/40 between the two customers. One demo user per
role logs in with the password :data:`DEMO_PASSWORD`. The firm gets the ledger's default finance
setup (chart of accounts, VAT codes, fiscal year 2026 with its periods).

The data is fixed (no randomness, no "today"), and every row is looked up by its natural key
(code, number, username, name) before it is created, so running the seed again changes nothing
and duplicates nothing. Contracts are written through :func:`contracts.services.create_contract`
so the demo passes the same validation as any other contract; a contract that already exists
is left exactly as it is (its schedule and milestones included).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import models, transaction

from contracts.models import (
    BillingMethod,
    CategoryPrice,
    Contract,
    ContractLine,
    Customer,
    ExpenseCategory,
    InvoiceScheduleEntry,
    ItemSalesTaxGroup,
    Language,
    LegalEntity,
    Milestone,
    PriceList,
    PriceListKind,
    PricingMethod,
    Project,
    Resource,
    Role,
    RolePrice,
    SalesTaxGroup,
    ScheduleFrequency,
    Task,
    TransactionClass,
)
from contracts.roles import Role as UserRole
from contracts.services import (
    BillingRule,
    ContractSpec,
    Coverage,
    CustomerSplit,
    LineSpec,
    LineSplit,
    create_contract,
    create_milestone,
    generate_invoice_schedule,
)
from ledger.models import Account, FiscalYear, Period, VatCode
from ledger.services import load_default_chart

DEMO_PASSWORD = "demo12345"
CURRENCY = "EUR"
YEAR_START = dt.date(2026, 1, 1)

#: (username, role group, first name, last name); ``admin`` is also staff (Django admin).
DEMO_USERS = [
    ("teammember", UserRole.TEAM_MEMBER, "Tim", "de Vries"),
    ("manager", UserRole.PROJECT_MANAGER, "Marloes", "Jansen"),
    ("accountant", UserRole.PROJECT_ACCOUNTANT, "Anouk", "Bakker"),
    ("admin", UserRole.ADMINISTRATOR, "Arjen", "Visser"),
]

TM_CONTRACT = "C-2026-001"
FP_CONTRACT = "C-2026-002"
SPLIT_CONTRACT = "C-2026-003"


@dataclass
class SeedReport:
    """What a seed run did: rows created and rows found already there, per kind."""

    created: Counter[str] = field(default_factory=Counter)
    existing: Counter[str] = field(default_factory=Counter)
    kinds: list[str] = field(default_factory=list)

    def record(self, kind: str, created: bool, n: int = 1) -> None:
        if kind not in self.kinds:
            self.kinds.append(kind)
        (self.created if created else self.existing)[kind] += n

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()))

    def lines(self) -> list[str]:
        return [
            f"  {kind:<24} {self.created[kind]:>3} created, {self.existing[kind]:>3} already there"
            for kind in self.kinds
        ]


def _get_or_create(
    report: SeedReport,
    label: str,
    model: type[models.Model],
    *,
    defaults: dict[str, Any] | None = None,
    **lookup: Any,
) -> Any:
    obj, created = model._default_manager.get_or_create(defaults=defaults or {}, **lookup)
    report.record(label, created)
    return obj


def _users(report: SeedReport) -> dict[str, User]:
    users: dict[str, User] = {}
    for username, role, first, last in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "is_staff": role == UserRole.ADMINISTRATOR,
            },
        )
        if created:
            # Only a new user gets the demo password: a second run never resets a changed one.
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        group = Group.objects.get(name=role)  # created by contracts' 0002_roles migration
        user.groups.add(group)
        report.record("users", created)
        users[username] = user
    return users


def _master_data(report: SeedReport, users: dict[str, User]) -> dict[str, Any]:
    add = _get_or_create
    firm = add(
        report,
        "legal entities",
        LegalEntity,
        code="NL01",
        defaults={
            "name": "Dijkstra Consultancy B.V.",
            "address": "Keizersgracht 123\n1015 CJ Amsterdam\nNederland",
            "country": "NL",
            "vat_number": "NL812345678B01",
            "chamber_of_commerce": "12345678",
            "iban": "NL91ABNA0417164300",
            "bic": "ABNANL2A",
            "accounting_currency": CURRENCY,
        },
    )
    # The ledger's default setup first: it brings the tax groups the customers below use.
    _ledger(report, firm)
    domestic = add(
        report,
        "sales tax groups",
        SalesTaxGroup,
        code="DOMESTIC",
        defaults={"name": "Domestic customers (NL)"},
    )
    eu_b2b = add(
        report,
        "sales tax groups",
        SalesTaxGroup,
        code="EU_B2B",
        defaults={"name": "EU business customers (reverse charge)"},
    )
    services = add(
        report,
        "item sales tax groups",
        ItemSalesTaxGroup,
        code="SERVICES",
        defaults={"name": "Services (standard rate)"},
    )
    belgian = add(
        report,
        "customers",
        Customer,
        code="BE-SCHELDE",
        defaults={
            "name": "Schelde Logistiek NV",
            "address": "Kaaiplein 10\n2000 Antwerpen\nBelgië",
            "country": "BE",
            "vat_number": "BE0123456749",
            "email": "facturen@schelde-logistiek.example",
            "payment_terms_days": 30,
            "sales_tax_group": eu_b2b,
            "language": Language.DUTCH,
        },
    )
    dutch = add(
        report,
        "customers",
        Customer,
        code="NL-GRACHT",
        defaults={
            "name": "Grachtenhuis Media B.V.",
            "address": "Oudegracht 200\n3511 NR Utrecht\nNederland",
            "country": "NL",
            "vat_number": "NL004495445B01",
            "email": "crediteuren@grachtenhuis.example",
            "payment_terms_days": 14,
            "sales_tax_group": domestic,
            "language": Language.DUTCH,
        },
    )
    roles = {
        code: add(
            report,
            "roles",
            Role,
            code=code,
            defaults={"name": name, "chargeable": True, "item_sales_tax_group": services},
        )
        for code, name in [
            ("CONSULTANT", "Consultant"),
            ("DEVELOPER", "Developer"),
            ("PROJECT_LEAD", "Project lead"),
        ]
    }
    categories = {
        code: add(
            report,
            "expense categories",
            ExpenseCategory,
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "chargeable": True,
                "item_sales_tax_group": services,
            },
        )
        for code, name, unit in [
            ("TRAVEL_KM", "Travel (kilometres)", "km"),
            ("HOTEL", "Hotel", "night"),
            ("MATERIALS", "Materials", "each"),
        ]
    }
    add(
        report,
        "resources",
        Resource,
        user=users["teammember"],
        defaults={
            "name": users["teammember"].get_full_name(),
            "legal_entity": firm,
            "default_role": roles["DEVELOPER"],
        },
    )
    projects: dict[str, Project] = {}
    tasks: dict[tuple[str, str], Task] = {}
    for code, name, customer, task_rows in [
        (
            "P-1001",
            "Warehouse platform",
            belgian,
            [
                ("ANALYSIS", "Analysis", True),
                ("BUILD", "Build", True),
                ("SUPPORT", "Support", True),
            ],
        ),
        (
            "P-1002",
            "Website relaunch",
            dutch,
            [
                ("DESIGN", "Design", True),
                ("BUILD", "Build", True),
                ("PM", "Project management", True),
            ],
        ),
        (
            "P-1003",
            "Shared data platform",
            belgian,
            [("INGEST", "Data ingestion", True), ("REPORTS", "Reporting", True)],
        ),
        (
            "P-1004",
            "Data platform rollout",
            dutch,
            [("TRAINING", "Training", True), ("INTERNAL", "Internal coordination", False)],
        ),
    ]:
        project = add(
            report,
            "projects",
            Project,
            code=code,
            defaults={
                "name": name,
                "customer": customer,
                "project_manager": users["manager"],
                "legal_entity": firm,
                "start_date": YEAR_START,
            },
        )
        projects[code] = project
        for task_code, task_name, chargeable in task_rows:
            tasks[(code, task_code)] = add(
                report,
                "tasks",
                Task,
                project=project,
                code=task_code,
                defaults={"name": task_name, "chargeable": chargeable},
            )
    return {
        "firm": firm,
        "belgian": belgian,
        "dutch": dutch,
        "roles": roles,
        "categories": categories,
        "projects": projects,
        "tasks": tasks,
    }


def _price_lists(report: SeedReport, data: dict[str, Any]) -> None:
    roles, categories = data["roles"], data["categories"]
    lists: list[tuple[str, str, dict[str, str], dict[str, tuple[str, str | None, str | None]]]] = [
        (
            "Standard cost prices 2026",
            PriceListKind.COST,
            {"CONSULTANT": "85.00", "DEVELOPER": "75.00", "PROJECT_LEAD": "95.00"},
            {
                "TRAVEL_KM": (PricingMethod.PER_UNIT, "0.23", None),
                "HOTEL": (PricingMethod.AT_COST, None, None),
                "MATERIALS": (PricingMethod.AT_COST, None, None),
            },
        ),
        (
            "Standard sales prices 2026",
            PriceListKind.SALES,
            {"CONSULTANT": "145.00", "DEVELOPER": "125.00", "PROJECT_LEAD": "165.00"},
            {
                "TRAVEL_KM": (PricingMethod.PER_UNIT, "0.35", None),
                "HOTEL": (PricingMethod.AT_COST, None, None),
                "MATERIALS": (PricingMethod.MARKUP, None, "15.00"),
            },
        ),
    ]
    for name, kind, role_prices, category_prices in lists:
        price_list = _get_or_create(
            report,
            "price lists",
            PriceList,
            name=name,
            kind=kind,
            currency=CURRENCY,
            contract=None,
            defaults={"valid_from": YEAR_START, "valid_to": None},
        )
        for code, price in role_prices.items():
            _get_or_create(
                report,
                "role prices",
                RolePrice,
                price_list=price_list,
                role=roles[code],
                defaults={"price": Decimal(price)},
            )
        for code, (method, unit_price, markup) in category_prices.items():
            _get_or_create(
                report,
                "category prices",
                CategoryPrice,
                price_list=price_list,
                category=categories[code],
                defaults={
                    "method": method,
                    "price": Decimal(unit_price) if unit_price else None,
                    "markup_percent": Decimal(markup) if markup else None,
                },
            )


_TM_CLASSES = [TransactionClass.TIME, TransactionClass.EXPENSE, TransactionClass.MATERIAL]


def _contract(
    report: SeedReport, number: str, build: Callable[[Contract], None], spec: ContractSpec
) -> Contract:
    """Create the contract (and, through ``build``, its schedule / milestones) once."""
    existing = Contract.objects.filter(number=number).first()
    if existing is not None:
        report.record("contracts", False)
        entries = InvoiceScheduleEntry.objects.filter(line__contract=existing).count()
        milestones = Milestone.objects.filter(line__contract=existing).count()
        if entries:
            report.record("invoice schedule entries", False, entries)
        if milestones:
            report.record("milestones", False, milestones)
        return existing
    contract = create_contract(spec=spec)
    report.record("contracts", True)
    build(contract)
    return contract


def _line(contract: Contract, name: str) -> ContractLine:
    return contract.lines.get(name=name)


def _contracts(report: SeedReport, data: dict[str, Any], manager: User) -> None:
    firm, belgian, dutch = data["firm"], data["belgian"], data["dutch"]
    projects, tasks, roles = data["projects"], data["tasks"], data["roles"]
    one = Decimal("100")

    def schedule(line_name: str, frequency: str, **kwargs: Any) -> Callable[[Contract], None]:
        def build(contract: Contract) -> None:
            entries = generate_invoice_schedule(
                line=_line(contract, line_name),
                frequency=frequency,
                start_date=dt.date(2026, 2, 1),
                end_date=dt.date(2026, 12, 31),
                **kwargs,
            )
            report.record("invoice schedule entries", True, len(entries))

        return build

    _contract(
        report,
        TM_CONTRACT,
        schedule("Consultancy and development", ScheduleFrequency.MONTHLY, day=1),
        ContractSpec(
            number=TM_CONTRACT,
            name="Warehouse platform - time and material",
            legal_entity=firm,
            project_manager=manager,
            currency=CURRENCY,
            start_date=YEAR_START,
            end_date=dt.date(2026, 12, 31),
            nte_limit=Decimal("150000.00"),
            customer_reference="PO-SL-2026-0042",
            description="Analysis, build and support of the warehouse platform, billed monthly.",
            customers=[CustomerSplit(customer=belgian, split_percent=one, is_rounding=True)],
            lines=[
                LineSpec(
                    name="Consultancy and development",
                    billing_method=BillingMethod.TIME_AND_MATERIAL,
                    transaction_classes=_TM_CLASSES,
                    coverage=[Coverage(project=projects["P-1001"])],
                    customers=[LineSplit(customer=belgian, split_percent=one, is_rounding=True)],
                    nte_limit=Decimal("150000.00"),
                    external_description="Consultancy and development, warehouse platform",
                    billing_rules=[
                        BillingRule(task=tasks[("P-1001", "SUPPORT")], chargeable=False),
                    ],
                )
            ],
        ),
    )

    def milestones(contract: Contract) -> None:
        line = _line(contract, "Website relaunch - fixed price")
        for name, date, amount in [
            ("Design approved", dt.date(2026, 3, 31), "12000.00"),
            ("Beta live", dt.date(2026, 6, 30), "18000.00"),
            ("Go-live and handover", dt.date(2026, 9, 30), "10000.00"),
        ]:
            rows = create_milestone(
                line=line,
                name=name,
                milestone_date=date,
                amount=Decimal(amount),
                external_description=f"Milestone: {name}",
            )
            report.record("milestones", True, len(rows))

    _contract(
        report,
        FP_CONTRACT,
        milestones,
        ContractSpec(
            number=FP_CONTRACT,
            name="Website relaunch - fixed price",
            legal_entity=firm,
            project_manager=manager,
            currency=CURRENCY,
            start_date=YEAR_START,
            end_date=dt.date(2026, 12, 31),
            description="Fixed price of EUR 40,000 in three milestones.",
            customers=[CustomerSplit(customer=dutch, split_percent=one, is_rounding=True)],
            lines=[
                LineSpec(
                    name="Website relaunch - fixed price",
                    billing_method=BillingMethod.FIXED_PRICE,
                    transaction_classes=[TransactionClass.TIME, TransactionClass.EXPENSE],
                    coverage=[Coverage(project=projects["P-1002"])],
                    customers=[LineSplit(customer=dutch, split_percent=one, is_rounding=True)],
                    external_description="Website relaunch (fixed price)",
                )
            ],
        ),
    )

    sixty, forty = Decimal("60"), Decimal("40")
    _contract(
        report,
        SPLIT_CONTRACT,
        schedule("Shared data platform", ScheduleFrequency.TIMES_A_MONTH, times_per_month=2),
        ContractSpec(
            number=SPLIT_CONTRACT,
            name="Shared data platform - split 60/40",
            legal_entity=firm,
            project_manager=manager,
            currency=CURRENCY,
            start_date=YEAR_START,
            end_date=dt.date(2026, 12, 31),
            description="One platform for both customers: Schelde pays 60 %, Grachtenhuis 40 %.",
            customers=[
                CustomerSplit(customer=belgian, split_percent=sixty, is_rounding=True),
                CustomerSplit(customer=dutch, split_percent=forty),
            ],
            lines=[
                LineSpec(
                    name="Shared data platform",
                    billing_method=BillingMethod.TIME_AND_MATERIAL,
                    transaction_classes=_TM_CLASSES,
                    coverage=[
                        Coverage(project=projects["P-1003"]),
                        Coverage(project=projects["P-1004"]),
                    ],
                    customers=[
                        LineSplit(customer=belgian, split_percent=sixty, is_rounding=True),
                        LineSplit(customer=dutch, split_percent=forty),
                    ],
                    external_description="Shared data platform",
                    billing_rules=[
                        BillingRule(role=roles["PROJECT_LEAD"], chargeable=False),
                    ],
                )
            ],
        ),
    )


def _ledger(report: SeedReport, firm: LegalEntity) -> None:
    """The ledger's default finance setup for the firm: chart of accounts, VAT codes and rules,
    tax groups, dimensions, the default posting profile and fiscal year 2026 with its twelve
    periods (:func:`ledger.services.load_default_chart`, itself idempotent)."""
    tracked: list[tuple[str, type[models.Model]]] = [
        ("ledger accounts", Account),
        ("VAT codes", VatCode),
        ("fiscal years", FiscalYear),
        ("fiscal periods", Period),
    ]
    before = {label: model._default_manager.count() for label, model in tracked}
    load_default_chart(legal_entity=firm, year=YEAR_START.year)
    for label, model in tracked:
        created = model._default_manager.count() - before[label]
        report.record(label, True, created)
        report.record(label, False, before[label])


@transaction.atomic
def seed_demo() -> SeedReport:
    """Write the demo dataset (idempotent: what exists is left alone). All or nothing."""
    report = SeedReport()
    users = _users(report)
    data = _master_data(report, users)
    _price_lists(report, data)
    _contracts(report, data, users["manager"])
    return report
