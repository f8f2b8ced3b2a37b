"""The accountant's ledger pages: they load for an accountant and are 403 for others."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import SalesTaxGroup
from ledger.models import JournalLineStatus, LedgerEntry, PeriodStatus
from tests.factories import DimensionValueFactory, JournalFactory, JournalLineFactory

from .conftest import period


@pytest.fixture
def journal(legal_entity):
    journal = JournalFactory(legal_entity=legal_entity)
    JournalLineFactory(journal=journal)
    JournalLineFactory(journal=journal, kind="tm_unbilled_sales", amount=Decimal("1600.00"))
    return journal


def _pages(journal, accounts):
    return [
        reverse("ledger:journal-list"),
        reverse("ledger:journal-detail", args=[journal.pk]),
        reverse("ledger:period-list"),
        reverse("ledger:reports"),
        reverse("ledger:trial-balance") + "?date=2026-12-31",
        reverse("ledger:reconciliation"),
        reverse("ledger:account-detail", args=[accounts["1350"].pk]),
        reverse("ledger:receivables"),
    ]


def test_pages_load_for_an_accountant(client, accountant, journal, accounts):
    client.force_login(accountant)
    for url in _pages(journal, accounts):
        response = client.get(url)
        assert response.status_code == 200, url


def test_pages_are_forbidden_for_a_team_member(client, team_member, journal, accounts):
    client.force_login(team_member)
    for url in _pages(journal, accounts):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("ledger:journal-post", args=[journal.pk])).status_code == 403
    assert journal.lines.filter(status=JournalLineStatus.DRAFT).count() == 2


def test_journal_list_shows_counts_and_totals(client, accountant, journal):
    client.force_login(accountant)
    response = client.get(reverse("ledger:journal-list"))
    row = response.context["journals"].get(pk=journal.pk)
    assert (row.line_count, row.draft_count, row.posted_count, row.draft_total) == (
        2,
        2,
        0,
        Decimal("2400.00"),
    )
    assert b"2,400.00" in response.content


def test_journal_detail_has_a_post_button_with_a_confirmation(client, accountant, journal):
    client.force_login(accountant)
    content = client.get(reverse("ledger:journal-detail", args=[journal.pk])).content.decode()
    assert 'id="post-journal-form"' in content
    assert 'data-confirm="Post 2 lines to the general ledger?' in content


def test_post_button_posts_the_journal_and_the_trial_balance_shows_it(client, accountant, journal):
    client.force_login(accountant)
    response = client.post(reverse("ledger:journal-post", args=[journal.pk]), follow=True)

    assert response.status_code == 200
    assert "2 lines posted, 0 with nothing to post, 0 failed." in response.content.decode()
    assert LedgerEntry.objects.count() == 2
    tb = client.get(reverse("ledger:trial-balance") + "?date=2026-12-31").context["tb"]
    assert (tb.total_debit, tb.total_credit, tb.total_balance) == (
        Decimal("2400.00"),
        Decimal("2400.00"),
        Decimal("0.00"),
    )
    rows = client.get(reverse("ledger:reconciliation") + "?date=2026-12-31").context["rows"]
    assert [(r.subledger, r.ledger) for r in rows] == [(Decimal("1600.00"), Decimal("1600.00"))]


def test_inline_edit_saves_tax_groups_and_dimensions(client, accountant, journal):
    line = journal.lines.order_by("pk").first()
    value = DimensionValueFactory(dimension__code="DEPARTMENT", code="CONS")
    domestic = SalesTaxGroup.objects.get(code="DOMESTIC")
    client.force_login(accountant)

    response = client.post(
        reverse("ledger:journal-line-update", args=[line.pk]),
        {
            f"line-{line.pk}-sales_tax_group": domestic.pk,
            f"line-{line.pk}-item_sales_tax_group": "",
            f"line-{line.pk}-dimension_DEPARTMENT": value.pk,
        },
    )

    assert response.status_code == 302
    line.refresh_from_db()
    assert line.sales_tax_group == domestic
    assert list(line.dimension_values.all()) == [value]


def test_inline_edit_with_an_unknown_dimension_value_shows_the_error(client, accountant, journal):
    line = journal.lines.order_by("pk").first()
    DimensionValueFactory(dimension__code="DEPARTMENT", code="CONS")
    client.force_login(accountant)

    response = client.post(
        reverse("ledger:journal-line-update", args=[line.pk]),
        {f"line-{line.pk}-dimension_DEPARTMENT": 999999},
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert line.dimension_values.count() == 0


def test_close_and_reopen_a_period_from_the_page(client, accountant, legal_entity):
    march = period(legal_entity, 3)
    client.force_login(accountant)

    client.post(reverse("ledger:period-close", args=[march.pk]))
    march.refresh_from_db()
    assert march.status == PeriodStatus.CLOSED

    response = client.post(reverse("ledger:period-close", args=[march.pk]), follow=True)
    assert "Period 3 of 2026 is already Closed." in response.content.decode()

    client.post(reverse("ledger:period-reopen", args=[march.pk]))
    march.refresh_from_db()
    assert march.status == PeriodStatus.OPEN


def test_account_detail_shows_the_running_balance(client, accountant, journal, accounts):
    from ledger.services import post_journal

    post_journal(
        journal=journal, posted_by=accountant, posted_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    )
    client.force_login(accountant)
    detail = client.get(
        reverse("ledger:account-detail", args=[accounts["1350"].pk])
        + "?date_from=2026-01-01&date_to=2026-12-31"
    ).context["detail"]
    assert [i.running_balance for i in detail.lines] == [Decimal("1600.00")]
    assert (detail.opening_balance, detail.closing_balance) == (Decimal("0"), Decimal("1600.00"))


def test_every_ledger_permission_the_roles_name_exists(db):
    from django.contrib.auth.models import Permission

    from contracts.roles import ROLE_PERMISSIONS

    named = {
        name.split(".", 1)[1]
        for names in ROLE_PERMISSIONS.values()
        for name in names
        if name.startswith("ledger.")
    }
    existing = set(
        Permission.objects.filter(content_type__app_label="ledger", codename__in=named).values_list(
            "codename", flat=True
        )
    )
    assert named - existing == set()
