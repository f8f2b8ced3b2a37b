"""The role matrix (DOMAIN.md §7): what each role may open, page by page, in the API and in the
admin. A row is (path, team member, project manager, accountant, administrator); 403 is a
refusal, 302 from the admin a redirect to its login (only staff enter it; only the
administrator is staff). What an administrator may change in the admin (never superuser, staff
or roles of users) is in tests/contracts/test_admin.py."""

import pytest
from django.test import Client

from contracts.roles import Role
from tests.factories import user_with_role

ROLES = [Role.TEAM_MEMBER, Role.PROJECT_MANAGER, Role.PROJECT_ACCOUNTANT, Role.ADMINISTRATOR]

MATRIX = [
    ("/home/team-member/", 200, 403, 403, 403),
    ("/home/project-manager/", 403, 200, 403, 403),
    ("/home/accountant/", 403, 403, 200, 403),
    ("/home/administrator/", 403, 403, 403, 200),
    ("/contracts/", 403, 200, 200, 200),
    ("/audit/", 403, 403, 200, 200),
    ("/time/approvals/", 403, 200, 403, 403),
    ("/time/actuals/", 403, 200, 200, 403),
    ("/billing/backlog/", 403, 200, 200, 403),
    ("/billing/drafts/", 403, 200, 200, 403),
    ("/billing/invoices/", 403, 200, 200, 403),
    ("/billing/milestones/", 403, 200, 200, 200),
    ("/ledger/journals/", 403, 403, 200, 403),
    ("/ledger/periods/", 403, 403, 200, 403),
    ("/ledger/reports/trial-balance/", 403, 403, 200, 403),
    ("/ledger/receivables/", 403, 403, 200, 403),
    ("/api/v1/time-entries/", 200, 200, 200, 200),
    ("/api/v1/contracts/", 403, 200, 200, 200),
    ("/api/v1/backlog/", 403, 200, 200, 403),
    ("/api/v1/invoices/", 403, 200, 200, 403),
    ("/api/v1/invoice-runs/", 403, 200, 200, 403),
    ("/api/v1/journals/", 403, 403, 200, 403),
    ("/api/v1/periods/", 403, 403, 200, 403),
    ("/api/v1/customer-transactions/", 403, 403, 200, 403),
    ("/api/v1/accounts/", 403, 403, 200, 200),
    ("/admin/", 302, 302, 302, 200),
    ("/admin/auth/user/", 302, 302, 302, 200),
    ("/admin/auth/group/", 302, 302, 302, 200),
    ("/admin/contracts/contract/", 302, 302, 302, 200),
]


@pytest.fixture
def clients(db):
    found = {}
    for role in ROLES:
        user = user_with_role(role, username=role.value.replace(" ", "-"))
        user.is_staff = role == Role.ADMINISTRATOR
        user.save()
        client = Client()
        client.force_login(user)
        found[role] = client
    return found


@pytest.mark.parametrize(("path", "expected"), [(row[0], list(row[1:])) for row in MATRIX])
def test_each_role_opens_what_it_may_and_nothing_else(clients, path, expected):
    assert [clients[role].get(path).status_code for role in ROLES] == expected
