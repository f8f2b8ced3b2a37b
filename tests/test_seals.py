"""The seals hold against raw SQL: no TRUNCATE of money tables, no ``pgtrigger.ignore``, and an
app role that can write rows but cannot switch a seal off (contracts.seals, grant_app_role)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from ledger.models import LedgerEntryLine
from ledger.services import LineSpec, Side, post_entry
from tests.factories import LegalEntityFactory, ledger_setup

APP_ROLE = "invoicing_app_test"

#: Every table that refuses TRUNCATE, by the trigger name its model declares.
SEALED_TABLES = sorted(
    model._meta.db_table
    for model in apps.get_models()
    if any(t.name.endswith("_no_truncate") for t in getattr(model._meta, "triggers", []))
)


def test_the_money_tables_are_the_ones_sealed_against_truncate():
    assert SEALED_TABLES == [
        "actuals_actual",
        "actuals_actualbilling",
        "actuals_wipmovement",
        "invoicing_invoice",
        "invoicing_invoicedetail",
        "invoicing_invoiceline",
        "ledger_customertransaction",
        "ledger_journalline",
        "ledger_ledgerentry",
        "ledger_ledgerentryline",
        "ledger_ledgerentrylinedimension",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("table", SEALED_TABLES)
def test_truncate_is_refused_even_for_the_owner(table):
    with (
        pytest.raises(DatabaseError, match=f"{table} holds money records: TRUNCATE is refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f'TRUNCATE "{table}" CASCADE')


@pytest.fixture
def posted_line(db):
    from ledger.models import Account

    le = ledger_setup(LegalEntityFactory())
    accounts = {a.code: a for a in Account.objects.filter(legal_entity=le)}
    entry = post_entry(
        legal_entity=le,
        entry_date=dt.date(2026, 3, 5),
        memo="Invoice 1",
        lines=[
            LineSpec(
                account=accounts["1300"], side=Side.DEBIT, currency="EUR", amount=Decimal("121.00")
            ),
            LineSpec(
                account=accounts["8000"], side=Side.CREDIT, currency="EUR", amount=Decimal("121.00")
            ),
        ],
        posted_by=None,
        posted_at=dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC),
    )
    return entry.lines.get(line_number=2)


def _append_only_trigger():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'ledger_ledgerentryline'::regclass "
            "AND tgname LIKE 'pgtrigger_ledgerentryline_append_only_%%'"
        )
        return cursor.fetchone()[0]


def test_set_pgtrigger_ignore_does_not_open_a_posted_line(posted_line):
    trigger = _append_only_trigger()
    with (
        pytest.raises(DatabaseError, match="Cannot update or delete rows"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT set_config('pgtrigger.ignore', %s, true)",
            ["{" + f"ledger_ledgerentryline:{trigger}" + "}"],
        )
        cursor.execute(
            "UPDATE ledger_ledgerentryline SET amount = -1, accounting_amount = -1 WHERE id = %s",
            [posted_line.pk],
        )

    posted_line.refresh_from_db()
    assert posted_line.amount == Decimal("-121.00")


@pytest.fixture
def app_role(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
    call_command("grant_app_role", APP_ROLE)
    return APP_ROLE


def _as_app(sql, params=()):
    """Run ``sql`` as the app's role in a transaction of its own that is rolled back."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {APP_ROLE}")
        cursor.execute(sql, params)
        result = cursor.fetchall() if cursor.description else None
        transaction.set_rollback(True)
        return result


def test_the_app_role_reads_and_writes_rows(app_role, posted_line):
    assert _as_app("SELECT amount FROM ledger_ledgerentryline WHERE id = %s", [posted_line.pk]) == [
        (Decimal("-121.00"),)
    ]
    assert _as_app(
        "INSERT INTO ledger_dimension (code, name) VALUES ('X', 'X') RETURNING code"
    ) == [("X",)]


@pytest.mark.parametrize(
    ("statement", "error"),
    [
        ("TRUNCATE ledger_ledgerentryline CASCADE", "permission denied for table"),
        (
            "ALTER TABLE ledger_ledgerentryline DISABLE TRIGGER ALL",
            "must be owner of table ledger_ledgerentryline",
        ),
        (
            "DROP TRIGGER {trigger} ON ledger_ledgerentryline",
            "must be owner of (table|relation) ledger_ledgerentryline",
        ),
        ("SET LOCAL session_replication_role = replica", "permission denied to set parameter"),
        (
            "CREATE OR REPLACE FUNCTION public._pgtrigger_should_ignore(trigger_name NAME) "
            "RETURNS BOOLEAN AS 'SELECT TRUE' LANGUAGE sql",
            "permission denied for schema public",
        ),
        (
            "CREATE FUNCTION public.sneaky() RETURNS int AS 'SELECT 1' LANGUAGE sql",
            "permission denied for schema public",
        ),
    ],
)
def test_the_app_role_cannot_switch_a_seal_off(app_role, posted_line, statement, error):
    with pytest.raises(DatabaseError, match=error):
        _as_app(statement.format(trigger=_append_only_trigger()))

    assert LedgerEntryLine.objects.get(pk=posted_line.pk).amount == Decimal("-121.00")


def test_grant_app_role_refuses_a_superuser_and_an_unknown_role(db):
    with pytest.raises(CommandError, match="Role 'postgres' is a superuser"):
        call_command("grant_app_role", "postgres")
    with pytest.raises(CommandError, match="Role 'nobody_here' does not exist"):
        call_command("grant_app_role", "nobody_here")
