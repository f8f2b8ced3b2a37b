"""Reads of the actuals app: who sees which entries and actuals, approvals waiting, totals.

Visibility (DOMAIN.md §7): a team member sees their own entries; a project manager also the
entries and actuals of the projects they manage; accountants and administrators read
everything. Anything else is answered as if it did not exist (404).
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Case, CharField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from actuals.models import (
    Actual,
    EntryStatus,
    ExpenseEntry,
    TimeEntry,
)
from actuals.models.entries import Entry
from contracts.models import TransactionClass
from contracts.roles import Role, has_role, sees_everything

E = TypeVar("E", TimeEntry, ExpenseEntry)


def visible_entries(user: Any, model: type[E]) -> QuerySet[E]:
    qs = model.objects.select_related("resource__user", "project", "task")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if sees_everything(user):
        return qs
    return qs.filter(Q(resource__user=user) | Q(project__project_manager=user))


def own_entries(user: Any, model: type[E]) -> QuerySet[E]:
    return model.objects.select_related("project", "task").filter(resource__user=user)


def approvals_waiting(user: Any, model: type[E]) -> QuerySet[E]:
    """Submitted entries on the projects the user manages (a superuser: all)."""
    qs = model.objects.select_related("resource", "project", "task").filter(
        status=EntryStatus.SUBMITTED
    )
    if getattr(user, "is_superuser", False):
        return qs
    return qs.filter(project__project_manager=user)


def can_approve(user: Any, entry: Entry) -> bool:
    """The project manager of the entry's project, with the approve permission."""
    codename = "approve_timeentry" if isinstance(entry, TimeEntry) else "approve_expenseentry"
    if not user.has_perm(f"actuals.{codename}"):
        return False
    return bool(user.is_superuser or entry.project.project_manager_id == user.pk)


def visible_actuals(user: Any) -> QuerySet[Actual]:
    qs = Actual.objects.select_related(
        "project", "customer", "role", "category", "resource", "billing"
    )
    if not getattr(user, "is_authenticated", False) or not user.has_perm("actuals.view_actual"):
        return qs.none()
    if sees_everything(user):
        return qs
    if has_role(user, Role.PROJECT_MANAGER):
        return qs.filter(project__project_manager=user)
    return qs.none()


@dataclass(frozen=True)
class ActualTotal:
    """Actuals of one type, currency and unit: hours are never added to kilometres."""

    type: str
    currency: str
    unit: str
    quantity: Decimal
    amount: Decimal


def actual_totals(qs: QuerySet[Actual]) -> list[ActualTotal]:
    """Quantity and amount per actual type, currency and unit of measure (``h`` for time, the
    expense category's unit: km, night …), one aggregate query; amounts are never added
    across currencies, nor quantities across units."""
    unit = Case(
        When(transaction_class=TransactionClass.TIME, then=Value("h")),
        default=Coalesce(F("category__unit"), Value("")),
        output_field=CharField(),
    )
    return [
        ActualTotal(r["actual_type"], r["currency"], r["unit"], r["quantity"], r["amount"])
        for r in qs.order_by()
        .annotate(unit=unit)
        .values("actual_type", "currency", "unit")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount"))
        .order_by("actual_type", "currency", "unit")
    ]
