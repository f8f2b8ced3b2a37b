"""The four roles of DOMAIN.md §7, kept as Django groups.

The groups are created by a data migration (``contracts/migrations/0002_roles.py``); their
permissions are (re)applied after every ``migrate`` from :data:`ROLE_PERMISSIONS`, so that a
permission added by a later app or issue reaches its role without another data migration.
Permissions are named ``"app_label.codename"`` strings, so this bottom-layer module imports
nothing from the apps above it.
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import TextChoices
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    TEAM_MEMBER = "team member", _("Team member")
    PROJECT_MANAGER = "project manager", _("Project manager")
    PROJECT_ACCOUNTANT = "project accountant", _("Project accountant")
    ADMINISTRATOR = "administrator", _("Administrator")


def _crud(
    app_model: str, actions: Iterable[str] = ("add", "change", "delete", "view")
) -> list[str]:
    app, model = app_model.split(".")
    return [f"{app}.{action}_{model}" for action in actions]


_MASTER_DATA = [
    "contracts.legalentity",
    "contracts.customer",
    "contracts.project",
    "contracts.task",
    "contracts.role",
    "contracts.resource",
    "contracts.expensecategory",
    "contracts.salestaxgroup",
    "contracts.itemsalestaxgroup",
    "contracts.pricelist",
    "contracts.roleprice",
    "contracts.categoryprice",
    "contracts.contract",
    "contracts.contractcustomer",
    "contracts.contractline",
    "contracts.contractlinescope",
    "contracts.linecustomer",
    "contracts.linebillingrule",
    "contracts.invoicescheduleentry",
    "contracts.milestone",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.TEAM_MEMBER: [
        "contracts.view_project",
        "contracts.view_task",
        "contracts.view_role",
        "contracts.view_expensecategory",
        *_crud("actuals.timeentry", ("add", "change", "delete", "view")),
        *_crud("actuals.expenseentry", ("add", "change", "delete", "view")),
    ],
    Role.PROJECT_MANAGER: [
        *[f"{m.split('.')[0]}.view_{m.split('.')[1]}" for m in _MASTER_DATA],
        "contracts.change_milestone",
        "contracts.mark_milestone_ready",
        "actuals.view_timeentry",
        "actuals.view_expenseentry",
        "actuals.approve_timeentry",
        "actuals.approve_expenseentry",
        "actuals.view_actual",
        "actuals.manage_backlog",
        *_crud("invoicing.invoice"),
        "invoicing.confirm_invoice",
        "invoicing.correct_invoice",
        "invoicing.view_invoicerun",
        "invoicing.add_invoicerun",
    ],
    Role.PROJECT_ACCOUNTANT: [
        *[f"{m.split('.')[0]}.view_{m.split('.')[1]}" for m in _MASTER_DATA],
        "actuals.view_timeentry",
        "actuals.view_expenseentry",
        "actuals.view_actual",
        "ledger.view_account",
        "ledger.view_fiscalyear",
        "ledger.view_period",
        "ledger.close_period",
        "ledger.view_journal",
        "ledger.import_journal",
        "ledger.post_journal",
        "ledger.change_journalline",
        "ledger.view_journalline",
        "ledger.view_ledgerentry",
        "ledger.view_customertransaction",
        "ledger.view_reports",
        "invoicing.view_invoice",
        "invoicing.post_invoice",
        "invoicing.change_invoiceproposal",
        "invoicing.view_invoicerun",
    ],
    Role.ADMINISTRATOR: [
        *[p for m in _MASTER_DATA for p in _crud(m)],
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "auth.view_group",
        "ledger.view_account",
        "ledger.add_account",
        "ledger.change_account",
        "ledger.view_postingprofile",
        "ledger.add_postingprofile",
        "ledger.change_postingprofile",
        "ledger.view_vatcode",
        "ledger.add_vatcode",
        "ledger.change_vatcode",
    ],
}

#: The page each role lands on after logging in (URL names).
ROLE_HOME: dict[str, str] = {
    Role.TEAM_MEMBER: "home-team-member",
    Role.PROJECT_MANAGER: "home-project-manager",
    Role.PROJECT_ACCOUNTANT: "home-accountant",
    Role.ADMINISTRATOR: "home-administrator",
}


def roles_of(user: Any) -> set[str]:
    """The role names a user holds (superusers hold all). Cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        if user.is_superuser:
            cached = set(Role.values)
        else:
            cached = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        user._role_names = cached
    return set(cached)


def has_role(user: Any, role: str) -> bool:
    return role in roles_of(user)


def primary_role(user: Any) -> str | None:
    """The role whose home page a user lands on: the most specific one they hold."""
    held = roles_of(user)
    for role in (
        Role.PROJECT_ACCOUNTANT,
        Role.PROJECT_MANAGER,
        Role.ADMINISTRATOR,
        Role.TEAM_MEMBER,
    ):
        if role in held:
            return role
    return None


def sees_everything(user: Any) -> bool:
    """Accountants and administrators read everything; project managers see their own."""
    held = roles_of(user)
    return bool(held & {Role.PROJECT_ACCOUNTANT, Role.ADMINISTRATOR})


def sync_role_permissions(group_model: Any, permission_model: Any) -> None:
    """Give each role group exactly the permissions in :data:`ROLE_PERMISSIONS` that exist."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=role)
        wanted = {tuple(n.split(".", 1)) for n in names}
        perms = [
            p
            for p in permission_model.objects.select_related("content_type").filter(
                codename__in={codename for _, codename in wanted}
            )
            if (p.content_type.app_label, p.codename) in wanted
        ]
        group.permissions.set(perms)


def role_context(request: HttpRequest) -> dict[str, Any]:
    """Template context: the user's roles, for the navigation."""
    held = roles_of(getattr(request, "user", None))
    return {
        "user_roles": held,
        "is_team_member": Role.TEAM_MEMBER in held,
        "is_project_manager": Role.PROJECT_MANAGER in held,
        "is_accountant": Role.PROJECT_ACCOUNTANT in held,
        "is_administrator": Role.ADMINISTRATOR in held,
    }
