"""The three journeys of issue 7 in a real browser, once in English and once in Dutch.

The demo data (``invoicing/demo.py``): Tim de Vries (``teammember``, default role Developer)
books hours on project P-1001 "Warehouse platform" of contract C-2026-001 (time and material,
customer Schelde Logistiek NV in Belgium: reverse-charged VAT, invoices in Dutch). The standard
sales price of a Developer is 125.00 EUR an hour, so 8 h are 1,000.00 and 6 h 750.00. The
manager (Marloes Jansen) approves and invoices, edits the 6 h to 4 h (500.00; the invoice total
becomes 1,500.00) and confirms; the accountant (Anouk Bakker) imports and posts the journal,
then posts the invoice proposal (the one who confirms never posts) and downloads its PDF.

The hours fall in the week of Monday 16 November 2026: inside the 2026 price lists and the open
fiscal year, and not in the future.
"""

import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from actuals.models import TimeEntry
from invoicing.demo import TM_CONTRACT
from invoicing.models import Invoice, InvoiceDetail, InvoiceStatus
from tests.e2e.conftest import (
    MONDAY,
    TUESDAY,
    PageLog,
    book_and_submit,
    confirmed_invoice,
    log_in,
    shot,
)

pytestmark = [pytest.mark.e2e]

WEEK = MONDAY.isoformat()
JOURNAL_LINES = 4

#: What a person reads, per language.
TEXT = {
    "en": {
        "home": "Home",
        "team home": "My projects",
        "manager home": "My contracts",
        "accountant home": "Accounting overview",
        "my week": "My week",
        "week heading": "Week of 2026-11-16",
        "save drafts": "Save drafts",
        "submit week": "Submit week",
        "week saved": "Week saved.",
        "week submitted": "2 entries submitted for approval.",
        "week total": "Total 14.00 h",
        "draft": "Draft",
        "submitted": "Submitted",
        "approvals": "Approvals",
        "approvals heading": "Approvals waiting",
        "approve selected": "Approve selected",
        "approved 2": "2 entries approved.",
        "nothing waiting": "No time waiting for approval.",
        "backlog": "Backlog",
        "backlog heading": "Billing backlog",
        "all on this page": "All on this page",
        "selected sum": "1,750.00 EUR",
        "mark ready": "Mark ready",
        "marked ready 2": "2 items marked ready to invoice.",
        "ready to invoice": "Ready to invoice",
        "not ready": "Not ready",
        "create invoice": "Create invoice",
        "invoice created": "1 invoice created with 2 items",
        "draft status": "Draft",
        "edit": "Edit",
        "save": "Save",
        "detail saved": "Detail saved on invoice {ref}.",
        "confirmed message": "Invoice {ref} confirmed.",
        "confirmed": "Confirmed",
        "confirm": "Confirm",
        "confirm question": "Confirm invoice {ref}? It cannot be changed afterwards.",
        "post journal question": "Post 4 lines to the general ledger? Posted lines cannot be changed.",
        "post": "Post",
        "post question": "Post this invoice? It gets its number and is booked in the ledger; "
        "this cannot be undone.",
        "journals": "Journals",
        "journals heading": "Integration journals",
        "import actuals": "Import actuals",
        "post journal": "Post journal",
        "proposals": "Proposals",
        "posted": "Posted",
        "invoice posted": "Invoice INV2026-000001 posted (voucher VOU2026-000005); its PDF is stored.",
        "one proposal waits": "1 invoice proposal waits to be posted",
        "no proposal waits": "0 invoice proposals wait to be posted",
        "imported": "Importing approved actuals in the background.",
        "journal": "Journal",
        "journal posted": "Posting the journal in the background.",
        "done": "Done",
        "the journals": "The journals",
        "back to the journal": "Back to the journal",
        "no open receivables": "No open receivables.",
        "in balance": "in balance",
        "amounts": {
            "0": "0.00",
            "300": "300.00",
            "600": "600.00",
            "1000": "1,000.00",
            "750": "750.00",
            "500": "500.00",
            "1750": "1,750.00",
            "1500": "1,500.00",
        },
    },
    "nl": {
        "home": "Start",
        "team home": "Mijn projecten",
        "manager home": "Mijn contracten",
        "accountant home": "Boekhoudkundig overzicht",
        "my week": "Mijn week",
        "week heading": "Week van 16-11-2026",
        "save drafts": "Concepten opslaan",
        "submit week": "Week indienen",
        "week saved": "Week opgeslagen.",
        "week submitted": "2 registraties ter goedkeuring ingediend.",
        "week total": "Totaal 14,00 u",
        "draft": "Concept",
        "submitted": "Ingediend",
        "approvals": "Goedkeuringen",
        "approvals heading": "Wachtende goedkeuringen",
        "approve selected": "Selectie goedkeuren",
        "approved 2": "2 registraties goedgekeurd.",
        "nothing waiting": "Er wachten geen uren op goedkeuring.",
        "backlog": "Achterstand",
        "backlog heading": "Achterstand in projectfacturering",
        "all on this page": "Alles op deze pagina",
        "selected sum": "1.750,00 EUR",
        "mark ready": "Markeren als klaar",
        "marked ready 2": "2 posten gemarkeerd als klaar voor facturatie.",
        "ready to invoice": "Klaar voor facturatie",
        "not ready": "Niet klaar",
        "create invoice": "Factuur aanmaken",
        "invoice created": "1 factuur aangemaakt met 2 posten",
        "draft status": "Concept",
        "edit": "Bewerken",
        "save": "Opslaan",
        "detail saved": "Detail opgeslagen op factuur {ref}.",
        "confirmed message": "Factuur {ref} bevestigd.",
        "confirmed": "Bevestigd",
        "confirm": "Bevestigen",
        "confirm question": "Factuur {ref} bevestigen? Daarna kan de factuur niet meer worden "
        "gewijzigd.",
        "post journal question": "4 regels naar het grootboek boeken? Geboekte regels kunnen niet "
        "meer worden gewijzigd.",
        "post": "Boeken",
        "post question": "Deze factuur boeken? Ze krijgt haar nummer en wordt in het grootboek "
        "geboekt; dit kan niet ongedaan worden gemaakt.",
        "journals": "Journalen",
        "journals heading": "Integratiejournalen",
        "import actuals": "Werkelijke projectwaarden importeren",
        "post journal": "Journaal boeken",
        "proposals": "Factuurvoorstellen",
        "posted": "Geboekt",
        "invoice posted": "Factuur INV2026-000001 geboekt (boekstuk VOU2026-000005); de PDF is opgeslagen.",
        "one proposal waits": "1 projectfactuurvoorstel wacht op boeking",
        "no proposal waits": "0 projectfactuurvoorstellen wachten op boeking",
        "imported": "Goedgekeurde werkelijke projectwaarden worden op de achtergrond geïmporteerd.",
        "journal": "Journaal",
        "journal posted": "Het journaal wordt op de achtergrond geboekt.",
        "done": "Klaar",
        "the journals": "De journalen",
        "back to the journal": "Terug naar het journaal",
        "no open receivables": "Geen openstaande debiteurenposten.",
        "in balance": "sluit aan",
        "amounts": {
            "0": "0,00",
            "300": "300,00",
            "600": "600,00",
            "1000": "1.000,00",
            "750": "750,00",
            "500": "500,00",
            "1750": "1.750,00",
            "1500": "1.500,00",
        },
    },
}


def message(page: Page):
    """The messages the page shows after an action (``role=status`` list)."""
    return page.locator("ul.messages")


def nav(page: Page, label: str) -> None:
    page.locator("nav.sidenav").get_by_role("link", name=label, exact=True).click()


# --- a. the team member ----------------------------------------------------------------------------


def test_team_member_books_a_week_and_submits_it(page: Page, lang: str, demo) -> None:
    t = TEXT[lang]
    log_in(page, "teammember")
    expect(page).to_have_url(re.compile(r"/home/team-member/$"))
    expect(page.locator("h1")).to_have_text(t["team home"])
    shot(page, "home-team-member")

    nav(page, t["my week"])
    expect(page).to_have_url(re.compile(r"/time/week/"))
    # The week of 16 November 2026 (as through "Previous week" or a link someone sent).
    page.goto(f"/time/week/?week={WEEK}")
    expect(page.locator("h1")).to_have_text(t["week heading"])

    page.locator("#id_row-0-project").select_option(label="P-1001 Warehouse platform")
    page.locator("#id_row-0-task").select_option(label="P-1001 / BUILD Build")
    expect(page.locator("#id_row-0-role option:checked")).to_have_text("Developer")
    page.locator("#id_row-0-d0").fill("8")
    page.locator("#id_row-0-d1").fill("6")
    page.get_by_role("button", name=t["save drafts"]).click()

    expect(message(page)).to_have_text(t["week saved"])
    grid = page.locator("table.timesheet")
    first_row = grid.locator("tbody tr").first
    expect(first_row.locator("td").nth(0)).to_have_text("P-1001 Warehouse platform")
    expect(first_row.locator("td").nth(2)).to_have_text("Developer")
    expect(first_row.locator(".badge")).to_have_text([t["draft"], t["draft"]])
    expect(grid.locator("tfoot th")).to_have_text(t["week total"])

    page.get_by_role("button", name=t["submit week"]).click()

    expect(message(page)).to_have_text(t["week submitted"])
    expect(first_row.locator(".badge")).to_have_text([t["submitted"], t["submitted"]])
    expect(first_row.locator("td.num span:not(.badge)")).to_have_text(
        ["8.00", "6.00"] if lang == "en" else ["8,00", "6,00"]
    )

    # Home, that week: the hours per day, submitted.
    nav(page, t["home"])
    page.goto(f"/home/team-member/?week={WEEK}")
    expect(page.locator("#hours-2026-11-16-submitted")).to_have_text("8")
    expect(page.locator("#hours-2026-11-17-submitted")).to_have_text("6")
    expect(page.locator("#hours-week-submitted")).to_have_text("14")
    expect(page.locator("#stat-week-hours")).to_have_text("14")
    shot(page, "home-team-member-week")
    assert sorted(TimeEntry.objects.values_list("entry_date", "hours", "status")) == [
        (MONDAY, Decimal("8.00"), "submitted"),
        (TUESDAY, Decimal("6.00"), "submitted"),
    ]


# --- b. the project manager ------------------------------------------------------------------------


def test_project_manager_approves_invoices_edits_and_confirms(
    page: Page, page_log: PageLog, lang: str, demo
) -> None:
    t, amounts = TEXT[lang], TEXT[lang]["amounts"]
    book_and_submit({MONDAY: "8", TUESDAY: "6"})

    log_in(page, "manager")
    expect(page).to_have_url(re.compile(r"/home/project-manager/$"))
    expect(page.locator("h1")).to_have_text(t["manager home"])
    expect(page.locator("#stat-approvals")).to_have_text("2")
    shot(page, "home-project-manager")

    # Approvals: both entries, select all, approve.
    nav(page, t["approvals"])
    expect(page.locator("h1")).to_have_text(t["approvals heading"])
    rows = page.locator("#approval-time tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.locator("td:nth-child(3)")).to_have_text(["Tim de Vries", "Tim de Vries"])
    expect(rows.locator("td:nth-child(4)")).to_have_text(["P-1001 / BUILD", "P-1001 / BUILD"])
    approve = page.get_by_role("button", name=t["approve selected"])
    expect(approve).to_be_disabled()
    page.get_by_label(t["all on this page"]).check()
    expect(page.locator("[data-selected-count=approvals]")).to_have_text("2")
    expect(rows.locator("input[type=checkbox]:checked")).to_have_count(2)
    shot(page, "approvals")
    approve.click()
    expect(message(page)).to_have_text(t["approved 2"])
    expect(page.locator("#approval-time tbody tr")).to_have_text([t["nothing waiting"]])

    # Backlog: the two items at the Developer's sales price, select all, mark ready.
    nav(page, t["backlog"])
    expect(page.locator("h1")).to_have_text(t["backlog heading"])
    items = page.locator("#backlog-table tbody tr")
    expect(items).to_have_count(2)
    expect(items.locator("td:nth-child(3)")).to_have_text([TM_CONTRACT, TM_CONTRACT])
    expect(items.locator("td:nth-child(10)")).to_have_text(
        ["125.00", "125.00"] if lang == "en" else ["125,00", "125,00"]
    )
    expect(items.locator("td:nth-child(11)")).to_have_text(
        [f"{amounts['1000']} EUR", f"{amounts['750']} EUR"]
    )
    expect(items.locator("td:nth-child(12)")).to_have_text([t["not ready"], t["not ready"]])
    page.get_by_label(t["all on this page"]).check()
    expect(page.locator("[data-selected-count=backlog]")).to_have_text("2")
    expect(page.locator("[data-selected-sum=backlog]")).to_have_text(t["selected sum"])
    page.get_by_role("button", name=t["mark ready"], exact=True).click()
    expect(message(page)).to_have_text(t["marked ready 2"])
    expect(items.locator("td:nth-child(12)")).to_have_text(
        [t["ready to invoice"], t["ready to invoice"]]
    )

    # Create the invoice for the contract: one draft, opened at once.
    to_invoice = page.locator("#contracts-to-invoice tbody tr")
    expect(to_invoice).to_have_count(1)
    expect(to_invoice.locator("td").nth(0)).to_have_text(TM_CONTRACT)
    expect(to_invoice.locator("td").nth(2)).to_have_text("2")
    expect(to_invoice.locator("td").nth(4)).to_have_text(f"{amounts['1750']} EUR")
    to_invoice.get_by_role("button", name=t["create invoice"]).click()
    expect(message(page)).to_have_text(t["invoice created"])

    invoice = Invoice.objects.get()
    ref = invoice.reference
    expect(page).to_have_url(re.compile(rf"/billing/invoices/{invoice.pk}/$"))
    expect(page.locator("#invoice-status")).to_have_text(t["draft status"])
    details = page.locator("table.invoice-details tbody tr")
    expect(details.locator("td:nth-child(6)")).to_have_text([amounts["1000"], amounts["750"]])
    totals = page.locator("#invoice-totals")
    expect(totals.locator("tr").first.locator("td")).to_have_text(f"{amounts['1750']} EUR")
    expect(totals.locator("tr").last.locator("td")).to_have_text(f"{amounts['1750']} EUR")

    # Edit the 6 h detail to 4 h: 500.00, and the totals follow.
    tuesday = InvoiceDetail.objects.get(invoice=invoice, transaction_date=TUESDAY)
    row = page.locator(f"#detail-{tuesday.pk}")
    row.get_by_text(t["edit"], exact=True).click()
    row.get_by_label(re.compile("^(Quantity|Hoeveelheid)$")).fill("4")
    row.get_by_role("button", name=t["save"], exact=True).click()
    expect(message(page)).to_have_text(t["detail saved"].format(ref=ref))
    expect(row.locator("td:nth-child(6)")).to_have_text(amounts["500"])
    expect(details.locator("td:nth-child(6)")).to_have_text([amounts["1000"], amounts["500"]])
    expect(totals.locator("tr").first.locator("td")).to_have_text(f"{amounts['1500']} EUR")
    expect(totals.locator("tr").last.locator("td")).to_have_text(f"{amounts['1500']} EUR")
    shot(page, "invoice-detail")

    # Confirm: the browser asks first (the person says yes).
    page.locator("#invoice-actions").get_by_role("button", name=t["confirm"], exact=True).click()
    expect(message(page)).to_have_text(t["confirmed message"].format(ref=ref))
    assert page_log.dialogs == [t["confirm question"].format(ref=ref)]
    expect(page.locator("#invoice-status")).to_have_text(t["confirmed"])
    expect(page.locator("#invoice-actions")).to_have_count(0)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CONFIRMED
    assert invoice.confirmed_by == demo["manager"]


# --- c. the accountant -----------------------------------------------------------------------------


def test_accountant_posts_the_journal_and_the_proposal_and_downloads_the_pdf(
    page: Page, page_log: PageLog, lang: str, demo
) -> None:
    t, amounts = TEXT[lang], TEXT[lang]["amounts"]
    invoice = confirmed_invoice(demo["manager"])

    log_in(page, "accountant")
    expect(page).to_have_url(re.compile(r"/home/accountant/$"))
    expect(page.locator("h1")).to_have_text(t["accountant home"])
    expect(page.locator("#proposals-waiting")).to_have_text(t["one proposal waits"])
    # Nothing is open yet: the aging chart says so, and the subledger is in balance.
    card = page.locator("#receivables-summary")
    expect(card.locator(".chart-empty")).to_have_text(t["no open receivables"])
    expect(card.locator(".reconciliation-status .badge")).to_have_text(t["in balance"])
    shot(page, "home-accountant")

    # Journals: import the approved actuals, open the journal, post it.
    nav(page, t["journals"])
    expect(page.locator("h1")).to_have_text(t["journals heading"])
    page.get_by_role("button", name=t["import actuals"]).click()
    expect(message(page)).to_have_text(t["imported"])
    expect(page.locator("#job-status")).to_have_text(t["done"])
    expect(page.locator("#job-done")).to_have_text(str(JOURNAL_LINES))
    page.get_by_role("link", name=t["the journals"]).click()
    journals = page.locator("#journal-table tbody tr")
    expect(journals).to_have_count(1)
    journals.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text(t["journal"])
    lines = page.locator("#journal-lines tbody tr")
    expect(lines).to_have_count(JOURNAL_LINES)
    # Cost at the Developer's 75.00 and unbilled sales at 125.00, for 8 h and 4 h.
    expect(lines.locator("td:nth-child(8)")).to_have_text(
        [f"{amounts[a]} EUR" for a in ("600", "1000", "300", "500")]
    )
    shot(page, "journal-detail")
    page.get_by_role("button", name=t["post journal"]).click()
    expect(message(page)).to_have_text(t["journal posted"])
    assert page_log.dialogs == [t["post journal question"]]
    expect(page.locator("#job-status")).to_have_text(t["done"])
    shot(page, "journal-job")
    page.get_by_role("link", name=t["back to the journal"]).click()
    expect(lines.locator("td:last-child .badge")).to_have_text([t["posted"]] * JOURNAL_LINES)
    expect(page.locator("#post-journal-form")).to_have_count(0)

    # Proposals: open the confirmed invoice and post it (the manager confirmed it).
    nav(page, t["proposals"])
    proposals = page.locator("#proposal-table tbody tr")
    expect(proposals).to_have_count(1)
    expect(proposals.locator("td").nth(5)).to_have_text("manager")
    expect(proposals.locator("td").nth(6)).to_have_text(f"{amounts['1500']} EUR")
    proposals.get_by_role("link", name=invoice.reference).click()
    expect(page.locator("#invoice-status")).to_have_text(t["confirmed"])
    expect(page.locator("#posting-blockers .field-errors")).to_have_count(0)
    page.get_by_role("button", name=t["post"], exact=True).click()

    expect(message(page)).to_have_text(t["invoice posted"])
    assert page_log.dialogs[-1] == t["post question"]
    invoice.refresh_from_db()
    number = invoice.number
    assert number == "INV2026-000001"
    assert invoice.status == InvoiceStatus.POSTED
    assert invoice.posted_by == demo["accountant"] != invoice.confirmed_by
    expect(page.locator("#invoice-status")).to_have_text(t["posted"])
    expect(page.locator("#invoice-number")).to_have_text(number)
    expect(page.locator("h1")).to_contain_text(number)
    totals = page.locator("#invoice-totals")
    expect(totals.locator("tr").last.locator("td")).to_have_text(f"{amounts['1500']} EUR")

    shot(page, "proposal-posted")

    # The printed invoice: the customer's language (Dutch for Schelde Logistiek), whatever
    # language the accountant reads the portal in.
    with page.expect_download() as download_info:
        page.locator("#pdf-link").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf = PdfReader(io.BytesIO(download.path().read_bytes()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Factuurnummer INV2026-000001" in text
    assert "Totaal inclusief btw EUR 1.500,00" in text
    assert "Btw verlegd" in text  # reverse-charged VAT for the Belgian business customer
    assert "Schelde Logistiek NV" in text
    assert "1,500.00" not in text

    # Home: nothing waits any more, and the receivables show the invoice as current.
    nav(page, t["home"])
    expect(page.locator("#proposals-waiting")).to_have_text(t["no proposal waits"])
    # The chart's table carries the aging report's own figures: all of it current.
    aging = card.locator("table.visually-hidden tbody td")
    expect(aging).to_have_text([f"{amounts[a]} EUR" for a in ("1500", "0", "0", "0", "0")])
    expect(card.locator(".reconciliation-status .badge")).to_have_text(t["in balance"])
