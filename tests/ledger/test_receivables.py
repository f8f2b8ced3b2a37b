"""Receivables: open items at a date, aging, customer statement, payments and the
reconciliation of the open items with the receivables control account.

The book (legal entity on the default Dutch chart, 2026), report date 30 June 2026:

customer A (EUR):  A1 1,210.00 due 20 Jun (10 days overdue)   → 1–30
                   A2   605.00 due 16 May (45 days)            → 31–60
                   A3   242.00 due 16 Apr (75 days)            → 61–90
                   A4   363.00 due  2 Mar (120 days)           → over 90
                   A5   484.00 due 15 Jul (not yet due)        → current
customer B (EUR):  B1 2,420.00 due 16 May, 1,000.00 paid 10 Jun → 1,420.00 in 31–60
                   B2   121.00 due 20 Jun, netted by a credit note of 5 Jun → nothing open
customer B (USD):  B3 USD 1,210.00 (EUR 1,089.00 at 0.90) due 25 Jun → 1–30
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from contracts.models import LegalEntity
from ledger.models import CustomerTransaction, LedgerEntry
from ledger.receivables import (
    aging_report,
    bucket_for,
    customer_statement,
    open_items,
    receivables_reconciliation,
)
from ledger.services import (
    LedgerError,
    LedgerStateError,
    LineSpec,
    Side,
    post_entry,
    record_customer_transaction,
    settle_customer_transaction,
)
from tests.factories import CustomerFactory, ExchangeRateFactory

from .conftest import POSTED_AT

REPORT_DATE = dt.date(2026, 6, 30)
D = Decimal


def _invoice(legal_entity, accounts, user, *, customer, number, date, due, net, currency="EUR"):
    """Post an invoice-like entry (Dr receivables gross / Cr revenue net, VAT 21 %) and its
    open item, as invoice posting does."""
    vat = (net * D("0.21")).quantize(D("0.01"))
    entry = post_entry(
        legal_entity=legal_entity,
        entry_date=date,
        memo=f"Invoice {number}",
        lines=[
            LineSpec(
                account=accounts["1300"],
                side=Side.DEBIT,
                currency=currency,
                amount=net + vat,
                customer=customer,
            ),
            LineSpec(account=accounts["8000"], side=Side.CREDIT, currency=currency, amount=net),
            LineSpec(account=accounts["1710"], side=Side.CREDIT, currency=currency, amount=vat),
        ],
        posted_by=user,
        posted_at=POSTED_AT,
    )
    return record_customer_transaction(
        entry=entry,
        customer=customer,
        document_number=number,
        document_date=date,
        due_date=due,
        currency=currency,
        amount=net + vat,
        accounting_amount=entry.lines.get(line_number=1).accounting_amount,
    )


def _credit_note(legal_entity, accounts, user, *, invoice, number, date, net):
    vat = (net * D("0.21")).quantize(D("0.01"))
    entry = post_entry(
        legal_entity=legal_entity,
        entry_date=date,
        memo=f"Credit note {number}",
        lines=[
            LineSpec(account=accounts["8000"], side=Side.DEBIT, currency="EUR", amount=net),
            LineSpec(account=accounts["1710"], side=Side.DEBIT, currency="EUR", amount=vat),
            LineSpec(
                account=accounts["1300"],
                side=Side.CREDIT,
                currency="EUR",
                amount=net + vat,
                customer=invoice.customer,
            ),
        ],
        posted_by=user,
        posted_at=POSTED_AT,
    )
    return record_customer_transaction(
        entry=entry,
        customer=invoice.customer,
        document_number=number,
        document_date=date,
        due_date=date,
        currency="EUR",
        amount=-(net + vat),
        accounting_amount=-(net + vat),
        settles=invoice,
    )


@pytest.fixture
def book(legal_entity, accounts, accountant):
    ExchangeRateFactory(from_currency="USD", to_currency="EUR", rate=D("0.90000000"))
    a = CustomerFactory(code="C-A", name="Alpha")
    b = CustomerFactory(code="C-B", name="Beta")

    def inv(customer, number, date, due, net, currency="EUR"):
        return _invoice(
            legal_entity,
            accounts,
            accountant,
            customer=customer,
            number=number,
            date=date,
            due=due,
            net=D(net),
            currency=currency,
        )

    items = {
        "A1": inv(a, "INV-A1", dt.date(2026, 5, 21), dt.date(2026, 6, 20), "1000.00"),
        "A2": inv(a, "INV-A2", dt.date(2026, 4, 16), dt.date(2026, 5, 16), "500.00"),
        "A3": inv(a, "INV-A3", dt.date(2026, 3, 17), dt.date(2026, 4, 16), "200.00"),
        "A4": inv(a, "INV-A4", dt.date(2026, 1, 31), dt.date(2026, 3, 2), "300.00"),
        "A5": inv(a, "INV-A5", dt.date(2026, 6, 15), dt.date(2026, 7, 15), "400.00"),
        "B1": inv(b, "INV-B1", dt.date(2026, 4, 16), dt.date(2026, 5, 16), "2000.00"),
        "B2": inv(b, "INV-B2", dt.date(2026, 5, 21), dt.date(2026, 6, 20), "100.00"),
        "B3": inv(b, "INV-B3", dt.date(2026, 5, 26), dt.date(2026, 6, 25), "1000.00", "USD"),
    }
    items["CN"] = _credit_note(
        legal_entity,
        accounts,
        accountant,
        invoice=items["B2"],
        number="CRN-B2",
        date=dt.date(2026, 6, 5),
        net=D("100.00"),
    )
    items["PAY"] = settle_customer_transaction(
        transaction=items["B1"],
        amount=D("1000.00"),
        payment_date=dt.date(2026, 6, 10),
        bank_account=accounts["1100"],
        reference="BANK-0610",
        posted_by=accountant,
        posted_at=POSTED_AT,
    )
    return {"A": a, "B": b, **items}


def _buckets(amounts):
    return {k: str(v) for k, v in amounts.as_dict().items()}


def _b(current="0.00", d1="0.00", d31="0.00", d61="0.00", over="0.00", total="0.00"):
    return {
        "current": current,
        "days_1_30": d1,
        "days_31_60": d31,
        "days_61_90": d61,
        "over_90": over,
        "total": total,
    }


# --- buckets and open items ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-5, "current"),
        (0, "current"),
        (1, "days_1_30"),
        (30, "days_1_30"),
        (31, "days_31_60"),
        (60, "days_31_60"),
        (61, "days_61_90"),
        (90, "days_61_90"),
        (91, "over_90"),
    ],
)
def test_bucket_edges(days, bucket):
    assert bucket_for(days_overdue=days) == bucket


# --- Open items are sealed in PostgreSQL: only a settlement moves one -----------------------


def _raw(sql, params, *, immediate=False):
    with transaction.atomic(), connection.cursor() as cursor:
        if immediate:  # the covered-by-settlements check waits for the commit otherwise
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    ("column", "value"),
    [("document_number", "INV-X"), ("amount", "1.00"), ("due_date", "2027-01-01")],
)
def test_an_open_items_fixed_columns_cannot_be_changed_with_raw_sql(book, column, value):
    with pytest.raises(DatabaseError, match="only a settlement moves it"):
        _raw(
            f"UPDATE ledger_customertransaction SET {column} = %s WHERE id = %s",
            [value, book["A1"].pk],
        )

    book["A1"].refresh_from_db()
    assert (book["A1"].document_number, book["A1"].amount, book["A1"].due_date) == (
        "INV-A1",
        D("1210.00"),
        dt.date(2026, 6, 20),
    )


def test_a_paid_amount_cannot_be_reopened_with_raw_sql(book):
    with pytest.raises(DatabaseError, match="only its open amount towards zero"):
        _raw(
            "UPDATE ledger_customertransaction SET open_amount = amount WHERE id = %s",
            [book["B1"].pk],
        )

    book["B1"].refresh_from_db()
    assert book["B1"].open_amount == D("1420.00")


def test_an_open_amount_closed_without_a_settlement_is_refused(book):
    with pytest.raises(
        DatabaseError,
        match=f"open item {book['A1'].pk}: 1210.00 of it is no longer open but "
        "items settling it cover only 0",
    ):
        _raw(
            "UPDATE ledger_customertransaction SET open_amount = 0 WHERE id = %s",
            [book["A1"].pk],
            immediate=True,
        )
    with pytest.raises(DatabaseError, match=r"items settling it cover only 1000\.00"):
        _raw(  # B1 was paid 1,000.00: closing the other 1,420.00 has nothing behind it
            "UPDATE ledger_customertransaction SET open_amount = 0 WHERE id = %s",
            [book["B1"].pk],
            immediate=True,
        )

    assert CustomerTransaction.objects.get(pk=book["A1"].pk).open_amount == D("1210.00")


def test_an_open_item_cannot_be_deleted(book):
    with pytest.raises(DatabaseError, match="Cannot delete rows from ledger_customertransaction"):
        _raw("DELETE FROM ledger_customertransaction WHERE id = %s", [book["A1"].pk])

    assert CustomerTransaction.objects.count() == 10


def test_the_payment_and_the_credit_note_reduce_the_open_amounts(book):
    book["B1"].refresh_from_db()
    book["B2"].refresh_from_db()
    assert (book["B1"].open_amount, book["PAY"].amount, book["PAY"].open_amount) == (
        D("1420.00"),
        D("-1000.00"),
        D("0.00"),
    )
    assert (book["B2"].open_amount, book["CN"].open_amount) == (D("0.00"), D("0.00"))
    payment_entry = book["PAY"].entry
    assert [
        (line.account.code, line.accounting_amount, line.customer_id)
        for line in payment_entry.lines.order_by("line_number")
    ] == [("1100", D("1000.00"), book["B"].pk), ("1300", D("-1000.00"), book["B"].pk)]


def test_open_items_at_a_date_before_the_payment_show_the_full_invoice(legal_entity, book):
    # 7 June: the credit note (5 June) is in, the payment (10 June) and A5 (15 June) are not.
    items = open_items(legal_entity=legal_entity, on_date=dt.date(2026, 6, 7))

    assert [(o.item.document_number, o.open_amount, o.days_overdue) for o in items] == [
        ("INV-A4", D("363.00"), 97),
        ("INV-A3", D("242.00"), 52),
        ("INV-A2", D("605.00"), 22),
        ("INV-A1", D("1210.00"), 0),
        ("INV-B1", D("2420.00"), 22),
        ("INV-B3", D("1210.00"), 0),
    ]


def test_open_items_before_the_credit_note_show_the_invoice_it_nets(legal_entity, book):
    items = open_items(legal_entity=legal_entity, on_date=dt.date(2026, 6, 4), customer=book["B"])

    assert [(o.item.document_number, o.open_amount) for o in items] == [
        ("INV-B1", D("2420.00")),
        ("INV-B2", D("121.00")),
        ("INV-B3", D("1210.00")),
    ]


# --- aging ---------------------------------------------------------------------------------


def test_aging_buckets_per_customer_currency_and_in_total(legal_entity, book):
    report = aging_report(legal_entity=legal_entity, on_date=REPORT_DATE)

    assert [row.customer.code for row in report.rows] == ["C-A", "C-B"]
    alpha, beta = report.rows
    assert {c: _buckets(a) for c, a in alpha.by_currency.items()} == {
        "EUR": _b("484.00", "1210.00", "605.00", "242.00", "363.00", "2904.00")
    }
    assert _buckets(alpha.accounting) == _b(
        "484.00", "1210.00", "605.00", "242.00", "363.00", "2904.00"
    )
    assert {c: _buckets(a) for c, a in beta.by_currency.items()} == {
        "EUR": _b(d31="1420.00", total="1420.00"),
        "USD": _b(d1="1210.00", total="1210.00"),
    }
    assert _buckets(beta.accounting) == _b(d1="1089.00", d31="1420.00", total="2509.00")
    assert {c: _buckets(a) for c, a in report.totals_by_currency.items()} == {
        "EUR": _b("484.00", "1210.00", "2025.00", "242.00", "363.00", "4324.00"),
        "USD": _b(d1="1210.00", total="1210.00"),
    }
    assert _buckets(report.accounting_totals) == _b(
        "484.00", "2299.00", "2025.00", "242.00", "363.00", "5413.00"
    )


def test_aging_at_an_earlier_date_ages_what_was_open_then(legal_entity, book):
    report = aging_report(legal_entity=legal_entity, on_date=dt.date(2026, 6, 7))

    assert _buckets(report.accounting_totals) == _b(
        current="2299.00", d1="3025.00", d31="242.00", over="363.00", total="5929.00"
    )


def test_aging_api_gives_the_buckets_as_strings(api_client, accountant, legal_entity, book):
    api_client.force_authenticate(accountant)

    response = api_client.get(
        "/api/v1/reports/aging/", {"date": "2026-06-30", "legal_entity": legal_entity.pk}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["date"], body["accounting_currency"]) == ("2026-06-30", "EUR")
    assert body["customers"][1] == {
        "customer": book["B"].pk,
        "code": "C-B",
        "name": "Beta",
        "currencies": [
            {"currency": "EUR", **_b("0.00", "0.00", "1420.00", "0.00", "0.00", "1420.00")},
            {"currency": "USD", **_b("0.00", "1210.00", "0.00", "0.00", "0.00", "1210.00")},
        ],
        "accounting": _b("0.00", "1089.00", "1420.00", "0.00", "0.00", "2509.00"),
    }
    assert body["totals"]["accounting"] == _b(
        "484.00", "2299.00", "2025.00", "242.00", "363.00", "5413.00"
    )


@pytest.mark.parametrize("date", ["30-06-2026", "2026-02-30", ""])
def test_aging_api_refuses_a_malformed_date(api_client, accountant, legal_entity, date):
    api_client.force_authenticate(accountant)

    response = api_client.get("/api/v1/reports/aging/", {"date": date})

    assert response.status_code == 400
    assert response.json()["errors"] == {"date": ["Give the date as YYYY-MM-DD."]}


def test_aging_api_is_forbidden_for_a_team_member(api_client, team_member, legal_entity):
    api_client.force_authenticate(team_member)
    assert api_client.get("/api/v1/reports/aging/", {"date": "2026-06-30"}).status_code == 403


# --- statement -----------------------------------------------------------------------------


def test_statement_running_balance_per_currency(legal_entity, book):
    statement = customer_statement(
        legal_entity=legal_entity,
        customer=book["B"],
        date_from=dt.date(2026, 5, 1),
        date_to=REPORT_DATE,
    )

    eur, usd = statement.currencies
    assert (eur.currency, eur.opening_balance, eur.closing_balance) == (
        "EUR",
        D("2420.00"),
        D("1420.00"),
    )
    assert [
        (line.item.document_number, line.kind, line.item.amount, line.running_balance)
        for line in eur.lines
    ] == [
        ("INV-B2", "invoice", D("121.00"), D("2541.00")),
        ("CRN-B2", "credit_note", D("-121.00"), D("2420.00")),
        ("BANK-0610", "payment", D("-1000.00"), D("1420.00")),
    ]
    assert (usd.currency, usd.opening_balance, usd.closing_balance) == (
        "USD",
        D("0"),
        D("1210.00"),
    )
    assert [(o.item.document_number, o.open_amount) for o in statement.open_items] == [
        ("INV-B1", D("1420.00")),
        ("INV-B3", D("1210.00")),
    ]


def test_statement_api(api_client, accountant, legal_entity, book):
    api_client.force_authenticate(accountant)

    response = api_client.get(
        "/api/v1/reports/customer-statement/",
        {"customer": book["B"].pk, "date_from": "2026-06-01", "date_to": "2026-06-30"},
    )

    assert response.status_code == 200
    [eur, usd] = response.json()["currencies"]
    assert (eur["opening_balance"], eur["closing_balance"], usd["opening_balance"]) == (
        "2541.00",
        "1420.00",
        "1210.00",
    )
    assert [(x["document_number"], x["running_balance"]) for x in eur["lines"]] == [
        ("CRN-B2", "2420.00"),
        ("BANK-0610", "1420.00"),
    ]


def test_statement_api_names_every_bad_parameter(api_client, accountant, legal_entity):
    api_client.force_authenticate(accountant)

    response = api_client.get("/api/v1/reports/customer-statement/", {"date_from": "2026-13-01"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"customer", "date_from", "date_to"}


# --- reconciliation ------------------------------------------------------------------------


def test_open_items_reconcile_with_the_receivables_account(legal_entity, book):
    rec = receivables_reconciliation(legal_entity=legal_entity, on_date=REPORT_DATE)

    assert [a.code for a in rec.accounts] == ["1300"]
    assert (rec.open_items_total, rec.ledger_balance, rec.difference, rec.in_balance) == (
        D("5413.00"),
        D("5413.00"),
        D("0.00"),
        True,
    )
    assert [(r.customer.code, r.open_items, r.ledger) for r in rec.rows] == [
        ("C-A", D("2904.00"), D("2904.00")),
        ("C-B", D("2509.00"), D("2509.00")),
    ]
    # Also at a date between the postings.
    earlier = receivables_reconciliation(legal_entity=legal_entity, on_date=dt.date(2026, 6, 7))
    assert (earlier.open_items_total, earlier.difference) == (D("5929.00"), D("0.00"))


def test_a_raw_posting_to_receivables_shows_the_exact_difference(
    legal_entity, accounts, accountant, book
):
    post_entry(
        legal_entity=legal_entity,
        entry_date=dt.date(2026, 6, 12),
        memo="Manual receivable without an open item",
        lines=[
            LineSpec(account=accounts["1300"], side=Side.DEBIT, currency="EUR", amount=D("75.50")),
            LineSpec(account=accounts["8000"], side=Side.CREDIT, currency="EUR", amount=D("75.50")),
        ],
        posted_by=accountant,
        posted_at=POSTED_AT,
    )

    rec = receivables_reconciliation(legal_entity=legal_entity, on_date=REPORT_DATE)

    assert (rec.open_items_total, rec.ledger_balance, rec.difference, rec.in_balance) == (
        D("5413.00"),
        D("5488.50"),
        D("-75.50"),
        False,
    )
    assert [(r.customer, r.open_items, r.ledger, r.difference) for r in rec.differences] == [
        (None, D("0"), D("75.50"), D("-75.50"))
    ]
    # Before the raw posting the books still reconcile.
    before = receivables_reconciliation(legal_entity=legal_entity, on_date=dt.date(2026, 6, 11))
    assert before.difference == D("0.00")


def test_reconciliation_api(api_client, accountant, legal_entity, book):
    api_client.force_authenticate(accountant)

    body = api_client.get(
        "/api/v1/reports/receivables-reconciliation/", {"date": "2026-06-30"}
    ).json()

    assert (body["open_items"], body["ledger"], body["difference"], body["in_balance"]) == (
        "5413.00",
        "5413.00",
        "0.00",
        True,
    )


# --- settlement ----------------------------------------------------------------------------


def test_paying_more_than_is_open_is_refused_and_changes_nothing(accounts, accountant, book):
    entries = LedgerEntry.objects.count()
    items = CustomerTransaction.objects.count()

    with pytest.raises(LedgerError) as caught:
        settle_customer_transaction(
            transaction=book["B1"],
            amount=D("1420.01"),
            payment_date=dt.date(2026, 6, 20),
            bank_account=accounts["1100"],
            reference="BANK-0620",
            posted_by=accountant,
            posted_at=POSTED_AT,
        )

    assert caught.value.message_dict == {
        "amount": ["The payment of EUR 1420.01 is more than the open EUR 1420.00."]
    }
    book["B1"].refresh_from_db()
    assert book["B1"].open_amount == D("1420.00")
    assert (LedgerEntry.objects.count(), CustomerTransaction.objects.count()) == (entries, items)


def test_paying_a_settled_invoice_is_a_state_error(accounts, accountant, book):
    entries = LedgerEntry.objects.count()

    with pytest.raises(LedgerStateError, match="INV-B2 is not an open invoice"):
        settle_customer_transaction(
            transaction=book["B2"],
            amount=D("1.00"),
            payment_date=dt.date(2026, 6, 20),
            bank_account=accounts["1100"],
            reference="BANK-0620",
            posted_by=accountant,
            posted_at=POSTED_AT,
        )

    assert LedgerEntry.objects.count() == entries


def test_paying_the_rest_settles_the_invoice_and_keeps_the_books_reconciled(
    legal_entity, accounts, accountant, book
):
    settle_customer_transaction(
        transaction=book["B1"],
        amount=D("1420.00"),
        payment_date=dt.date(2026, 6, 20),
        bank_account=accounts["1100"],
        reference="BANK-0620",
        posted_by=accountant,
        posted_at=POSTED_AT,
    )

    book["B1"].refresh_from_db()
    assert book["B1"].open_amount == D("0.00")
    rec = receivables_reconciliation(legal_entity=legal_entity, on_date=REPORT_DATE)
    assert (rec.open_items_total, rec.difference) == (D("3993.00"), D("0.00"))
    # On 15 June only the first payment counts.
    mid = open_items(legal_entity=legal_entity, on_date=dt.date(2026, 6, 15), customer=book["B"])
    assert [(o.item.document_number, o.open_amount) for o in mid] == [
        ("INV-B1", D("1420.00")),
        ("INV-B3", D("1210.00")),
    ]


# --- pages ---------------------------------------------------------------------------------


def _pages(book):
    return [
        reverse("ledger:receivables"),
        reverse("ledger:receivables") + f"?customer={book['A'].pk}&due=overdue&sort=-open&page=2",
        reverse("ledger:aging") + "?date=2026-06-30",
        reverse("ledger:customer-statement"),
        reverse("ledger:customer-statement")
        + f"?customer={book['B'].pk}&date_from=2026-05-01&date_to=2026-06-30",
        reverse("ledger:receivables-reconciliation") + "?date=2026-06-30",
    ]


def test_receivables_pages_load_for_an_accountant(client, accountant, book):
    client.force_login(accountant)
    for url in _pages(book):
        assert client.get(url).status_code == 200, url


def test_receivables_pages_are_forbidden_for_a_team_member(client, team_member, book):
    client.force_login(team_member)
    for url in _pages(book):
        assert client.get(url).status_code == 403, url


def test_open_items_page_filters_overdue_items_of_a_customer(client, accountant, book):
    client.force_login(accountant)

    response = client.get(
        reverse("ledger:receivables"),
        {"customer": book["A"].pk, "due": "overdue", "date": "2026-06-30", "sort": "-due"},
    )

    assert [
        (row["item"].document_number, row["item"].open_amount, row["days_overdue"])
        for row in response.context["rows"]
    ] == [
        ("INV-A1", D("1210.00"), 10),
        ("INV-A2", D("605.00"), 45),
        ("INV-A3", D("242.00"), 75),
        ("INV-A4", D("363.00"), 120),
    ]


def test_aging_page_shows_the_totals(client, accountant, book):
    client.force_login(accountant)

    response = client.get(reverse("ledger:aging"), {"date": "2026-06-30"})

    assert _buckets(response.context["report"].accounting_totals)["total"] == "5413.00"
    html = response.content.decode()
    total_row = html[html.index('id="total-accounting"') :].split("</tr>")[0]
    assert "5,413.00" in total_row


def test_reconciliation_page_and_home_card_show_the_status(
    client, accountant, legal_entity, accounts, book
):
    client.force_login(accountant)
    page = client.get(reverse("ledger:receivables-reconciliation"), {"date": "2026-06-30"})
    assert "In balance" in page.content.decode()

    post_entry(
        legal_entity=legal_entity,
        entry_date=dt.date(2026, 6, 12),
        memo="Manual receivable",
        lines=[
            LineSpec(account=accounts["1300"], side=Side.DEBIT, currency="EUR", amount=D("75.50")),
            LineSpec(account=accounts["8000"], side=Side.CREDIT, currency="EUR", amount=D("75.50")),
        ],
        posted_by=accountant,
        posted_at=POSTED_AT,
    )
    page = client.get(reverse("ledger:receivables-reconciliation"), {"date": "2026-06-30"})
    assert "Difference -75.50 EUR" in page.content.decode()
    home = client.get(reverse("home-accountant")).content.decode()
    assert "difference -75.50 EUR" in home
    assert LegalEntity.objects.count() == 1


def test_accountant_home_shows_the_aging_chart_and_the_reconciliation(client, accountant, book):
    client.force_login(accountant)

    html = client.get(reverse("home-accountant")).content.decode()

    assert 'role="img"' in html
    assert "Receivables by age, " in html
    assert "in balance" in html


def test_a_credit_note_without_revenue_lines_is_still_a_credit_note(
    legal_entity, accounts, accountant
):
    # A milestone credit note (exempt: no VAT) debits revenue on account, a liability.
    customer = CustomerFactory(code="C-M")
    invoice = _invoice(
        legal_entity,
        accounts,
        accountant,
        customer=customer,
        number="INV-M1",
        date=dt.date(2026, 2, 2),
        due=dt.date(2026, 3, 4),
        net=D("1000.00"),
    )
    entry = post_entry(
        legal_entity=legal_entity,
        entry_date=dt.date(2026, 2, 10),
        memo="Credit note CRN-M1",
        lines=[
            LineSpec(account=accounts["1360"], side=Side.DEBIT, currency="EUR", amount=D("50.00")),
            LineSpec(
                account=accounts["1300"],
                side=Side.CREDIT,
                currency="EUR",
                amount=D("50.00"),
                customer=customer,
            ),
        ],
        posted_by=accountant,
        posted_at=POSTED_AT,
    )
    record_customer_transaction(
        entry=entry,
        customer=customer,
        document_number="CRN-M1",
        document_date=dt.date(2026, 2, 10),
        due_date=dt.date(2026, 2, 10),
        currency="EUR",
        amount=D("-50.00"),
        accounting_amount=D("-50.00"),
        settles=invoice,
    )

    statement = customer_statement(
        legal_entity=legal_entity,
        customer=customer,
        date_from=dt.date(2026, 1, 1),
        date_to=dt.date(2026, 12, 31),
    )

    assert [
        (x.item.document_number, x.kind, x.running_balance) for x in statement.currencies[0].lines
    ] == [
        ("INV-M1", "invoice", D("1210.00")),
        ("CRN-M1", "credit_note", D("1160.00")),
    ]
