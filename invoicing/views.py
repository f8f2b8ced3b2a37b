"""Portal entry: each role lands on its own home page, which answers that role's first question
with what the product holds today.

- Team member: what have I booked this week? (Hours per day and status, returned entries to
  fix; below them the active projects: who is assigned to which project is not recorded yet,
  so every active project is listed, and the page says so.)
- Project manager: what do I need to do, and what is it worth? (Unbilled value by contract,
  approvals waiting, drafts to confirm, not-to-exceed warnings, a chart of unbilled and
  invoiced value per month: :mod:`invoicing.dashboards`; below them the own contracts.)
- Project accountant: what is there to account for? (All contracts by status, customers.)
- Administrator: where is the master data? (Admin sections with their counts.)

Later issues add their work queues to these pages through the named ``{% block %}`` s of
``templates/home/*.html`` (e.g. ``approvals``, ``backlog``, ``journals``, ``proposals``): a
later page template extends the home template and fills its block, and the view adds the data.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Model, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actuals.forms import week_start
from contracts import models as c
from contracts.queries import contracts_visible_to
from contracts.roles import ROLE_HOME, Role, has_role, primary_role
from contracts.views import CONTRACT_COLUMNS, Column, contracts_for_table, table_page
from invoicing import dashboards


@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = primary_role(request.user)
    if role is None:
        return render(request, "home/no_role.html", status=403)
    return redirect(ROLE_HOME[role])


def _require_role(request: HttpRequest, role: str) -> None:
    if not has_role(request.user, role):
        raise PermissionDenied(
            _("This page is for the role %(role)s.") % {"role": Role(role).label}
        )


def _user(request: HttpRequest) -> Any:
    """The logged-in user (the views below are all behind ``login_required``)."""
    return request.user


def _status_counts(contracts: Any) -> list[dict[str, Any]]:
    """One row per contract status (all of them, zero included), in the choices' order."""
    counts = dict(contracts.values_list("status").annotate(n=Count("pk")).order_by())
    return [
        {"status": value, "label": label, "count": counts.get(value, 0)}
        for value, label in c.ContractStatus.choices
    ]


@login_required
def home_team_member(request: HttpRequest) -> HttpResponse:
    """My hours of this week (or of ``?week=YYYY-MM-DD``) per day and status, returned entries
    to fix, and the active projects."""
    _require_role(request, Role.TEAM_MEMBER)
    projects = c.Project.objects.filter(is_active=True).select_related(
        "customer", "project_manager"
    )
    table = table_page(
        request,
        projects,
        columns=[
            Column(_("Project"), "code", ("code",)),
            Column(_("Name"), "name", ("name",)),
            Column(_("Customer"), "customer", ("customer__name",)),
            Column(_("Project manager")),
            Column(_("Start date"), "start_date", ("start_date",)),
        ],
        default_sort="code",
    )
    resource = c.Resource.objects.filter(user=_user(request)).select_related("default_role").first()
    today = timezone.localdate()
    start = week_start(request.GET.get("week"), today)
    return render(
        request,
        "home/team_member.html",
        {
            "table": table,
            "resource": resource,
            "week": dashboards.week_hours(_user(request), start=start),
            "is_this_week": start == week_start(None, today),
        },
    )


@login_required
def home_project_manager(request: HttpRequest) -> HttpResponse:
    """What do I need to do, and what is it worth? (see :mod:`invoicing.dashboards`), above
    the contracts I manage."""
    _require_role(request, Role.PROJECT_MANAGER)
    own = c.Contract.objects.filter(project_manager=_user(request))
    table = table_page(
        request,
        contracts_for_table(own),
        columns=CONTRACT_COLUMNS,
        default_sort="number",
    )
    return render(
        request,
        "home/project_manager.html",
        {
            "table": table,
            "status_counts": _status_counts(own),
            "contract_count": own.count(),
            "project_count": c.Project.objects.filter(
                project_manager=_user(request), is_active=True
            ).count(),
            "dashboard": dashboards.manager_dashboard(_user(request), today=timezone.localdate()),
        },
    )


@login_required
def home_accountant(request: HttpRequest) -> HttpResponse:
    _require_role(request, Role.PROJECT_ACCOUNTANT)
    contracts = contracts_visible_to(request.user)
    customers = c.Customer.objects.select_related("sales_tax_group").annotate(
        active_contracts=Count(
            "contract_customers",
            filter=Q(contract_customers__contract__status=c.ContractStatus.ACTIVE),
        )
    )
    table = table_page(
        request,
        customers,
        columns=[
            Column(_("Code"), "code", ("code",)),
            Column(_("Name"), "name", ("name",)),
            Column(_("Country")),
            Column(_("Sales tax group")),
            Column(_("Payment terms (days)"), numeric=True),
            Column(_("Active contracts"), "active", ("active_contracts",), numeric=True),
        ],
        default_sort="code",
    )
    return render(
        request,
        "home/accountant.html",
        {
            "status_counts": _status_counts(contracts),
            "contract_count": contracts.count(),
            "customer_count": table.count,
            "active_project_count": c.Project.objects.filter(is_active=True).count(),
            "table": table,
            "d": dashboards.accountant_dashboard(today=timezone.localdate()),
        },
    )


@dataclass(frozen=True)
class AdminSection:
    label: Any
    count: int
    url: str


def _admin_sections(user: Any, models: list[type[Model]]) -> list[AdminSection]:
    sections = []
    for model in models:
        opts = model._meta
        url = ""
        if user.is_staff and user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            try:
                url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            except NoReverseMatch:
                url = ""
        sections.append(
            AdminSection(
                label=opts.verbose_name_plural, count=model._default_manager.count(), url=url
            )
        )
    return sections


@login_required
def home_administrator(request: HttpRequest) -> HttpResponse:
    _require_role(request, Role.ADMINISTRATOR)
    groups: list[tuple[Any, list[type[Model]]]] = [
        (
            _("Customers and projects"),
            [c.Customer, c.Project, c.Task, c.LegalEntity],
        ),
        (
            _("People and rates"),
            [get_user_model(), c.Resource, c.Role, c.ExpenseCategory, c.PriceList],
        ),
        (
            _("Contracts"),
            [c.Contract, c.ContractLine, c.InvoiceScheduleEntry, c.Milestone],
        ),
        (_("Tax setup"), [c.SalesTaxGroup, c.ItemSalesTaxGroup]),
    ]
    return render(
        request,
        "home/administrator.html",
        {
            "section_groups": [
                {"title": title, "sections": _admin_sections(request.user, models)}
                for title, models in groups
            ],
        },
    )
