"""A firm's month in a real browser (issue 11), in English and in Dutch, at 1440 px and on a
390 px phone. Screenshots go to ``artifacts/screenshots/<lang>/``.

- The team member books a week with decimals typed the page's way and a description per row,
  adds a row, and sees the totals follow while typing (phone and desktop).
- The manager opens an expense's receipt before approving it; marks every item the filters
  select ready across two pages, one of them on a draft and reported as skipped; confirms two
  drafts at once.
- The accountant follows a blocked proposal's link to the journals, imports, sets the sales tax
  group of the T&M lines in bulk, posts the journal, and posts the proposal, whose VAT is the
  group's (21 % on 1,500.00 instead of reverse charge); then exports journal lines and open
  items as CSV and XLSX and reads them back.

Expected texts come from the catalogue in the page's language (``translation.override``), so
each check also says that the page speaks that language; amounts are written out per
language.
"""

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from actuals import services as actuals
from actuals.models import Actual, ActualBilling, ActualType, ExpenseEntry, TimeEntry
from actuals.services.billing import mark_ready
from contracts.models import (
    Contract,
    ExpenseCategory,
    Project,
    Resource,
    Role,
    SalesTaxGroup,
    Task,
)
from invoicing.demo import SPLIT_CONTRACT, TM_CONTRACT
from invoicing.models import Invoice, InvoiceStatus
from invoicing.services import create_invoice_for_contract, invoice_selection
from tests.e2e.conftest import MONDAY, TUESDAY, confirmed_invoice, log_in, shot

pytestmark = [pytest.mark.e2e]

WEEK = MONDAY.isoformat()
WEDNESDAY = MONDAY + dt.timedelta(days=2)
#: How the pages write 7.5, 1.25, 8.75 h and the amounts of these journeys, per language.
NUMBERS = {
    "en": {"7.5": "7.5", "1.25": "1.25", "8.75": "8.75", "10.75": "10.75", "1815": "1,815.00"},
    "nl": {"7.5": "7,5", "1.25": "1,25", "8.75": "8,75", "10.75": "10,75", "1815": "1.815,00"},
}
#: A real (tiny) PDF for the receipt.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def t(lang: str, text: str) -> str:
    with translation.override(lang):
        return gettext(text)


def nt(lang: str, singular: str, plural: str, n: int) -> str:
    with translation.override(lang):
        return ngettext(singular, plural, n) % {"n": n}


def messages(page: Page):
    return page.locator("ul.messages li")


def fits(page: Page, width: int) -> None:
    """Nothing on the page is wider than the screen (wide tables scroll inside their box)."""
    wide = page.evaluate(
        """(width) => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > width + 1
                && !e.closest('.table-wrap'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)""",
        width,
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide


# --- the team member ------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [390, 1440])
def test_a_week_with_decimals_descriptions_and_live_totals(
    page: Page, lang: str, demo, width: int
) -> None:
    n = NUMBERS[lang]
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "teammember")
    page.goto(f"/time/week/?week={WEEK}")
    project = page.locator("#id_row-0-project")
    project.select_option(label="P-1001 Warehouse platform")
    # Only P-1001's tasks are offered in this row.
    offered = page.locator("#id_row-0-task option:not([hidden])")
    expect(offered).to_have_text(
        [
            "---------",
            "P-1001 / ANALYSIS Analysis",
            "P-1001 / BUILD Build",
            "P-1001 / SUPPORT Support",
        ]
    )
    page.locator("#id_row-0-task").select_option(label="P-1001 / BUILD Build")
    page.locator("#id_row-0-description").fill("Data migration")
    page.locator("#id_row-0-d0").fill(n["7.5"])
    page.locator("#id_row-0-d1").fill(n["1.25"])
    row_total = page.locator("#timesheet tbody tr").first.locator("[data-row-total]")
    expect(row_total).to_have_text(n["8.75"])
    # Another row, added in the page.
    page.locator("#add-row").click()
    page.locator("#id_row-3-project").select_option(label="P-1001 Warehouse platform")
    page.locator("#id_row-3-task").select_option(label="P-1001 / ANALYSIS Analysis")
    page.locator("#id_row-3-description").fill("Workshop")
    page.locator("#id_row-3-d2").fill("2")
    expect(page.locator("[data-week-total]")).to_have_text(n["10.75"])
    fits(page, width)
    shot(page, f"my-week-typed-{width}")
    page.locator("button[value=save]").click()

    expect(messages(page)).to_have_text([t(lang, "Week saved.")])
    assert sorted(TimeEntry.objects.values_list("entry_date", "hours", "description")) == [
        (MONDAY, Decimal("7.50"), "Data migration"),
        (TUESDAY, Decimal("1.25"), "Data migration"),
        (WEDNESDAY, Decimal("2.00"), "Workshop"),
    ]
    fits(page, width)
    shot(page, f"my-week-saved-{width}")


# --- the manager ----------------------------------------------------------------------------------


def _submitted_expense_with_receipt() -> ExpenseEntry:
    resource = Resource.objects.get(user__username="teammember")
    now, today = timezone.now(), timezone.localdate()
    entry = actuals.create_expense_entry(
        resource=resource,
        project=Project.objects.get(code="P-1001"),
        category=ExpenseCategory.objects.get(code="HOTEL"),
        entry_date=MONDAY,
        quantity=Decimal("1"),
        amount=Decimal("89.00"),
        currency="EUR",
        description="Hotel Antwerp",
        created_at=now,
        today=today,
        receipt=SimpleUploadedFile("hotel.pdf", PDF, content_type="application/pdf"),
    )
    return actuals.submit_entry(entry=entry, by=resource.user, submitted_at=now, today=today)


def test_the_manager_opens_a_receipt_then_approves(page: Page, lang: str, demo, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    expense = _submitted_expense_with_receipt()
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, "manager")
    page.goto("/time/approvals/")
    row = page.locator(f"tr:has(#expense-{expense.pk})")
    link = row.get_by_role("link", name=t(lang, "Open receipt"))
    # The link opens the receipt in a new tab; the browser (its session) gets the PDF itself.
    receipt = page.context.request.get(link.get_attribute("href") or "")
    assert (receipt.status, receipt.headers["content-type"], receipt.body()) == (
        200,
        "application/pdf",
        PDF,
    )
    assert link.get_attribute("target") == "_blank"
    page.locator(f"#expense-{expense.pk}").check()
    page.get_by_role("button", name=t(lang, "Approve selected")).click()

    expense.refresh_from_db()
    assert expense.status == "approved"
    shot(page, "approvals-after-receipt")


def _many_items(count: int) -> list[Actual]:
    """``count`` approved 1 h items on P-1001 (Developer, 125.00), one a day back from the
    journeys' Monday; the newest is marked ready and put on a draft."""
    resource = Resource.objects.get(user__username="teammember")
    project = Project.objects.get(code="P-1001")
    task = Task.objects.get(project=project, code="BUILD")
    role = Role.objects.get(code="DEVELOPER")
    manager = Contract.objects.get(number=TM_CONTRACT).project_manager
    now, today = timezone.now(), timezone.localdate()
    entries = [
        actuals.create_time_entry(
            resource=resource,
            project=project,
            task=task,
            role=role,
            entry_date=MONDAY - dt.timedelta(days=i),
            hours=Decimal("1"),
            created_at=now,
            today=today,
        )
        for i in range(count)
    ]
    ids = [e.pk for e in entries]
    actuals.submit_entries(
        model=TimeEntry, ids=ids, by=resource.user, submitted_at=now, today=today
    )
    actuals.approve_entries(model=TimeEntry, ids=ids, approved_by=manager, approved_at=now)
    items = list(
        Actual.objects.filter(
            time_entry__in=ids, actual_type=ActualType.UNBILLED_SALES, billing_type="chargeable"
        ).order_by("transaction_date", "pk")
    )
    newest = items[-1]
    mark_ready(actual_ids=[newest.pk], scope=Actual.objects.all())
    invoice_selection(
        actual_ids=[newest.pk],
        milestone_ids=[],
        contracts=Contract.objects.all(),
        invoice_date=today,
        by=manager,
        now=now,
    )
    return items


@pytest.mark.parametrize("width", [1440, 390])
def test_mark_ready_across_two_pages_reports_the_skipped_item(
    page: Page, lang: str, demo, width: int
) -> None:
    items = _many_items(61)  # 61 items: two pages of 50; the newest is on a draft
    on_draft = items[-1]
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "manager")
    page.goto("/billing/backlog/")
    with translation.override(lang):
        pager = gettext("%(start)s–%(end)s of %(total)s") % {"start": 1, "end": 50, "total": 61}
    expect(page.locator(".pager-summary").first).to_have_text(pager)
    fits(page, width)
    shot(page, f"backlog-before-{width}")
    page.get_by_role("button", name=t(lang, "Mark all ready")).click()

    with translation.override(lang):
        busy = ngettext(
            "%(n)d item is already on an invoice, written off or cancelled (%(ids)s).",
            "%(n)d items are already on an invoice, written off or cancelled (%(ids)s).",
            1,
        ) % {"n": 1, "ids": on_draft.pk}
        skipped = gettext("Skipped: %(reason)s") % {"reason": busy}
    expect(messages(page)).to_have_text(
        [
            nt(
                lang,
                "%(n)d item marked ready to invoice.",
                "%(n)d items marked ready to invoice.",
                60,
            ),
            skipped,
        ]
    )
    statuses = dict(
        ActualBilling.objects.filter(pk__in=[i.pk for i in items]).values_list("pk", "status")
    )
    assert statuses.pop(on_draft.pk) == "on_draft"
    assert set(statuses.values()) == {"ready"}
    # Page 2, by its Next link, shows the rest ready too.
    page.locator(".pager a[rel=next]").first.click()
    expect(page.locator("#backlog-table tbody tr")).to_have_count(11)
    expect(page.locator("#backlog-table tbody tr .badge").first).to_have_text(
        t(lang, "Ready to invoice")
    )
    fits(page, width)
    shot(page, f"backlog-page-2-{width}")


def test_two_drafts_are_confirmed_at_once(page: Page, lang: str, demo) -> None:
    """Hours on the split contract make one draft per customer (60 / 40)."""
    resource = Resource.objects.get(user__username="teammember")
    project = Project.objects.get(code="P-1003")
    contract = Contract.objects.get(number=SPLIT_CONTRACT)
    now, today = timezone.now(), timezone.localdate()
    entry = actuals.create_time_entry(
        resource=resource,
        project=project,
        role=Role.objects.get(code="DEVELOPER"),
        entry_date=MONDAY,
        hours=Decimal("8"),
        created_at=now,
        today=today,
    )
    actuals.submit_entry(entry=entry, by=resource.user, submitted_at=now, today=today)
    actuals.approve_entries(
        model=TimeEntry, ids=[entry.pk], approved_by=contract.project_manager, approved_at=now
    )
    ready = Actual.objects.filter(contract=contract, actual_type=ActualType.UNBILLED_SALES)
    mark_ready(actual_ids=list(ready.values_list("pk", flat=True)), scope=ready)
    result = create_invoice_for_contract(
        contract=contract, up_to=None, invoice_date=today, by=contract.project_manager, now=now
    )
    assert len(result.invoice_ids) == 2
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, "manager")
    page.goto("/billing/drafts/")
    page.locator("input[data-select-all=drafts]").check()
    page.get_by_role("button", name=t(lang, "Confirm selected")).click()

    expect(messages(page)).to_have_text(
        [nt(lang, "%(n)d invoice confirmed.", "%(n)d invoices confirmed.", 2)]
    )
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.CONFIRMED}
    shot(page, "drafts-confirmed")


# --- the accountant -------------------------------------------------------------------------------


def _read(download) -> list[list]:
    body = Path(download.path()).read_bytes()
    if download.suggested_filename.endswith(".csv"):
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("width", [1440, 390])
def test_the_accountant_follows_the_blocker_sets_tax_groups_in_bulk_and_posts(
    page: Page, lang: str, demo, width: int, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    invoice = confirmed_invoice(demo["manager"])  # 8 h + 4 h, 1,500.00 EUR, reverse charge
    domestic = SalesTaxGroup.objects.get(code="DOMESTIC")
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "accountant")

    # The proposal is blocked: its T&M hours are not in the journal. Its link leads there.
    page.goto(f"/billing/proposals/{invoice.pk}/")
    blocker = page.locator("#posting-blockers li").first
    expect(blocker.locator("a.blocker-link")).to_have_text(t(lang, "Go to the journals to import"))
    expect(page.locator("#post-button")).to_have_count(0)
    fits(page, width)
    shot(page, f"proposal-blocked-{width}")
    blocker.locator("a.blocker-link").click()
    page.get_by_role("button", name=t(lang, "Import actuals")).click()
    expect(page.locator("#job-status")).to_have_text(t(lang, "Done"))

    # Back at the proposal: now the hours wait in the journal; the link opens those lines.
    page.goto(f"/billing/proposals/{invoice.pk}/")
    page.locator("#posting-blockers a.blocker-link").click()
    # P-1001's draft lines: cost and unbilled sales of 8 h and of 4 h.
    expect(page.locator("#journal-lines tbody tr")).to_have_count(4)
    page.locator("#id_kind").select_option("tm_unbilled_sales")
    page.locator("form.filters button[type=submit]").click()
    expect(page.locator("#journal-lines tbody tr")).to_have_count(2)
    page.locator("#id_sales_tax_group").select_option(str(domestic.pk))
    page.locator("#apply-everything").click()
    expect(messages(page).first).to_have_text(
        nt(lang, "%(n)d line changed.", "%(n)d lines changed.", 2)
    )
    fits(page, width)
    shot(page, f"journal-tax-groups-{width}")
    page.get_by_role("button", name=t(lang, "Post journal")).click()
    expect(page.locator("#job-status")).to_have_text(t(lang, "Done"))

    # The proposal now carries the journal's group: 21 % VAT on 1,500.00; post it.
    page.goto(f"/billing/proposals/{invoice.pk}/")
    expect(page.locator("#posting-blockers .field-errors")).to_have_count(0)
    total = page.locator("#invoice-totals tr").last.locator("td")
    expect(total).to_have_text(f"{NUMBERS[lang]['1815']} EUR")
    page.locator("#post-button").click()
    expect(page.locator("#invoice-status")).to_have_text(t(lang, "Posted"))
    invoice.refresh_from_db()
    vat = [
        line
        for line in invoice.ledger_entry.lines.select_related("account")
        if line.account.code.startswith("17")
    ]
    assert [(line.account.code, line.accounting_amount) for line in vat] == [
        ("1710", Decimal("-315.00"))
    ]
    fits(page, width)
    shot(page, f"proposal-posted-21-{width}")

    # Exports, read back: the journal's lines and the open items.
    page.goto("/ledger/journals/")
    page.locator("#journal-table tbody tr a").first.click()
    with page.expect_download() as csv_download:
        page.locator(".export-links a", has_text="CSV").click()
    lines = _read(csv_download.value)
    assert lines[0][:3] == [t(lang, "Date"), t(lang, "Kind"), t(lang, "Project")]
    # Cost keeps the customer's group; the T&M sales carry the group set in bulk.
    assert sorted((r[7], r[8]) for r in lines[1:]) == [
        ("1000.00", "DOMESTIC"),
        ("300.00", "EU_B2B"),
        ("500.00", "DOMESTIC"),
        ("600.00", "EU_B2B"),
    ]
    page.goto("/ledger/receivables/")
    with page.expect_download() as xlsx_download:
        page.locator(".export-links a", has_text="XLSX").click()
    items = _read(xlsx_download.value)
    assert [row[2:] for row in items[1:]] == [
        [
            invoice.number,
            dt.datetime.combine(invoice.invoice_date, dt.time()),
            dt.datetime.combine(invoice.due_date, dt.time()),
            "EUR",
            1815,
            1815,
        ]
    ]
    assert re.fullmatch(r"INV\d{4}-\d{6}", invoice.number)
