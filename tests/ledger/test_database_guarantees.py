"""PostgreSQL itself keeps the ledger honest, whatever the Python code does."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from ledger.models import LedgerEntry, LedgerEntryLine, PeriodStatus
from ledger.services import LineSpec, Side, post_entry
from tests.factories import LegalEntityFactory, ledger_setup

from .conftest import POSTED_AT, period

ENTRY_SQL = """
    INSERT INTO ledger_ledgerentry
        (legal_entity_id, voucher_number, entry_date, period_id, memo, posted_at)
    VALUES (%s, %s, %s, %s, 'raw', now()) RETURNING id
"""
LINE_SQL = """
    INSERT INTO ledger_ledgerentryline
        (entry_id, line_number, account_id, currency, amount, accounting_amount, exchange_rate,
         description)
    VALUES (%s, %s, %s, 'EUR', %s, %s, 1, '')
"""


def _raw_entry(cursor, *, legal_entity, voucher, entry_date, period_id, lines):
    cursor.execute(ENTRY_SQL, [legal_entity.pk, voucher, entry_date, period_id])
    entry_id = cursor.fetchone()[0]
    for n, (account, amount) in enumerate(lines, start=1):
        cursor.execute(LINE_SQL, [entry_id, n, account.pk, amount, amount])
    return entry_id


def _setup():
    from ledger.models import Account

    le = ledger_setup(LegalEntityFactory())
    accounts = {a.code: a for a in Account.objects.filter(legal_entity=le)}
    return le, accounts


@pytest.mark.django_db(transaction=True)
def test_unbalanced_entry_written_with_raw_sql_is_refused_at_commit():
    le, accounts = _setup()
    march = period(le, 3)

    with (
        pytest.raises(IntegrityError, match="does not balance"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _raw_entry(
            cursor,
            legal_entity=le,
            voucher="RAW-1",
            entry_date=dt.date(2026, 3, 5),
            period_id=march.pk,
            lines=[
                (accounts["1300"], Decimal("100.00")),
                (accounts["8000"], Decimal("-90.00")),
            ],
        )
        # Inside the transaction the rows are there: the check waits for the commit.
        assert LedgerEntryLine.objects.count() == 2

    assert LedgerEntry.objects.count() == 0
    assert LedgerEntryLine.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_entry_without_lines_written_with_raw_sql_is_refused_at_commit():
    le, _accounts = _setup()

    with (
        pytest.raises(IntegrityError, match="0 lines sum to 0"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _raw_entry(
            cursor,
            legal_entity=le,
            voucher="RAW-1",
            entry_date=dt.date(2026, 3, 5),
            period_id=period(le, 3).pk,
            lines=[],
        )
    assert LedgerEntry.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_balanced_entry_written_with_raw_sql_commits():
    le, accounts = _setup()

    with transaction.atomic(), connection.cursor() as cursor:
        _raw_entry(
            cursor,
            legal_entity=le,
            voucher="RAW-1",
            entry_date=dt.date(2026, 3, 5),
            period_id=period(le, 3).pk,
            lines=[(accounts["1300"], Decimal("121.00")), (accounts["8000"], Decimal("-121.00"))],
        )

    assert LedgerEntry.objects.get().voucher_number == "RAW-1"


def _posted(le, accounts):
    return post_entry(
        legal_entity=le,
        entry_date=dt.date(2026, 3, 5),
        memo="Invoice 1",
        lines=[
            LineSpec(
                account=accounts["1300"], side=Side.DEBIT, currency="EUR", amount=Decimal("121.00")
            ),
            LineSpec(
                account=accounts["8000"], side=Side.CREDIT, currency="EUR", amount=Decimal("100.00")
            ),
            LineSpec(
                account=accounts["1710"], side=Side.CREDIT, currency="EUR", amount=Decimal("21.00")
            ),
        ],
        posted_by=None,
        posted_at=POSTED_AT,
    )


def test_update_of_a_posted_line_with_raw_sql_is_refused(legal_entity, accounts):
    entry = _posted(legal_entity, accounts)
    line = entry.lines.get(line_number=2)

    with (
        pytest.raises(DatabaseError, match="Cannot update or delete rows"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE ledger_ledgerentryline SET accounting_amount = -99, amount = -99 WHERE id = %s",
            [line.pk],
        )

    line.refresh_from_db()
    assert line.accounting_amount == Decimal("-100.00")


def test_delete_and_update_of_a_posted_entry_are_refused(legal_entity, accounts):
    entry = _posted(legal_entity, accounts)

    with (
        pytest.raises(
            DatabaseError, match="Cannot update or delete rows from ledger_ledgerentryline"
        ),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM ledger_ledgerentryline WHERE entry_id = %s", [entry.pk])
    with pytest.raises(DatabaseError, match="Cannot update or delete rows"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(memo="changed")

    entry.refresh_from_db()
    assert entry.memo == "Invoice 1"
    assert entry.lines.count() == 3


def test_entry_dated_in_a_closed_period_written_with_raw_sql_is_refused(legal_entity, accounts):
    march = period(legal_entity, 3)
    march.status = PeriodStatus.CLOSED
    march.save()

    with (
        pytest.raises(IntegrityError, match="is closed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _raw_entry(
            cursor,
            legal_entity=legal_entity,
            voucher="RAW-1",
            entry_date=dt.date(2026, 3, 5),
            period_id=march.pk,
            lines=[
                (accounts["1300"], Decimal("10.00")),
                (accounts["8000"], Decimal("-10.00")),
            ],
        )
    assert LedgerEntry.objects.count() == 0


def test_entry_dated_in_no_period_written_with_raw_sql_is_refused(legal_entity, accounts):
    with (
        pytest.raises(IntegrityError, match="no accounting period"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _raw_entry(
            cursor,
            legal_entity=legal_entity,
            voucher="RAW-1",
            entry_date=dt.date(2027, 1, 5),
            period_id=period(legal_entity, 12).pk,
            lines=[],
        )
    assert LedgerEntry.objects.count() == 0


def test_line_on_an_account_of_another_legal_entity_is_refused(legal_entity, accounts):
    other = ledger_setup(LegalEntityFactory(code="BE01", name="Dijkstra België BV"))
    from ledger.models import Account

    foreign = Account.objects.get(legal_entity=other, code="8000")

    with (
        pytest.raises(IntegrityError, match="another legal entity"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _raw_entry(
            cursor,
            legal_entity=legal_entity,
            voucher="RAW-1",
            entry_date=dt.date(2026, 3, 5),
            period_id=period(legal_entity, 3).pk,
            lines=[(accounts["1300"], Decimal("10.00")), (foreign, Decimal("-10.00"))],
        )
    assert LedgerEntry.objects.count() == 0
