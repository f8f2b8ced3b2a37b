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


def test_post_button_posts_the_journal_and_the_trial_balance_shows_it(
    client, accountant, journal, eager_celery, django_capture_on_commit_callbacks
):
    client.force_login(accountant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("ledger:journal-post", args=[journal.pk]))

    html = client.get(response["Location"]).content.decode()
    assert "Posting the journal in the background." in html
    assert '<span class="stat-value" id="job-done">2</span>' in html
    assert LedgerEntry.objects.count() == 2
    tb = client.get(reverse("ledger:trial-balance") + "?date=2026-12-31").context["tb"]
    assert (tb.total_debit, tb.total_credit, tb.total_balance) == (
        Decimal("2400.00"),
        Decimal("2400.00"),
        Decimal("0.00"),
    )
    rows = client.get(reverse("ledger:reconciliation") + "?date=2026-12-31").context["rows"]
    assert [(r.subledger, r.ledger) for r in rows] == [(Decimal("1600.00"), Decimal("1600.00"))]


def _edit(client, journal, data, query=""):
    url = reverse("ledger:journal-detail", args=[journal.pk]) + query
    return client.post(url, {"sales_tax_group": "keep", "item_sales_tax_group": "keep", **data})


def test_bulk_edit_of_ticked_lines_sets_tax_groups_and_dimensions(client, accountant, journal):
    line, other = journal.lines.order_by("pk")
    value = DimensionValueFactory(dimension__code="DEPARTMENT", code="CONS")
    domestic = SalesTaxGroup.objects.get(code="DOMESTIC")
    client.force_login(accountant)

    response = _edit(
        client,
        journal,
        {
            "ids": [line.pk],
            "sales_tax_group": domestic.pk,
            "item_sales_tax_group": "empty",
            f"dimension_{value.dimension_id}": value.pk,
        },
    )

    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.sales_tax_group, line.item_sales_tax_group) == (domestic, None)
    assert list(line.dimension_values.all()) == [value]
    other.refresh_from_db()
    assert (other.sales_tax_group, other.dimension_values.count()) == (None, 0)


def test_bulk_edit_over_the_filter_skips_posted_lines_and_says_so(client, accountant, journal):
    JournalLineFactory(
        journal=journal,
        kind="tm_unbilled_sales",
        status=JournalLineStatus.POSTED,
        posted_at=dt.datetime(2026, 3, 6, tzinfo=dt.UTC),
    )
    domestic = SalesTaxGroup.objects.get(code="DOMESTIC")
    client.force_login(accountant)

    response = _edit(
        client,
        journal,
        {"everything": "1", "sales_tax_group": domestic.pk},
        query="?kind=tm_unbilled_sales",
    )

    page = client.get(response.url).content.decode()
    assert "1 line changed." in page
    assert "1 line skipped: it is posted and can no longer change." in page
    assert list(journal.lines.order_by("pk").values_list("kind", "sales_tax_group")) == [
        ("time_cost", None),
        ("tm_unbilled_sales", domestic.pk),
        ("tm_unbilled_sales", None),
    ]


def test_bulk_edit_with_an_unknown_value_changes_nothing(client, accountant, journal):
    line = journal.lines.order_by("pk").first()
    value = DimensionValueFactory(dimension__code="DEPARTMENT", code="CONS")
    client.force_login(accountant)

    response = _edit(client, journal, {"ids": [line.pk], f"dimension_{value.dimension_id}": 999999})

    assert (
        "Department: Select a valid choice. 999999 is not one of the available choices."
        in client.get(response.url).content.decode()
    )
    assert line.dimension_values.count() == 0


def test_journal_page_filters_pages_and_shows_accounts_and_totals(client, accountant, journal):
    for _ in range(60):
        JournalLineFactory(journal=journal, amount=Decimal("10.00"))
    client.force_login(accountant)
    url = reverse("ledger:journal-detail", args=[journal.pk])

    first = client.get(url + "?kind=time_cost&sort=amount")
    second = client.get(url + "?kind=time_cost&sort=amount&page=2")

    assert first.context["table"].count == 61
    assert [r["line"].amount for r in first.context["rows"]][:2] == [
        Decimal("10.00"),
        Decimal("10.00"),
    ]
    assert len(first.context["rows"]) == 50 and len(second.context["rows"]) == 11
    assert [(s["currency"], s["count"], s["amount"]) for s in first.context["journal_sums"]] == [
        ("EUR", 62, Decimal("3000.00"))
    ]
    assert [(s["count"], s["amount"]) for s in first.context["selected_sums"]] == [
        (61, Decimal("1400.00"))
    ]
    # page 2: ten lines of 10.00 and the one of 800.00
    assert [s["amount"] for s in second.context["page_sums"]] == [Decimal("900.00")]
    last = second.context["rows"][-1]
    assert [a.code for a in last["accounts"]] == ["7000", "4990"]


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
