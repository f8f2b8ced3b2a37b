"""What PostgreSQL refuses to every session, however it connects: the seals round the money.

The models' triggers (moves, sealed invoices, append-only ledger and history) hold only if no
session can switch them off. Three doors stay closed:

- **TRUNCATE** of the ledger, invoice and actual tables is refused by a statement trigger
  (:func:`no_truncate`), also for the tables' owner. The app's own role has no TRUNCATE
  privilege either (``manage.py grant_app_role``). The test suite empties tables between
  transactional tests with ``session_replication_role = replica``, which only a superuser may
  set (tests/conftest.py); nothing in the product truncates.
- **``SET pgtrigger.ignore``**: django-pgtrigger lets any session skip a trigger by naming it in
  that setting, and every role may set a custom setting. Nothing in the product uses it, so
  after every ``migrate`` :func:`pin_trigger_bypass` replaces pgtrigger's check with one that
  never skips. The function belongs to the owner, so the app's role cannot put it back.
- **Disabling triggers** (``ALTER TABLE ... DISABLE TRIGGER``, ``session_replication_role``)
  needs the table's owner or a superuser: the app connects as a role that is neither
  (``manage.py grant_app_role``; docker-compose.yml and README "Production" show the two roles).
"""

from typing import Any

import pgtrigger
from django.db import connections

_PINNED = "contracts.seals: no session may skip a trigger"

#: pgtrigger's check, made to ignore ``pgtrigger.ignore`` (same name and signature, so the
#: triggers pgtrigger installs keep calling it).
_NEVER_SKIP = """
CREATE OR REPLACE FUNCTION public._pgtrigger_should_ignore(trigger_name NAME)
RETURNS BOOLEAN AS $$
    -- contracts.seals: no session may skip a trigger (pgtrigger.ignore is not honoured)
    SELECT FALSE;
$$ LANGUAGE sql IMMUTABLE;
"""


def no_truncate(*, name: str) -> pgtrigger.Trigger:
    """A statement trigger that refuses ``TRUNCATE`` of its table."""
    return pgtrigger.Trigger(
        name=name,
        when=pgtrigger.Before,
        operation=pgtrigger.Truncate,
        level=pgtrigger.Statement,
        func="""
        RAISE EXCEPTION USING ERRCODE = 'restrict_violation',
            MESSAGE = format('%s holds money records: TRUNCATE is refused', TG_TABLE_NAME);
        """,
    )


def pin_trigger_bypass(using: str = "default", **kwargs: Any) -> None:
    """After ``migrate``: pgtrigger's ignore check never skips (a ``post_migrate`` receiver).
    Only the owner may replace the function, so a ``migrate`` with nothing to do, run as the
    app's role (as the test runner does), finds it pinned and leaves it."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT prosrc FROM pg_proc WHERE oid = to_regprocedure("
            "'public._pgtrigger_should_ignore(name)')"
        )
        found = cursor.fetchone()
        if found is None or _PINNED not in found[0]:
            cursor.execute(_NEVER_SKIP)
