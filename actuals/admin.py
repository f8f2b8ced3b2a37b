"""Admin: entries are editable as drafts; actuals are read-only (they are immutable)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from actuals.models import Actual, ExpenseEntry, TimeEntry


class _EntryAdmin(admin.ModelAdmin):
    """Submitted and approved entries change only through their services (read-only here)."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_editable)


@admin.register(TimeEntry)
class TimeEntryAdmin(_EntryAdmin):
    list_display = ("pk", "resource", "project", "task", "role", "entry_date", "hours", "status")
    list_filter = ("status", "project")
    search_fields = ("description", "resource__name", "project__code")
    readonly_fields = (
        "status",
        "submitted_at",
        "approved_at",
        "approved_by",
        "returned_at",
        "returned_by",
        "billable_quantity",
    )


@admin.register(ExpenseEntry)
class ExpenseEntryAdmin(_EntryAdmin):
    list_display = (
        "pk",
        "resource",
        "project",
        "category",
        "entry_date",
        "amount",
        "currency",
        "status",
    )
    list_filter = ("status", "project")
    readonly_fields = TimeEntryAdmin.readonly_fields


@admin.register(Actual)
class ActualAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "actual_type",
        "transaction_class",
        "project",
        "customer",
        "transaction_date",
        "quantity",
        "unit_price",
        "amount",
        "currency",
        "billing_type",
        "billing_status",
    )
    list_filter = ("actual_type", "transaction_class", "billing__status", "billing__nte_status")
    list_select_related = ("project", "customer", "billing")

    @admin.display(description=_("billing status"), ordering="billing__status")
    def billing_status(self, obj: Actual) -> str:
        billing = getattr(obj, "billing", None)
        return billing.get_status_display() if billing else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
