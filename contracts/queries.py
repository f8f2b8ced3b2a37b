"""Reads for master data and contracts, including who may see what.

Scope (DOMAIN.md §7): accountants and administrators read everything
(:func:`contracts.roles.sees_everything`). A project manager who is neither sees only the
projects and contracts they manage, and what hangs off them (tasks, contract lines, invoice
schedules, milestones, a contract's own price lists); anything else is answered as if it did
not exist (the API gives 404). Every other user (team members) is not narrowed here: whether
they may read a kind of record at all is a model permission, checked by the caller.

The API and the portal pages both start from these QuerySets, so the rule lives in one place.
"""

from typing import Any

from django.db.models import Q, QuerySet

from contracts.models import (
    Contract,
    ContractLine,
    InvoiceScheduleEntry,
    Milestone,
    PriceList,
    Project,
    Task,
)
from contracts.roles import Role, has_role, sees_everything


def is_scoped_to_own(user: Any) -> bool:
    """True when ``user`` sees only their own projects and contracts (a project manager who is
    neither accountant nor administrator)."""
    return has_role(user, Role.PROJECT_MANAGER) and not sees_everything(user)


def projects_visible_to(user: Any) -> QuerySet[Project]:
    projects = Project.objects.all()
    if is_scoped_to_own(user):
        projects = projects.filter(project_manager=user)
    return projects


def tasks_visible_to(user: Any) -> QuerySet[Task]:
    tasks = Task.objects.all()
    if is_scoped_to_own(user):
        tasks = tasks.filter(project__project_manager=user)
    return tasks


def contracts_visible_to(user: Any) -> QuerySet[Contract]:
    contracts = Contract.objects.all()
    if is_scoped_to_own(user):
        contracts = contracts.filter(project_manager=user)
    return contracts


def contract_lines_visible_to(user: Any) -> QuerySet[ContractLine]:
    lines = ContractLine.objects.all()
    if is_scoped_to_own(user):
        lines = lines.filter(contract__project_manager=user)
    return lines


def schedule_entries_visible_to(user: Any) -> QuerySet[InvoiceScheduleEntry]:
    entries = InvoiceScheduleEntry.objects.all()
    if is_scoped_to_own(user):
        entries = entries.filter(line__contract__project_manager=user)
    return entries


def milestones_visible_to(user: Any) -> QuerySet[Milestone]:
    milestones = Milestone.objects.all()
    if is_scoped_to_own(user):
        milestones = milestones.filter(line__contract__project_manager=user)
    return milestones


def price_lists_visible_to(user: Any) -> QuerySet[PriceList]:
    """Standard price lists for everyone; a contract's own list only to who sees the contract."""
    lists = PriceList.objects.all()
    if is_scoped_to_own(user):
        lists = lists.filter(Q(contract__isnull=True) | Q(contract__project_manager=user))
    return lists


def contracts_with_details(contracts: QuerySet[Contract]) -> QuerySet[Contract]:
    """Contracts with their customers and lines (coverage, line customers, rules) prefetched."""
    return contracts.select_related("legal_entity", "project_manager").prefetch_related(
        "contract_customers",
        "lines__scopes",
        "lines__line_customers__contract_customer",
        "lines__billing_rules",
    )


def lines_with_details(lines: QuerySet[ContractLine]) -> QuerySet[ContractLine]:
    return lines.prefetch_related("scopes", "line_customers__contract_customer", "billing_rules")


def effective_on(lists: QuerySet[PriceList], on_date: Any) -> QuerySet[PriceList]:
    """Price lists in effect on ``on_date`` (valid from ≤ date ≤ valid to, or open-ended)."""
    return lists.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on_date), valid_from__lte=on_date
    )
