"""The default finance setup of a Dutch services firm (loaded by the demo data).

Account codes follow the Dutch decimal scheme that the Referentie GrootboekSchema (RGS) maps
onto: 0 fixed assets and equity, 1 current assets and liabilities, 4 costs, 7 cost of sales,
8 revenue. Everything is created with ``get_or_create`` / ``update_or_create``: loading twice
changes nothing.
"""

from decimal import Decimal

from django.db import transaction

from contracts.models import ItemSalesTaxGroup, LegalEntity, SalesTaxGroup

from .models import (
    Account,
    AccountType,
    Dimension,
    DimensionValue,
    PostingProfile,
    VatCategory,
    VatCode,
    VatRule,
)

A, L, E, R, X = (
    AccountType.ASSET,
    AccountType.LIABILITY,
    AccountType.EQUITY,
    AccountType.REVENUE,
    AccountType.EXPENSE,
)

#: (code, name, type)
DEFAULT_ACCOUNTS: list[tuple[str, str, str]] = [
    ("0100", "Inventaris", A),
    ("0500", "Geplaatst kapitaal", E),
    ("0600", "Overige reserves", E),
    ("1000", "Kas", A),
    ("1100", "Bank", A),
    ("1300", "Debiteuren", A),
    ("1350", "Onderhanden projecten – verkoopwaarde", A),
    ("1360", "Onderhanden projecten – gefactureerde termijnen", L),
    ("1600", "Crediteuren", L),
    ("1650", "Te betalen declaraties", L),
    ("1710", "Af te dragen btw hoog tarief", L),
    ("1711", "Af te dragen btw laag tarief", L),
    ("1712", "Btw verlegd", L),
    ("1800", "Te betalen lonen", L),
    ("4000", "Lonen en salarissen", X),
    ("4100", "Sociale lasten", X),
    ("4500", "Reis- en verblijfkosten", X),
    ("4990", "Doorbelaste loonkosten", X),
    ("4995", "Doorbelaste declaraties", X),
    ("7000", "Projectkosten", X),
    ("7900", "Afgeboekt onderhanden werk (projectverlies)", X),
    ("8000", "Omzet dienstverlening", R),
    ("8050", "Omzet nog te factureren (toegerekend)", R),
    ("8100", "Omzet vaste-prijsprojecten", R),
]

#: code → (name, rate, category, payable account code, invoice text)
DEFAULT_VAT_CODES: dict[str, tuple[str, Decimal, str, str | None, str]] = {
    "V21": ("Btw hoog 21%", Decimal("21"), VatCategory.STANDARD, "1710", ""),
    "V9": ("Btw laag 9%", Decimal("9"), VatCategory.REDUCED, "1711", ""),
    "V0": ("Btw 0% (export)", Decimal("0"), VatCategory.ZERO, None, "Btw 0%"),
    "VX": ("Vrijgesteld van btw", Decimal("0"), VatCategory.EXEMPT, None, "Vrijgesteld van btw"),
    "VRC": ("Btw verlegd", Decimal("0"), VatCategory.REVERSE_CHARGE, "1712", "Btw verlegd"),
}

SALES_TAX_GROUPS = {
    "DOMESTIC": "Domestic customers",
    "EU_B2B": "EU business customers",
    "EXPORT": "Customers outside the EU",
}
ITEM_SALES_TAX_GROUPS = {
    "SERVICES": "Services (standard rate)",
    "REDUCED": "Reduced-rate items",
    "EXEMPT": "Exempt items",
}
#: (sales tax group, item sales tax group) → VAT code
DEFAULT_VAT_RULES: dict[tuple[str, str], str] = {
    ("DOMESTIC", "SERVICES"): "V21",
    ("DOMESTIC", "REDUCED"): "V9",
    ("DOMESTIC", "EXEMPT"): "VX",
    ("EU_B2B", "SERVICES"): "VRC",
    ("EU_B2B", "REDUCED"): "VRC",
    ("EU_B2B", "EXEMPT"): "VX",
    ("EXPORT", "SERVICES"): "V0",
    ("EXPORT", "REDUCED"): "V0",
    ("EXPORT", "EXEMPT"): "VX",
}
DEFAULT_DIMENSIONS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "DEPARTMENT": (
        "Department",
        [("CONS", "Consultancy"), ("DEV", "Software development"), ("ADM", "Administration")],
    ),
    "COSTCENTRE": (
        "Cost centre",
        [("AMS", "Amsterdam"), ("UTR", "Utrecht"), ("RTM", "Rotterdam")],
    ),
}
DEFAULT_PROFILE_ACCOUNTS = {
    "project_cost_account": "7000",
    "payroll_allocation_account": "4990",
    "expense_offset_account": "4995",
    "wip_sales_value_account": "1350",
    "accrued_revenue_account": "8050",
    "invoiced_revenue_account": "8000",
    "wip_write_off_account": "7900",
    "revenue_on_account_account": "1360",
    "receivables_account": "1300",
    "vat_payable_account": "1710",
}


def load_default_chart(*, legal_entity: LegalEntity, year: int) -> None:
    """Chart of accounts, VAT codes and rules, tax groups, dimensions, the default posting
    profile (accruing T&M revenue) and fiscal year ``year`` with twelve open months."""
    from .services.periods import create_fiscal_year

    with transaction.atomic():
        accounts = {}
        for code, name, account_type in DEFAULT_ACCOUNTS:
            accounts[code], _created = Account.objects.get_or_create(
                legal_entity=legal_entity,
                code=code,
                defaults={"name": name, "account_type": account_type},
            )
        vat_codes = {}
        for code, (name, rate, category, payable, text) in DEFAULT_VAT_CODES.items():
            vat_codes[code], _created = VatCode.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "rate": rate,
                    "category": category,
                    "payable_account": accounts[payable] if payable else None,
                    "invoice_text": text,
                },
            )
        sales_groups = {
            code: SalesTaxGroup.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in SALES_TAX_GROUPS.items()
        }
        item_groups = {
            code: ItemSalesTaxGroup.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in ITEM_SALES_TAX_GROUPS.items()
        }
        for (stg, istg), vat in DEFAULT_VAT_RULES.items():
            VatRule.objects.get_or_create(
                sales_tax_group=sales_groups[stg],
                item_sales_tax_group=item_groups[istg],
                defaults={"vat_code": vat_codes[vat]},
            )
        for code, (name, values) in DEFAULT_DIMENSIONS.items():
            dimension, _created = Dimension.objects.get_or_create(
                code=code, defaults={"name": name}
            )
            for value_code, value_name in values:
                DimensionValue.objects.get_or_create(
                    dimension=dimension, code=value_code, defaults={"name": value_name}
                )
        if not PostingProfile.objects.filter(legal_entity=legal_entity, code="DEFAULT").exists():
            PostingProfile.objects.create(
                legal_entity=legal_entity,
                code="DEFAULT",
                name="Default (accrues T&M revenue)",
                is_default=not PostingProfile.objects.filter(
                    legal_entity=legal_entity, is_default=True
                ).exists(),
                accrue_tm_revenue=True,
                **{f: accounts[c] for f, c in DEFAULT_PROFILE_ACCOUNTS.items()},
            )
        create_fiscal_year(legal_entity=legal_entity, year=year)
