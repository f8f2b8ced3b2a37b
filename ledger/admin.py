"""Admin for the finance setup. Ledger entries, their lines and posted journal lines are shown
read-only: PostgreSQL refuses any change to them anyway."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    Account,
    CustomerTransaction,
    DefaultDimension,
    Dimension,
    DimensionValue,
    ExchangeRate,
    FiscalYear,
    Journal,
    JournalLine,
    JournalLineStatus,
    LedgerEntry,
    LedgerEntryLine,
    NumberSeries,
    Period,
    PostingProfile,
    ProjectPostingProfile,
    VatCode,
    VatRule,
)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "account_type", "legal_entity", "is_active"]
    list_filter = ["legal_entity", "account_type", "is_active"]
    search_fields = ["code", "name"]


class PeriodInline(admin.TabularInline):
    model = Period
    extra = 0
    readonly_fields = ["status_changed_at", "status_changed_by"]


@admin.register(FiscalYear)
class FiscalYearAdmin(admin.ModelAdmin):
    list_display = ["legal_entity", "year", "start_date", "end_date"]
    inlines = [PeriodInline]


class DimensionValueInline(admin.TabularInline):
    model = DimensionValue
    extra = 0


@admin.register(Dimension)
class DimensionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    inlines = [DimensionValueInline]


@admin.register(DefaultDimension)
class DefaultDimensionAdmin(admin.ModelAdmin):
    list_display = ["customer", "project", "contract", "dimension", "value"]


@admin.register(VatCode)
class VatCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "rate", "category", "payable_account"]


@admin.register(VatRule)
class VatRuleAdmin(admin.ModelAdmin):
    list_display = ["sales_tax_group", "item_sales_tax_group", "vat_code"]


@admin.register(PostingProfile)
class PostingProfileAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "legal_entity", "is_default", "accrue_tm_revenue"]


@admin.register(ProjectPostingProfile)
class ProjectPostingProfileAdmin(admin.ModelAdmin):
    list_display = ["project", "profile"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["from_currency", "to_currency", "rate_date", "rate"]
    list_filter = ["from_currency", "to_currency"]


@admin.register(NumberSeries)
class NumberSeriesAdmin(admin.ModelAdmin):
    list_display = ["legal_entity", "fiscal_year", "purpose", "prefix", "next_number"]
    readonly_fields = ["next_number"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LedgerEntryLineInline(admin.TabularInline):
    model = LedgerEntryLine
    extra = 0
    fields = ("line_number", "account", "currency", "amount", "accounting_amount", "project")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["voucher_number", "entry_date", "legal_entity", "memo", "posted_at"]
    list_filter = ["legal_entity"]
    search_fields = ["voucher_number", "memo"]
    inlines = [LedgerEntryLineInline]


@admin.register(CustomerTransaction)
class CustomerTransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "document_number",
        "customer",
        "document_date",
        "due_date",
        "amount",
        "open_amount",
    ]


@admin.register(Journal)
class JournalAdmin(admin.ModelAdmin):
    list_display = ["journal_date", "grouping", "legal_entity", "status"]
    readonly_fields = ["status"]


@admin.register(JournalLine)
class JournalLineAdmin(admin.ModelAdmin):
    list_display = ["source_key", "kind", "line_date", "project", "amount", "status"]
    list_filter = ["status", "kind"]
    readonly_fields = ["status", "entry", "posted_at", "error_reason", "source_key"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status == JournalLineStatus.POSTED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status == JournalLineStatus.POSTED:
            return False
        return super().has_delete_permission(request, obj)
