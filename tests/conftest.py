"""Suite-wide fixtures: users by role, and an API client."""

import pytest
from django.db.backends.postgresql.operations import DatabaseOperations
from rest_framework.test import APIClient

from contracts.roles import Role
from invoicing.celery import app as celery_app
from tests.factories import user_with_role


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Password hashing dominates setup time; tests don't need a slow hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_truncate_seal():
    """Transactional tests empty the tables with TRUNCATE, which the money tables refuse
    (contracts.seals). The suite's superuser flushes with triggers off, in the flush's own
    transaction; the app's role could not (``session_replication_role`` is superuser-only)."""
    sql_flush = DatabaseOperations.sql_flush

    def flush_with_triggers_off(self, style, tables, **kwargs):
        statements = sql_flush(self, style, tables, **kwargs)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else []

    DatabaseOperations.sql_flush = flush_with_triggers_off
    yield
    DatabaseOperations.sql_flush = sql_flush


@pytest.fixture
def team_member(db):
    return user_with_role(Role.TEAM_MEMBER, username="teammember")


@pytest.fixture
def project_manager(db):
    return user_with_role(Role.PROJECT_MANAGER, username="manager")


@pytest.fixture
def other_project_manager(db):
    return user_with_role(Role.PROJECT_MANAGER, username="othermanager")


@pytest.fixture
def accountant(db):
    return user_with_role(Role.PROJECT_ACCOUNTANT, username="accountant")


@pytest.fixture
def administrator(db):
    return user_with_role(Role.ADMINISTRATOR, username="administrator")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def eager_celery():
    """Tasks run in the test's process (the real-worker tests start a worker of their own)."""
    conf = celery_app.conf
    previous = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager, conf.task_eager_propagates = True, True
    yield
    conf.task_always_eager, conf.task_eager_propagates = previous
