"""The Django admin for invoices and invoice runs: for looking things up, read-only.

Invoices change only through their services (drafts are edited on the portal, confirmation
writes actuals, posting writes the ledger), so the admin never edits or deletes them; a posted
or confirmed invoice is also protected by PostgreSQL triggers. Runs are records of what
happened.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from invoicing.models import Invoice, InvoiceDetail, InvoiceLine, InvoiceRun, InvoiceRunFailure


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InvoiceLineInline(ReadOnlyMixin, admin.TabularInline):
    model = InvoiceLine
    fields = readonly_fields = ("contract_line", "description")
    extra = 0


class InvoiceDetailInline(ReadOnlyMixin, admin.TabularInline):
    model = InvoiceDetail
    fields = readonly_fields = (
        "line",
        "transaction_class",
        "transaction_date",
        "actual",
        "milestone",
        "credits",
        "quantity",
        "unit_price",
        "amount",
        "currency",
        "billing_type",
        "external_description",
    )
    extra = 0


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "reference_or_number",
        "status",
        "contract",
        "customer",
        "invoice_date",
        "currency",
        "corrects",
        "portal_link",
    ]
    list_filter = ["status", "currency", "invoice_date"]
    search_fields = ["number", "contract__number", "customer__name", "customer_reference"]
    list_select_related = ["contract", "customer", "corrects"]
    readonly_fields = [
        "contract",
        "contract_customer",
        "customer",
        "legal_entity",
        "currency",
        "status",
        "invoice_date",
        "accounting_date",
        "due_date",
        "customer_reference",
        "description",
        "corrects",
        "run",
        "version",
        "created_at",
        "created_by",
        "confirmed_at",
        "confirmed_by",
        "number",
        "posted_at",
        "posted_by",
    ]
    inlines = [InvoiceLineInline, InvoiceDetailInline]
    ordering = ["-pk"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("invoicing.view_invoice")

    @admin.display(description=_("invoice"), ordering="pk")
    def reference_or_number(self, invoice: Invoice) -> str:
        return str(invoice)

    @admin.display(description=_("portal"))
    def portal_link(self, invoice: Invoice) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("invoicing:invoice-detail", args=[invoice.pk]),
            _("open"),
        )


class InvoiceRunFailureInline(ReadOnlyMixin, admin.TabularInline):
    model = InvoiceRunFailure
    fields = readonly_fields = ("contract", "message")
    extra = 0


@admin.register(InvoiceRun)
class InvoiceRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "run_date",
        "trigger",
        "status",
        "contracts_done",
        "contracts_total",
        "invoices_count",
        "items_count",
        "failures_count",
        "started_at",
    ]
    list_filter = ["status", "trigger", "run_date"]
    readonly_fields = [
        "run_date",
        "trigger",
        "status",
        "started_at",
        "finished_at",
        "started_by",
        "contracts_total",
        "contracts_done",
        "invoices_count",
        "items_count",
        "failures_count",
        "amounts",
        "message",
    ]
    exclude = ["plan"]  # the contract ids of every batch: thousands on a real night
    inlines = [InvoiceRunFailureInline]
    ordering = ["-pk"]
