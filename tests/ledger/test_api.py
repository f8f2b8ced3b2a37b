"""The ledger's REST API."""

import datetime as dt
from decimal import Decimal

import pytest

from contracts.models import SalesTaxGroup
from ledger.models import JournalLineStatus, PeriodStatus
from ledger.services import (
    LineSpec,
    Side,
    post_entry,
    post_journal,
    record_customer_transaction,
)
from tests.factories import DimensionValueFactory, JournalFactory, JournalLineFactory

from .conftest import POSTED_AT, period


@pytest.fixture
def journal(legal_entity):
    journal = JournalFactory(legal_entity=legal_entity)
    JournalLineFactory(journal=journal)
    JournalLineFactory(journal=journal, kind="tm_unbilled_sales", amount=Decimal("1600.00"))
    return journal


def test_accounts_list(api_client, accountant, legal_entity):
    api_client.force_authenticate(accountant)
    response = api_client.get("/api/v1/accounts/", {"code": "1350"})
    assert response.status_code == 200
    [account] = response.json()["results"]
    assert (account["code"], account["name"], account["account_type"]) == (
        "1350",
        "Onderhanden projecten – verkoopwaarde",
        "asset",
    )


def test_team_member_may_not_read_accounts(api_client, team_member, legal_entity):
    api_client.force_authenticate(team_member)
    assert api_client.get("/api/v1/accounts/").status_code == 403


def test_close_and_reopen_a_period(api_client, accountant, legal_entity):
    march = period(legal_entity, 3)
    api_client.force_authenticate(accountant)

    response = api_client.post(f"/api/v1/periods/{march.pk}/close/")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"

    again = api_client.post(f"/api/v1/periods/{march.pk}/close/")
    assert again.status_code == 409
    assert again.json() == {"detail": "Period 3 of 2026 is already Closed.", "errors": {}}

    assert api_client.post(f"/api/v1/periods/{march.pk}/reopen/").json()["status"] == "open"
    march.refresh_from_db()
    assert march.status == PeriodStatus.OPEN


def test_team_member_may_not_close_a_period(api_client, team_member, legal_entity):
    march = period(legal_entity, 3)
    api_client.force_authenticate(team_member)
    assert api_client.post(f"/api/v1/periods/{march.pk}/close/").status_code == 403
    march.refresh_from_db()
    assert march.status == PeriodStatus.OPEN


def test_journals_list_and_post(api_client, accountant, journal):
    api_client.force_authenticate(accountant)
    [listed] = api_client.get("/api/v1/journals/").json()["results"]
    assert (listed["line_count"], listed["draft_count"], listed["draft_total"]) == (
        2,
        2,
        "2400.00",
    )

    response = api_client.post(f"/api/v1/journals/{journal.pk}/post/")

    assert response.status_code == 200
    body = response.json()
    assert (body["posted"], body["posted_without_entry"], body["failed"]) == (2, 0, 0)
    assert (body["journal"]["status"], body["journal"]["posted_count"]) == ("posted", 2)
    assert api_client.post(f"/api/v1/journals/{journal.pk}/post/").status_code == 409


def test_patch_journal_line(api_client, accountant, journal):
    line = journal.lines.order_by("pk").first()
    value = DimensionValueFactory(dimension__code="DEPARTMENT", code="CONS")
    domestic = SalesTaxGroup.objects.get(code="DOMESTIC")
    api_client.force_authenticate(accountant)

    response = api_client.patch(
        f"/api/v1/journal-lines/{line.pk}/",
        {"sales_tax_group": domestic.pk, "dimension_values": [value.pk]},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["sales_tax_group"], response.json()["dimension_values"]) == (
        domestic.pk,
        [value.pk],
    )


def test_patch_journal_line_with_an_unknown_dimension_value_is_a_400(
    api_client, accountant, journal
):
    line = journal.lines.order_by("pk").first()
    api_client.force_authenticate(accountant)

    response = api_client.patch(
        f"/api/v1/journal-lines/{line.pk}/", {"dimension_values": [999999]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "dimension_values: Unknown dimension value: 999999.",
        "errors": {"dimension_values": ["Unknown dimension value: 999999."]},
    }
    assert line.dimension_values.count() == 0


def test_patch_of_a_posted_journal_line_is_a_409(api_client, accountant, journal):
    post_journal(journal=journal, posted_by=accountant, posted_at=POSTED_AT)
    line = journal.lines.order_by("pk").first()
    api_client.force_authenticate(accountant)

    response = api_client.patch(
        f"/api/v1/journal-lines/{line.pk}/",
        {"sales_tax_group": SalesTaxGroup.objects.get(code="DOMESTIC").pk},
        format="json",
    )

    assert response.status_code == 409
    line.refresh_from_db()
    assert (line.status, line.sales_tax_group) == (JournalLineStatus.POSTED, None)


def test_trial_balance(api_client, accountant, journal, legal_entity):
    post_journal(journal=journal, posted_by=accountant, posted_at=POSTED_AT)
    api_client.force_authenticate(accountant)

    body = api_client.get("/api/v1/trial-balance/", {"date": "2026-12-31"}).json()

    assert [(r["code"], r["debit"], r["credit"], r["balance"]) for r in body["rows"]] == [
        ("1350", "1600.00", "0.00", "1600.00"),
        ("4990", "0.00", "800.00", "-800.00"),
        ("7000", "800.00", "0.00", "800.00"),
        ("8050", "0.00", "1600.00", "-1600.00"),
    ]
    assert (body["total_debit"], body["total_credit"], body["total_balance"]) == (
        "2400.00",
        "2400.00",
        "0.00",
    )
    # Before the postings' date: nothing.
    assert api_client.get("/api/v1/trial-balance/", {"date": "2026-03-01"}).json()["rows"] == []


def test_trial_balance_without_a_date_is_a_400(api_client, accountant, legal_entity):
    api_client.force_authenticate(accountant)
    response = api_client.get("/api/v1/trial-balance/")
    assert response.status_code == 400
    assert response.json()["errors"] == {"date": ["Give the date as YYYY-MM-DD."]}


def test_customer_transactions_lists_open_items(api_client, accountant, legal_entity, accounts):
    from tests.factories import CustomerFactory

    customer = CustomerFactory()
    entry = post_entry(
        legal_entity=legal_entity,
        entry_date=dt.date(2026, 3, 5),
        memo="Invoice INV2026-000001",
        lines=[
            LineSpec(
                account=accounts["1300"],
                side=Side.DEBIT,
                currency="EUR",
                amount=Decimal("121.00"),
                customer=customer,
            ),
            LineSpec(
                account=accounts["8000"], side=Side.CREDIT, currency="EUR", amount=Decimal("100.00")
            ),
            LineSpec(
                account=accounts["1710"], side=Side.CREDIT, currency="EUR", amount=Decimal("21.00")
            ),
        ],
        posted_by=accountant,
        posted_at=POSTED_AT,
    )
    record_customer_transaction(
        entry=entry,
        customer=customer,
        document_number="INV2026-000001",
        document_date=dt.date(2026, 3, 5),
        due_date=dt.date(2026, 4, 4),
        currency="EUR",
        amount=Decimal("121.00"),
        accounting_amount=Decimal("121.00"),
    )
    api_client.force_authenticate(accountant)

    [item] = api_client.get("/api/v1/customer-transactions/").json()["results"]

    assert (
        item["document_number"],
        item["amount"],
        item["open_amount"],
        item["voucher_number"],
    ) == (
        "INV2026-000001",
        "121.00",
        "121.00",
        "VOU2026-000001",
    )
