"""The home pages that answer the role's first question, and the server-rendered bar chart.

The billing world of ``tests/invoicing/conftest.py``: a T&M contract K-001 (8 h × 200 = 1,600
EUR), the project manager ``manager`` and the team member ``member`` booking on it.
"""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from actuals import services as actuals
from actuals.models import ActualBilling, EntryStatus
from invoicing.charts import Category, Series, bar_chart, format_number, nice_scale
from invoicing.dashboards import chart_months
from invoicing.models import Invoice
from invoicing.services import confirm_invoice, create_correction, create_invoice_for_contract
from tests.factories import ExpenseEntryFactory, ProjectFactory, TimeEntryFactory
from tests.invoicing import conftest as billing_world

pytestmark = pytest.mark.django_db

#: The billing world's fixture, used here under its own name.
billing = billing_world.billing

PM_HOME = reverse("home-project-manager")
TM_HOME = reverse("home-team-member")


def first_of_month(day: dt.date, back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def invoice_ready_items(billing, *, confirm: bool) -> Invoice:
    result = create_invoice_for_contract(
        contract=billing.contract,
        up_to=None,
        invoice_date=timezone.localdate(),
        by=billing.manager,
        now=billing_world.AT,
    )
    invoice = Invoice.objects.get(pk=next(iter(result.invoice_ids)))
    if confirm:
        invoice = confirm_invoice(invoice=invoice, by=billing.manager, at=billing_world.AT)
    return invoice


def text_of(html: str, element_id: str) -> str:
    """The text inside the element with this id (tags dropped, whitespace squeezed)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match is not None, element_id
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def squeeze(html: str) -> str:
    """The HTML without the whitespace between tags."""
    return re.sub(r">\s+<", "><", html)


def bar_titles(html: str) -> list[str]:
    return re.findall(r'<rect class="chart-bar [^"]*"[^>]*><title>([^<]*)</title></rect>', html)


# --- the chart helper -------------------------------------------------------------------------


def test_the_value_axis_gets_nice_round_ticks_that_include_zero():
    assert nice_scale(D(0), D("1600")) == (D(0), D(2000), D(500))
    assert nice_scale(D("-300"), D("900")) == (D(-500), D(1000), D(500))
    assert nice_scale(D(0), D("9")) == (D(0), D("10.0"), D("2.5"))
    assert nice_scale(D(0), D(0)) == (D(0), D(1), D("0.25"))


def test_bar_chart_computes_grouped_bars_ticks_labels_and_a_table():
    chart = bar_chart(
        chart_id="c",
        title="Value",
        categories=[Category("Mar", "March 2026", "2026"), "Apr"],
        series=[
            Series("Unbilled", [D("1600.00"), D(0)]),
            Series("Invoiced", [D("400.00"), D(800)]),
        ],
        unit="EUR",
    )

    # Axis 0–2,000 in steps of 500 over the plot from y 34 (top) to 218 (bottom).
    assert [(t.label, t.y) for t in chart.ticks] == [
        ("0", "218.0"),
        ("500", "172.0"),
        ("1,000", "126.0"),
        ("1,500", "80.0"),
        ("2,000", "34.0"),
    ]
    # Two groups of 278 units from x 76; bars fill 75 % of a group, two to a group. A zero is
    # not drawn (its figure is in the table).
    assert [(b.x, b.y, b.width, b.height, b.title, b.css_class) for b in chart.bars] == [
        ("110.8", "70.8", "104.2", "147.2", "Unbilled, March 2026: 1,600.00 EUR", "chart-series-1"),
        ("215.0", "181.2", "104.2", "36.8", "Invoiced, March 2026: 400.00 EUR", "chart-series-2"),
        ("493.0", "144.4", "104.2", "73.6", "Invoiced, Apr: 800.00 EUR", "chart-series-2"),
    ]
    assert [(a.x, a.label, a.sublabel) for a in chart.axis_labels] == [
        ("215.0", "Mar", "2026"),
        ("493.0", "Apr", ""),
    ]
    assert [(i.label, i.css_class) for i in chart.legend] == [
        ("Unbilled", "chart-series-1"),
        ("Invoiced", "chart-series-2"),
    ]
    assert [(r.title, r.values) for r in chart.rows] == [
        ("March 2026", ["1,600.00 EUR", "400.00 EUR"]),
        ("Apr", ["0.00 EUR", "800.00 EUR"]),
    ]
    assert chart.is_empty is False


def test_bar_chart_with_one_series_of_buckets_for_other_pages():
    buckets = ["Not due", "1–30", "31–60", "61–90", "> 90"]
    chart = bar_chart(
        chart_id="aging",
        title="Aging",
        categories=buckets,
        series=[Series("Open", [D(100), D(50), D(0), D(0), D("25.50")])],
        unit="EUR",
        category_heading="Bucket",
    )

    assert [b.title for b in chart.bars] == [
        "Open, Not due: 100.00 EUR",
        "Open, 1–30: 50.00 EUR",
        "Open, > 90: 25.50 EUR",
    ]
    html = render_to_string("includes/chart_bars.html", {"chart": chart})
    assert (
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 640 260" role="img"'
        in html
    )
    assert 'aria-labelledby="aging-title aging-desc"' in html
    assert '<title id="aging-title">Aging</title>' in html
    assert '<th scope="col">Bucket</th><th scope="col">Open</th>' in squeeze(html)
    assert '<th scope="row">&gt; 90</th><td>25.50 EUR</td>' in squeeze(html)
    assert "style=" not in html


def test_a_chart_of_zeros_says_there_is_nothing_to_show():
    chart = bar_chart(
        chart_id="z",
        title="Zero",
        categories=["A"],
        series=[Series("S", [D(0)])],
        empty_text="None.",
    )

    html = render_to_string("includes/chart_bars.html", {"chart": chart})

    assert chart.is_empty and chart.bars == []
    assert "<svg" not in html
    assert '<p class="chart-empty muted">None.</p>' in html


def test_figures_and_coordinates_follow_the_language():
    with translation.override("nl"):
        assert format_number(D("1234.5"), 2, "EUR") == "1.234,50 EUR"
        chart = bar_chart(
            chart_id="nl",
            title="Waarde",
            categories=["mrt"],
            series=[Series("Onbefactureerd", [D("1600.00")])],
            unit="EUR",
        )
        html = render_to_string("includes/chart_bars.html", {"chart": chart})

    assert [b.title for b in chart.bars] == ["Onbefactureerd, mrt: 1.600,00 EUR"]
    assert [t.label for t in chart.ticks] == ["0", "500", "1.000", "1.500", "2.000"]
    # Coordinates stay in SVG's own notation whatever the language.
    assert 'y="70.8"' in html and "70,8" not in html


def test_chart_months_are_the_last_twelve_ending_with_this_month():
    months = chart_months(dt.date(2026, 2, 17))

    assert months[0] == dt.date(2025, 3, 1) and months[-1] == dt.date(2026, 2, 1)
    assert len(months) == 12


# --- the project manager's home ---------------------------------------------------------------


@pytest.fixture
def pm_world(billing):
    """Last month: 5 h invoiced and confirmed (1,000), 3 h on a draft (600), 8 h ready (1,600).
    This month: 4 h not ready (800) and 2 h not ready that failed its line limit (400).
    Waiting for approval: two time entries and one expense entry."""
    today = timezone.localdate()
    last_month, this_month = first_of_month(today, 1), first_of_month(today)
    billing.approve_ready("5", day=last_month)
    confirmed = invoice_ready_items(billing, confirm=True)
    billing.approve_ready("3", day=last_month)
    draft = invoice_ready_items(billing, confirm=False)
    billing.approve_ready("8", day=last_month)
    billing.approve("4", day=this_month)
    [failed] = billing.approve("2", day=this_month)
    ActualBilling.objects.filter(pk=failed.pk).update(
        nte_status="failed",
        nte_failed_level="line",
        nte_message="Contract line limit 3,000.00 EUR exceeded.",
    )
    for hours in ("1", "2"):
        TimeEntryFactory(
            resource=billing.resource,
            project=billing.project,
            role=billing.role,
            entry_date=this_month,
            hours=D(hours),
            status=EntryStatus.SUBMITTED,
        )
    ExpenseEntryFactory(
        resource=billing.resource,
        project=billing.project,
        entry_date=this_month,
        status=EntryStatus.SUBMITTED,
    )
    return {
        "last_month": last_month,
        "this_month": this_month,
        "confirmed": confirmed,
        "draft": draft,
        "failed": failed,
    }


def test_the_project_manager_home_shows_unbilled_value_by_contract(client, billing, pm_world):
    client.force_login(billing.manager)

    response = client.get(PM_HOME)

    assert response.status_code == 200
    unbilled = response.context["dashboard"].unbilled
    assert [
        (r.contract.number, r.currency, r.count, r.not_ready, r.ready, r.on_draft, r.total)
        for r in unbilled.rows
    ] == [("K-001", "EUR", 4, D("1200.00"), D("1600.00"), D("600.00"), D("3400.00"))]
    assert [(t.currency, t.total, t.ready) for t in unbilled.totals] == [
        ("EUR", D("3400.00"), D("1600.00"))
    ]
    html = response.content.decode()
    row_id = f"unbilled-{billing.contract.pk}-EUR"
    assert text_of(html, row_id) == (
        "K-001 Contract K-001 4 1,200.00 EUR 1,600.00 EUR 600.00 EUR 3,400.00 EUR"
    )
    assert f'href="{reverse("invoicing:backlog")}?contract={billing.contract.pk}"' in html
    assert text_of(html, "stat-unbilled") == "3,400.00 EUR"
    assert text_of(html, "stat-ready") == "1,600.00 EUR"


def test_the_project_manager_home_counts_approvals_drafts_and_nte_warnings(
    client, billing, pm_world
):
    client.force_login(billing.manager)

    response = client.get(PM_HOME)

    dashboard = response.context["dashboard"]
    assert (dashboard.approvals.time, dashboard.approvals.expenses) == (2, 1)
    assert dashboard.drafts.count == 1
    assert [(t.currency, t.count, t.net) for t in dashboard.drafts.totals] == [
        ("EUR", 1, D("600.00"))
    ]
    assert dashboard.nte.count == 1
    assert [a.pk for a in dashboard.nte.top] == [pm_world["failed"].pk]
    html = response.content.decode()
    assert text_of(html, "stat-approvals") == "3"
    assert "2 time entries" in html and "1 expense entry" in html
    assert f'href="{reverse("actuals:approvals")}"' in html
    assert text_of(html, "stat-drafts") == "1"
    assert "1 open invoice, net 600.00 EUR" in html
    assert f'href="{reverse("invoicing:drafts")}"' in html
    assert text_of(html, "stat-nte") == "1"
    nte_rows = re.search(r'<table class="data" id="nte-table">.*?</table>', html, re.S)
    assert nte_rows is not None
    nte = " ".join(re.sub(r"<[^>]+>", " ", nte_rows.group(0)).split())
    day = pm_world["this_month"].isoformat()
    assert f"K-001 {day} Contract line Contract line limit 3,000.00 EUR exceeded. 400.00 EUR" in nte
    assert f'href="{reverse("invoicing:backlog")}?nte_failed=yes"' in html


def test_the_project_manager_chart_shows_unbilled_and_invoiced_per_month(client, billing, pm_world):
    client.force_login(billing.manager)

    response = client.get(PM_HOME)

    html = response.content.decode()
    [chart] = response.context["dashboard"].charts
    assert chart.id == "chart-monthly-eur"
    assert [s.label for s in chart.series] == ["Unbilled", "Invoiced"]
    last = pm_world["last_month"].strftime("%B %Y")
    this = pm_world["this_month"].strftime("%B %Y")
    assert chart.categories[-1].title == this and chart.categories[-2].title == last
    # Unbilled by the month of the work: last month 600 on the draft + 1,600 ready; this month
    # 800 + 400 (NTE failed). Invoiced by the invoice date: the confirmed 1,000 of last month's
    # work was invoiced today, this month; nothing last month (no bar).
    assert bar_titles(html) == [
        f"Unbilled, {last}: 2,200.00 EUR",
        f"Unbilled, {this}: 1,200.00 EUR",
        f"Invoiced, {this}: 1,000.00 EUR",
    ]
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg"' in html
    assert 'role="img" aria-labelledby="chart-monthly-eur-title chart-monthly-eur-desc"' in html
    assert (
        '<title id="chart-monthly-eur-title">Unbilled and invoiced value per month (EUR)</title>'
    ) in html
    assert f'<th scope="row">{this}</th><td>1,200.00 EUR</td><td>1,000.00 EUR</td>' in squeeze(html)
    assert "style=" not in html and "<style" not in html


def test_invoiced_value_is_net_of_a_credit_note(client, billing):
    last_month = first_of_month(timezone.localdate(), 1)
    billing.approve_ready("5", day=last_month)
    invoice = invoice_ready_items(billing, confirm=True)
    credit = create_correction(
        invoice=invoice,
        remaining=None,
        invoice_date=timezone.localdate(),
        by=billing.manager,
        now=billing_world.AT,
    )
    confirm_invoice(invoice=credit, by=billing.manager, at=billing_world.AT)
    client.force_login(billing.manager)

    html = client.get(PM_HOME).content.decode()

    # Credited in full: billed 1,000 − 1,000 = 0 invoiced; the 5 h are back in the backlog.
    assert bar_titles(html) == [f"Unbilled, {last_month.strftime('%B %Y')}: 1,000.00 EUR"]


def test_the_project_manager_home_leaves_out_other_managers_contracts(
    client, billing, other_project_manager
):
    other_project = ProjectFactory(
        customer=billing.project.customer,
        project_manager=other_project_manager,
        legal_entity=billing.project.legal_entity,
    )
    billing_world.make_contract(project=other_project, manager=other_project_manager, number="K-9")
    billing.approve("8", project=other_project)
    TimeEntryFactory(
        resource=billing.resource,
        project=other_project,
        role=billing.role,
        status=EntryStatus.SUBMITTED,
    )
    client.force_login(billing.manager)

    response = client.get(PM_HOME)

    dashboard = response.context["dashboard"]
    assert dashboard.unbilled.rows == [] and dashboard.charts == []
    assert dashboard.approvals.total == 0 and dashboard.nte.count == 0
    html = response.content.decode()
    assert "K-9" not in html
    # What to do next, said where there is nothing to do.
    assert "No items waiting for approval." in html
    assert "No drafts to confirm." in html
    assert "No not-to-exceed warnings" in html
    assert "Nothing unbilled." in html
    assert "Nothing unbilled or invoiced in the last 12 months." in html
    assert "<svg" not in html


def test_the_project_manager_home_costs_the_same_queries_for_more_rows(client, billing):
    today = timezone.localdate()
    billing.approve_ready("1", day=first_of_month(today, 2))
    client.force_login(billing.manager)
    client.get(PM_HOME)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as few:
        client.get(PM_HOME)
    second = ProjectFactory(
        customer=billing.project.customer,
        project_manager=billing.manager,
        legal_entity=billing.project.legal_entity,
    )
    billing_world.make_contract(project=second, manager=billing.manager, number="K-002")
    for months_back in range(4):
        billing.approve("1", day=first_of_month(today, months_back), project=second)
        billing.approve_ready("1", day=first_of_month(today, months_back))
    invoice_ready_items(billing, confirm=False)

    with CaptureQueriesContext(connection) as many:
        response = client.get(PM_HOME)

    assert len(response.context["dashboard"].unbilled.rows) == 2
    assert len(many) == len(few)
    assert len(many) <= 20


# --- the team member's home -------------------------------------------------------------------


def test_the_team_member_home_shows_the_hours_of_the_week_per_day_and_status(client, billing):
    monday = dt.date(2026, 3, 2)
    billing.approve("8", day=monday)  # approved
    entry = {"resource": billing.resource, "project": billing.project, "role": billing.role}
    TimeEntryFactory(**entry, entry_date=monday + dt.timedelta(1), hours=D("6"), status="submitted")
    TimeEntryFactory(**entry, entry_date=monday + dt.timedelta(1), hours=D("1.5"))  # draft
    TimeEntryFactory(**entry, entry_date=monday + dt.timedelta(3), hours=D("2"), status="returned")
    TimeEntryFactory(**entry, entry_date=monday + dt.timedelta(7), hours=D("5"))  # next week
    ExpenseEntryFactory(resource=billing.resource, project=billing.project, status="returned")
    client.force_login(billing.resource.user)

    response = client.get(TM_HOME, {"week": "2026-03-04"})  # a Wednesday: the week of 2 March

    assert response.status_code == 200
    week = response.context["week"]
    assert (week.start, week.end) == (monday, dt.date(2026, 3, 8))
    assert [(d.day.day, [h for _s, h in d.by_status], d.total) for d in week.days] == [
        (2, [0, 0, D("8.00"), 0], D("8.00")),
        (3, [D("1.50"), D("6.00"), 0, 0], D("7.50")),
        (4, [0, 0, 0, 0], 0),
        (5, [0, 0, 0, D("2.00")], D("2.00")),
        (6, [0, 0, 0, 0], 0),
        (7, [0, 0, 0, 0], 0),
        (8, [0, 0, 0, 0], 0),
    ]
    assert week.total == D("17.50")
    assert week.returned == 2
    html = response.content.decode()
    assert text_of(html, "hours-2026-03-02-approved") == "8"
    assert text_of(html, "hours-2026-03-03-draft") == "1.50"
    assert text_of(html, "hours-2026-03-03-submitted") == "6"
    assert text_of(html, "hours-2026-03-03-total") == "7.50"
    assert text_of(html, "hours-2026-03-05-returned") == "2"
    assert text_of(html, "hours-2026-03-04-total") == "0"
    assert text_of(html, "hours-week-total") == "17.50"
    assert text_of(html, "stat-returned") == "2"
    assert f'href="{reverse("actuals:returned")}"' in html
    assert f'href="{reverse("actuals:my-week")}?week=2026-03-02"' in html
    assert (
        'href="?week=2026-02-23" rel="prev"' in html
        and 'href="?week=2026-03-09" rel="next"' in html
    )
    assert "Hours of the week of 2026-03-02" in html
    assert "style=" not in html and "<style" not in html


def test_the_team_member_home_defaults_to_this_week(client, billing):
    today = timezone.localdate()
    actuals.create_time_entry(
        resource=billing.resource,
        project=billing.project,
        role=billing.role,
        entry_date=today,
        hours=D("3.25"),
        created_at=timezone.now(),
        today=today,
    )
    client.force_login(billing.resource.user)

    response = client.get(TM_HOME)

    html = response.content.decode()
    assert "This week&#x27;s hours" in html or "This week's hours" in html
    assert text_of(html, f"hours-{today.isoformat()}-draft") == "3.25"
    assert text_of(html, "hours-week-total") == "3.25"
    assert text_of(html, "stat-returned") == "0"
    assert "No hours booked in this week" not in html


def test_the_team_member_home_says_what_to_do_when_nothing_is_booked(client, billing):
    client.force_login(billing.resource.user)

    html = client.get(TM_HOME, {"week": "2026-03-02"}).content.decode()

    assert text_of(html, "hours-week-total") == "0"
    assert "No hours booked in this week. Enter your hours in My week" in html
    assert "Returned entries to fix" in html
