"""The integration-journal import: approved actuals → draft journal lines → the ledger.

Worked example 1 of DOMAIN.md §8 end to end, idempotence, expenses, a closed period, cancelled
approvals, the API endpoint, the accountant's button and the reconciliation page.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.urls import reverse

from actuals import services
from actuals.journal import import_actuals, journal_lines_of, source_key
from actuals.models import Actual, ActualType
from actuals.wip import unbilled_wip_subledger
from contracts import models as c
from ledger.models import (
    DimensionValue,
    FiscalYear,
    Journal,
    JournalJob,
    JournalLine,
    JournalLineKind,
    JournalLineStatus,
    JournalStatus,
    LedgerEntry,
    Period,
)
from ledger.reports import trial_balance, wip_reconciliation
from ledger.services import close_period, post_journal
from tests.actuals.conftest import AT, DAY, TODAY, make_contract
from tests.factories import ExchangeRateFactory, ExpenseCategoryFactory, ledger_setup

D = Decimal
NOW = dt.datetime(2026, 3, 7, 9, 0, tzinfo=dt.UTC)
POSTED_AT = dt.datetime(2026, 3, 31, 18, 0, tzinfo=dt.UTC)
YEAR_END = dt.date(2026, 12, 31)


@pytest.fixture
def ledger(world):
    """World's legal entity with the default Dutch chart, VAT and open fiscal year 2026."""
    return ledger_setup(world.project.legal_entity)


def _approve(world, hours="8", day=DAY, **kw):
    entry = world.entry(hours, day=day)
    services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT, **kw)
    return entry


def _entry_lines(line):
    return list(
        line.entry.lines.order_by("line_number").values_list("account__code", "accounting_amount")
    )


def _balances(legal_entity):
    tb = trial_balance(legal_entity=legal_entity, on_date=YEAR_END)
    return {r.account.code: r.balance for r in tb.rows}, tb


def _line_of(actual):
    return JournalLine.objects.get(source_key=source_key(actual.pk))


def test_worked_example_1_imported_posted_and_reconciled(world, ledger, accountant, client):
    make_contract(project=world.project, manager=world.manager)
    entry = _approve(world, "8")
    cost = Actual.objects.get(time_entry=entry, actual_type=ActualType.COST)
    sales = Actual.objects.get(time_entry=entry, actual_type=ActualType.UNBILLED_SALES)

    result = import_actuals(now=NOW)

    assert (result.lines, result.journals, result.journals_created) == (2, 1, 1)
    [journal] = Journal.objects.all()
    assert (journal.legal_entity, journal.grouping, journal.journal_date, journal.status) == (
        ledger,
        "month",
        dt.date(2026, 3, 1),
        JournalStatus.OPEN,
    )
    cost_line, sales_line = _line_of(cost), _line_of(sales)
    assert [
        (ln.kind, ln.line_date, ln.currency, ln.amount, ln.accounting_amount, ln.status)
        for ln in (cost_line, sales_line)
    ] == [
        (JournalLineKind.TIME_COST, DAY, "EUR", D("800.00"), D("800.00"), "draft"),
        (JournalLineKind.TM_UNBILLED_SALES, DAY, "EUR", D("1600.00"), D("1600.00"), "draft"),
    ]
    for line in (cost_line, sales_line):
        assert line.journal == journal
        assert line.project == world.project
        assert line.customer == world.project.customer
        assert line.sales_tax_group.code == "DOMESTIC"  # from the customer
        assert line.item_sales_tax_group.code == "SERVICES"  # from the role

    posted = post_journal(journal=journal, posted_by=accountant, posted_at=POSTED_AT)

    assert (posted.posted, posted.posted_without_entry, posted.failed) == (2, 0, 0)
    cost_line.refresh_from_db()
    sales_line.refresh_from_db()
    assert _entry_lines(cost_line) == [("7000", D("800.00")), ("4990", D("-800.00"))]
    assert _entry_lines(sales_line) == [("1350", D("1600.00")), ("8050", D("-1600.00"))]
    balances, tb = _balances(ledger)
    assert balances == {
        "1350": D("1600.00"),
        "4990": D("-800.00"),
        "7000": D("800.00"),
        "8050": D("-1600.00"),
    }
    assert (tb.total_debit, tb.total_credit, tb.total_balance) == (
        D("2400.00"),
        D("2400.00"),
        D("0.00"),
    )
    journal.refresh_from_db()
    assert journal.status == JournalStatus.POSTED

    subledger = unbilled_wip_subledger(legal_entity=ledger, on_date=YEAR_END)
    assert subledger == {world.project.pk: D("1600.00")}
    [row] = wip_reconciliation(legal_entity=ledger, on_date=YEAR_END, subledger=subledger)
    assert (row.project, row.subledger, row.ledger, row.reconciles) == (
        world.project,
        D("1600.00"),
        D("1600.00"),
        True,
    )

    client.force_login(accountant)
    response = client.get(
        reverse("actuals:reconciliation"), {"legal_entity": ledger.pk, "date": "2026-12-31"}
    )
    assert response.status_code == 200
    assert [(r.subledger, r.ledger, r.difference) for r in response.context["rows"]] == [
        (D("1600.00"), D("1600.00"), D("0.00"))
    ]
    assert response.context["all_reconcile"] is True


def test_importing_twice_creates_nothing_new(world, ledger):
    make_contract(project=world.project, manager=world.manager)
    _approve(world, "8")
    first = import_actuals(now=NOW)
    before = list(JournalLine.objects.order_by("pk").values_list("pk", "journal", "amount"))

    second = import_actuals(now=NOW)

    assert (first.lines, first.journals) == (2, 1)
    assert (second.lines, second.journals, second.journals_created) == (0, 0, 0)
    assert list(JournalLine.objects.order_by("pk").values_list("pk", "journal", "amount")) == before
    assert Journal.objects.count() == 1
    assert journal_lines_of(Actual.objects.all()).count() == 2


def test_new_actuals_join_the_open_journal_of_their_month(world, ledger):
    make_contract(project=world.project, manager=world.manager)
    _approve(world, "8", day=DAY)
    import_actuals(now=NOW)

    _approve(world, "4", day=DAY + dt.timedelta(days=1))
    _approve(world, "2", day=dt.date(2026, 2, 27))
    result = import_actuals(now=NOW)

    assert (result.lines, result.journals, result.journals_created) == (4, 2, 1)
    assert sorted(Journal.objects.values_list("journal_date", "lines__kind", "lines__amount")) == [
        (dt.date(2026, 2, 1), "time_cost", D("200.00")),
        (dt.date(2026, 2, 1), "tm_unbilled_sales", D("400.00")),
        (dt.date(2026, 3, 1), "time_cost", D("400.00")),
        (dt.date(2026, 3, 1), "time_cost", D("800.00")),
        (dt.date(2026, 3, 1), "tm_unbilled_sales", D("800.00")),
        (dt.date(2026, 3, 1), "tm_unbilled_sales", D("1600.00")),
    ]


def test_grouping_by_day_opens_a_journal_per_day(world, ledger):
    make_contract(project=world.project, manager=world.manager)
    _approve(world, "8", day=DAY)
    _approve(world, "4", day=DAY + dt.timedelta(days=1))

    result = import_actuals(now=NOW, grouping="day")

    assert (result.lines, result.journals) == (4, 2)
    assert sorted(Journal.objects.values_list("grouping", "journal_date")) == [
        ("day", DAY),
        ("day", DAY + dt.timedelta(days=1)),
    ]


def test_a_posted_journal_is_not_reused(world, ledger, accountant):
    make_contract(project=world.project, manager=world.manager)
    _approve(world, "8")
    import_actuals(now=NOW)
    first = Journal.objects.get()
    post_journal(journal=first, posted_by=accountant, posted_at=POSTED_AT)

    _approve(world, "1", day=DAY + dt.timedelta(days=2))
    result = import_actuals(now=NOW)

    assert (result.lines, result.journals, result.journals_created) == (2, 1, 1)
    second = Journal.objects.exclude(pk=first.pk).get()
    assert (second.journal_date, second.status) == (dt.date(2026, 3, 1), JournalStatus.OPEN)
    assert first.lines.count() == 2


def test_expense_cost_posts_to_expense_offset(world, ledger, accountant):
    # A contract that covers time only: the expense is cost only.
    make_contract(project=world.project, manager=world.manager, classes=(c.TransactionClass.TIME,))
    _expense(world, "123.45", "EUR")

    assert import_actuals(now=NOW).lines == 1
    [line] = JournalLine.objects.all()
    assert (line.kind, line.amount, line.item_sales_tax_group.code) == (
        JournalLineKind.EXPENSE_COST,
        D("123.45"),
        "SERVICES",
    )
    post_journal(journal=line.journal, posted_by=accountant, posted_at=POSTED_AT)
    line.refresh_from_db()
    assert _entry_lines(line) == [("7000", D("123.45")), ("4995", D("-123.45"))]


@pytest.fixture
def split_month_ledger(world):
    """Fiscal year 2026 in two periods that split March: to 3 March, and from 4 March."""
    legal_entity = ledger_setup(world.project.legal_entity, year=2025)
    year = FiscalYear.objects.create(
        legal_entity=legal_entity,
        year=2026,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    first = Period.objects.create(
        fiscal_year=year, number=1, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 3, 3)
    )
    Period.objects.create(
        fiscal_year=year, number=2, start_date=dt.date(2026, 3, 4), end_date=dt.date(2026, 12, 31)
    )
    return legal_entity, first


def test_closed_period_line_stays_in_draft_with_its_reason(world, split_month_ledger, accountant):
    _legal_entity, first_period = split_month_ledger
    make_contract(project=world.project, manager=world.manager)
    _approve(world, "8", day=DAY)  # 2 March: in the period that will be closed
    _approve(world, "4", day=dt.date(2026, 3, 4))
    assert import_actuals(now=NOW).journals == 1
    journal = Journal.objects.get()
    close_period(period=first_period, closed_by=accountant, closed_at=POSTED_AT)

    result = post_journal(journal=journal, posted_by=accountant, posted_at=POSTED_AT)

    assert (result.posted, result.posted_without_entry, result.failed) == (2, 0, 2)
    drafts = JournalLine.objects.filter(status=JournalLineStatus.DRAFT).order_by("pk")
    assert [(ln.line_date, ln.amount, ln.entry) for ln in drafts] == [
        (DAY, D("800.00"), None),
        (DAY, D("1600.00"), None),
    ]
    assert [ln.error_reason for ln in drafts] == [
        "Period 1 of 2026 (2026-01-01 to 2026-03-03) is closed: choose a date in an open "
        "period or reopen the period."
    ] * 2
    posted = JournalLine.objects.filter(status=JournalLineStatus.POSTED).order_by("pk")
    assert [(ln.line_date, ln.amount) for ln in posted] == [
        (dt.date(2026, 3, 4), D("400.00")),
        (dt.date(2026, 3, 4), D("800.00")),
    ]
    assert LedgerEntry.objects.count() == 2
    journal.refresh_from_db()
    assert journal.status == JournalStatus.OPEN
    # Importing again neither duplicates nor moves the waiting lines.
    assert import_actuals(now=NOW).lines == 0
    assert JournalLine.objects.count() == 4


def test_cancelled_approval_reversals_import_as_negative_lines(world, ledger, accountant):
    make_contract(project=world.project, manager=world.manager)
    entry = _approve(world, "8")
    import_actuals(now=NOW)
    journal = Journal.objects.get()
    post_journal(journal=journal, posted_by=accountant, posted_at=POSTED_AT)

    services.cancel_approval(entry=entry, by=world.manager, at=AT, reason="Wrong project")
    result = import_actuals(now=NOW)

    assert (result.lines, result.journals_created) == (2, 1)
    reversals = Actual.objects.filter(time_entry=entry, reverses__isnull=False).order_by("pk")
    lines = [_line_of(a) for a in reversals]
    assert [(ln.kind, ln.amount) for ln in lines] == [
        (JournalLineKind.TIME_COST, D("-800.00")),
        (JournalLineKind.TM_UNBILLED_SALES, D("-1600.00")),
    ]
    post_journal(journal=lines[0].journal, posted_by=accountant, posted_at=POSTED_AT)
    for line in lines:
        line.refresh_from_db()
    assert _entry_lines(lines[0]) == [("4990", D("800.00")), ("7000", D("-800.00"))]
    assert _entry_lines(lines[1]) == [("8050", D("1600.00")), ("1350", D("-1600.00"))]
    balances, tb = _balances(ledger)
    assert balances == {code: D("0.00") for code in ("1350", "4990", "7000", "8050")}
    assert tb.total_balance == D("0.00")
    assert unbilled_wip_subledger(legal_entity=ledger, on_date=YEAR_END) == {
        world.project.pk: D("0.00")
    }


def test_only_what_reaches_the_ledger_is_imported(world, ledger):
    """Non-chargeable unbilled sales and zero-amount actuals are never journalled."""
    make_contract(project=world.project, manager=world.manager)
    entry = _approve(world, "8", billable_quantity=D("6"))

    assert import_actuals(now=NOW).lines == 2
    journalled = set(JournalLine.objects.values_list("source_key", flat=True))
    expected = {
        source_key(a.pk)
        for a in Actual.objects.filter(time_entry=entry)
        if a.actual_type == ActualType.COST or a.billing_type == "chargeable"
    }
    assert journalled == expected
    assert sorted(JournalLine.objects.values_list("kind", "amount")) == [
        ("time_cost", D("800.00")),
        ("tm_unbilled_sales", D("1200.00")),
    ]


def test_defaults_sales_tax_group_and_dimensions_project_over_contract_over_customer(world, ledger):
    from ledger.models import DefaultDimension

    contract = make_contract(project=world.project, manager=world.manager)
    export = c.SalesTaxGroup.objects.get(code="EXPORT")
    c.Contract.objects.filter(pk=contract.pk).update(sales_tax_group=export)
    department = {v.code: v for v in DimensionValue.objects.filter(dimension__code="DEPARTMENT")}
    centre = {v.code: v for v in DimensionValue.objects.filter(dimension__code="COSTCENTRE")}
    customer = world.project.customer
    DefaultDimension.objects.create(
        customer=customer, dimension=department["ADM"].dimension, value=department["ADM"]
    )
    DefaultDimension.objects.create(
        customer=customer, dimension=centre["RTM"].dimension, value=centre["RTM"]
    )
    DefaultDimension.objects.create(
        contract=contract, dimension=department["CONS"].dimension, value=department["CONS"]
    )
    DefaultDimension.objects.create(
        project=world.project, dimension=department["DEV"].dimension, value=department["DEV"]
    )
    _approve(world, "8")

    import_actuals(now=NOW)

    for line in JournalLine.objects.all():
        assert line.sales_tax_group == export  # the contract's, over the customer's
        assert sorted(v.code for v in line.dimension_values.all()) == ["DEV", "RTM"]


def _expense(world, amount, currency, day=DAY):
    hotel = ExpenseCategoryFactory(code="HOTEL", name="Hotel", unit="night")
    expense = services.create_expense_entry(
        resource=world.resource,
        project=world.project,
        category=hotel,
        entry_date=day,
        amount=D(amount),
        currency=currency,
        created_at=AT,
        today=TODAY,
    )
    expense = services.submit_entry(
        entry=expense, by=world.resource.user, submitted_at=AT, today=TODAY
    )
    services.approve_expense_entry(entry=expense, approved_by=world.manager, approved_at=AT)
    return expense


def test_foreign_currency_converts_with_the_ledger_rate(world, ledger, accountant):
    make_contract(project=world.project, manager=world.manager, classes=(c.TransactionClass.TIME,))
    ExchangeRateFactory(from_currency="USD", to_currency="EUR", rate=D("0.90000000"))
    _expense(world, "100.01", "USD")

    import_actuals(now=NOW)

    [line] = JournalLine.objects.all()
    assert (line.currency, line.amount, line.accounting_amount) == ("USD", D("100.01"), D("90.01"))
    post_journal(journal=line.journal, posted_by=accountant, posted_at=POSTED_AT)
    line.refresh_from_db()
    assert _entry_lines(line) == [("7000", D("90.01")), ("4995", D("-90.01"))]


def test_missing_rate_imports_the_line_and_posting_keeps_it_with_the_reason(
    world, ledger, accountant
):
    make_contract(project=world.project, manager=world.manager, classes=(c.TransactionClass.TIME,))
    _expense(world, "100.00", "USD")
    _approve(world, "8")

    assert import_actuals(now=NOW).lines == 3
    usd = JournalLine.objects.get(currency="USD")
    assert (usd.amount, usd.accounting_amount) == (D("100.00"), None)

    result = post_journal(journal=usd.journal, posted_by=accountant, posted_at=POSTED_AT)

    assert (result.posted, result.failed) == (2, 1)
    usd.refresh_from_db()
    assert usd.status == JournalLineStatus.DRAFT
    assert usd.error_reason == (
        "No exchange rate from USD to EUR on or before 2026-03-02: add one under exchange rates."
    )


# --- entry points -----------------------------------------------------------------------------


def test_api_import_for_an_accountant(world, ledger, accountant, api_client):
    make_contract(project=world.project, manager=world.manager)
    _approve(world, "8")
    api_client.force_authenticate(accountant)

    response = api_client.post("/api/v1/journals/import/", {}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"lines": 2, "journals": 1, "journals_created": 1}
    again = api_client.post("/api/v1/journals/import/", {}, format="json")
    assert again.json() == {"lines": 0, "journals": 0, "journals_created": 0}


def test_api_import_refused_for_a_project_manager(world, ledger, api_client):
    make_contract(project=world.project, manager=world.manager)
    _approve(world, "8")
    api_client.force_authenticate(world.manager)

    response = api_client.post("/api/v1/journals/import/", {}, format="json")

    assert response.status_code == 403
    assert JournalLine.objects.count() == 0
    assert Journal.objects.count() == 0


def test_api_import_refuses_an_unknown_grouping(world, ledger, accountant, api_client):
    make_contract(project=world.project, manager=world.manager)
    _approve(world, "8")
    api_client.force_authenticate(accountant)

    response = api_client.post("/api/v1/journals/import/", {"grouping": "week"}, format="json")

    assert response.status_code == 400
    assert "grouping" in response.json()["errors"]
    assert JournalLine.objects.count() == 0


def test_the_journal_list_button_imports_in_the_background(
    world, ledger, accountant, client, eager_celery, django_capture_on_commit_callbacks
):
    make_contract(project=world.project, manager=world.manager)
    _approve(world, "8")
    _approve(world, "1", day=dt.date(2026, 2, 27))
    client.force_login(accountant)
    page = client.get(reverse("ledger:journal-list"))
    assert reverse("actuals:journal-import").encode() in page.content
    assert b"Import actuals" in page.content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("actuals:journal-import"))

    job = JournalJob.objects.get()
    assert response["Location"] == reverse("ledger:job-detail", args=[job.pk])
    assert (job.kind, job.status, job.total, job.done) == ("import", "done", 4, 4)
    html = client.get(response["Location"]).content.decode()
    assert "Importing approved actuals in the background." in html
    assert '<span class="stat-value" id="job-done">4</span>' in html
    assert JournalLine.objects.count() == 4


def test_the_button_is_on_the_accountants_home(world, ledger, accountant, client):
    client.force_login(accountant)
    page = client.get(reverse("home-accountant"))
    assert page.status_code == 200
    assert reverse("actuals:journal-import").encode() in page.content
    assert reverse("actuals:reconciliation").encode() in page.content


def test_import_button_refused_for_a_project_manager(world, ledger, client):
    make_contract(project=world.project, manager=world.manager)
    _approve(world, "8")
    client.force_login(world.manager)

    response = client.post(reverse("actuals:journal-import"))

    assert response.status_code == 403
    assert JournalLine.objects.count() == 0
    assert b"Import actuals" not in client.get(reverse("home-project-manager")).content


def test_reconciliation_page_is_for_accountants_only(world, ledger, client):
    client.force_login(world.manager)
    assert client.get(reverse("actuals:reconciliation")).status_code == 403


def test_the_periodic_task_imports(world, ledger):
    from actuals.tasks import import_actuals_to_journal

    make_contract(project=world.project, manager=world.manager)
    _approve(world, "8")

    assert import_actuals_to_journal() == {"lines": 2, "journals": 1, "journals_created": 1}
    assert import_actuals_to_journal() == {"lines": 0, "journals": 0, "journals_created": 0}


def test_beat_runs_the_import_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["import-actuals-to-journal"]
    assert entry["task"] == "actuals.tasks.import_actuals_to_journal"
    assert entry["schedule"].hour == set(range(24))


@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_journal_every_actual_exactly_once(world):
    ledger_setup(world.project.legal_entity)
    make_contract(project=world.project, manager=world.manager)
    for n in range(6):
        _approve(world, str(n + 1), day=dt.date(2026, 2, 26) + dt.timedelta(days=n))
    barrier = threading.Barrier(3)
    results: list[object] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(import_actuals(now=NOW, batch_size=3))
        except Exception as exc:  # reported by the assertion below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r.lines for r in results) == 12  # type: ignore[attr-defined]
    assert sum(r.journals_created for r in results) == 2  # type: ignore[attr-defined]
    assert JournalLine.objects.count() == 12
    assert sorted(Journal.objects.values_list("journal_date", flat=True)) == [
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
    ]
    assert set(JournalLine.objects.values_list("source_key", flat=True)) == {
        source_key(pk) for pk in Actual.objects.values_list("pk", flat=True)
    }
