"""Posting invoice proposals (DOMAIN.md §5–7): the ledger entry line by line, the customer
open item, gapless numbers, the refusals (and that they change nothing), credit notes,
concurrency and batches. Figures are exact; accounts are the default Dutch chart's
(1300 receivables, 8000 invoiced revenue, 1360 revenue on account, 1710 VAT payable 21 %,
8050 accrued revenue, 1350 WIP – sales value)."""

import datetime as dt
import hashlib
import io
import threading
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from pypdf import PdfReader

from actuals.journal import import_actuals
from actuals.services.billing import mark_milestones_ready
from actuals.wip import unbilled_wip_subledger
from contracts import models as c
from contracts.roles import Role
from contracts.services import create_milestone
from invoicing import documents
from invoicing.models import Invoice, InvoiceDetail, InvoiceStatus, PostingBatch, RunStatus
from invoicing.queries import invoice_totals
from invoicing.services import (
    InvoiceStateError,
    PostingBlocked,
    PostingNotAllowed,
    confirm_invoice,
    create_correction,
    create_invoice_for_contract,
    creditor_reference,
    post_invoice,
    posting_blockers,
    run_posting_batch,
    start_posting_batch,
    update_proposal,
)
from ledger.models import (
    CustomerTransaction,
    Journal,
    JournalStatus,
    LedgerEntry,
    NumberSeries,
    Period,
    PostingProfile,
)
from ledger.reports import trial_balance
from ledger.services import close_period, post_journal
from tests.factories import ProjectFactory, SalesTaxGroupFactory, user_with_role

from .conftest import AT, DAY, make_contract

pytestmark = pytest.mark.django_db

INVOICE_DATE = dt.date(2026, 3, 31)
POSTED_AT = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def no_accrual(billing):
    """The default profile does not accrue T&M revenue: no journal needed before posting."""
    PostingProfile.objects.filter(is_default=True).update(accrue_tm_revenue=False)


def confirmed(billing, hours="8", *, day=DAY) -> Invoice:
    """Approve, invoice and confirm (by the project manager): an invoice proposal."""
    billing.approve_ready(hours, day=day)
    result = create_invoice_for_contract(
        contract=billing.contract,
        up_to=None,
        invoice_date=INVOICE_DATE,
        by=billing.manager,
        now=AT,
    )
    [invoice_id] = result.invoice_ids
    invoice = Invoice.objects.get(pk=invoice_id)
    return confirm_invoice(invoice=invoice, by=billing.manager, at=AT)


def post_the_journal(by) -> None:
    import_actuals(now=AT)
    for journal in Journal.objects.filter(status=JournalStatus.OPEN).order_by("pk"):
        post_journal(journal=journal, posted_by=by, posted_at=AT)


def entry_lines(entry: LedgerEntry) -> list[tuple]:
    """(account code, accounting amount (debit +), currency amount, project, customer)."""
    return [
        (
            line.account.code,
            line.accounting_amount,
            line.amount,
            line.project.code if line.project else None,
            line.customer.code if line.customer else None,
        )
        for line in entry.lines.select_related("account", "project", "customer").order_by(
            "line_number"
        )
    ]


def state(invoice: Invoice) -> tuple:
    """What a refused posting must leave unchanged."""
    invoice.refresh_from_db()
    series = NumberSeries.objects.filter(purpose="invoice").values_list("next_number", flat=True)
    return (
        invoice.status,
        invoice.number,
        invoice.ledger_entry_id,
        invoice.pdf.name or "",
        LedgerEntry.objects.count(),
        CustomerTransaction.objects.count(),
        list(series),
    )


# --- worked example 7 and the full flow --------------------------------------------------------


def test_worked_example_7_net_100_at_21_percent(billing, accountant, no_accrual):
    invoice = confirmed(billing, "0.5")  # 0.5 h × 200 = 100
    assert invoice_totals(invoice).net == D("100.00")

    posted = post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)

    assert posted.status == InvoiceStatus.POSTED
    assert entry_lines(posted.ledger_entry) == [
        ("1300", D("121.00"), D("121.00"), None, "ACME"),  # AR 121
        ("8000", D("-100.00"), D("-100.00"), "P-ACME", None),  # revenue 100
        ("1710", D("-21.00"), D("-21.00"), None, None),  # VAT payable 21
    ]


def test_full_flow_approve_journal_confirm_post(billing, accountant):
    [unbilled] = billing.approve_ready("8")  # 8 h: cost 800, unbilled 1,600
    post_the_journal(accountant)  # cost 7000/4990 and WIP 1350/8050
    result = create_invoice_for_contract(
        contract=billing.contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    invoice = Invoice.objects.get(pk=next(iter(result.invoice_ids)))
    confirm_invoice(invoice=invoice, by=billing.manager, at=AT)

    posted = post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)

    entry = posted.ledger_entry
    assert (entry.entry_date, entry.posted_by, entry.posted_at) == (
        INVOICE_DATE,
        accountant,
        POSTED_AT,
    )
    assert entry.memo == f"Invoice INV2026-000001, contract K-001, {billing.project.customer.name}"
    assert entry_lines(entry) == [
        ("1300", D("1936.00"), D("1936.00"), None, "ACME"),
        ("8000", D("-1600.00"), D("-1600.00"), "P-ACME", None),
        ("1710", D("-336.00"), D("-336.00"), None, None),
        ("8050", D("1600.00"), D("1600.00"), "P-ACME", None),  # accrued revenue reversed
        ("1350", D("-1600.00"), D("-1600.00"), "P-ACME", None),  # WIP cleared
    ]
    posted.refresh_from_db()
    assert (posted.status, posted.number, posted.posted_by, posted.posted_at) == (
        InvoiceStatus.POSTED,
        "INV2026-000001",
        accountant,
        POSTED_AT,
    )
    assert (posted.accounting_date, posted.due_date) == (INVOICE_DATE, dt.date(2026, 4, 30))
    assert posted.payment_reference == "RF422026000001"
    assert posted.pdf.name == "invoices/2026/INV2026-000001.pdf"
    with posted.pdf.open("rb") as stored:
        pdf = stored.read()
    with posted.pdf.open("rb") as stored:
        assert stored.read() == pdf  # read twice: the same bytes
    assert hashlib.sha256(pdf).hexdigest() == posted.pdf_sha256
    # The printed invoice says what the ledger holds (the customer reads Dutch): the number,
    # net = revenue 1,600, VAT 21 % = VAT payable 336, gross = receivables 1,936.
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("INV2026-000001", "1.600,00", "336,00", "1.936,00", "21%"):
        assert expected in text, expected

    item = CustomerTransaction.objects.get()
    assert (
        item.customer,
        item.entry,
        item.document_number,
        item.document_date,
        item.due_date,
        item.currency,
        item.amount,
        item.accounting_amount,
        item.open_amount,
    ) == (
        billing.project.customer,
        entry,
        "INV2026-000001",
        INVOICE_DATE,
        dt.date(2026, 4, 30),
        "EUR",
        D("1936.00"),
        D("1936.00"),
        D("1936.00"),
    )
    # The project subledger: billed actual ↔ detail ↔ invoice ↔ voucher.
    detail = InvoiceDetail.objects.get(invoice=posted)
    assert detail.actual == unbilled
    assert (detail.billed_actual.actual_type, detail.billed_actual.amount) == (
        "billed_sales",
        D("1600.00"),
    )
    assert Invoice.objects.get(details__billed_actual=detail.billed_actual).ledger_entry == entry

    balance = trial_balance(legal_entity=billing.project.legal_entity, on_date=INVOICE_DATE)
    assert balance.total_balance == D("0")
    assert {row.account.code: row.balance for row in balance.rows} == {
        "1300": D("1936.00"),
        "1350": D("0.00"),
        "1710": D("-336.00"),
        "4990": D("-800.00"),
        "7000": D("800.00"),
        "8000": D("-1600.00"),
        "8050": D("0.00"),
    }


def test_milestone_lines_post_to_revenue_on_account(billing, accountant):
    project = ProjectFactory(
        code="P-FP",
        customer=billing.project.customer,
        project_manager=billing.manager,
        legal_entity=billing.project.legal_entity,
    )
    fixed = make_contract(
        project=project, manager=billing.manager, method=c.BillingMethod.FIXED_PRICE, number="FP-1"
    )
    [milestone] = create_milestone(
        line=fixed.lines.get(), name="Go-live", milestone_date=dt.date(2026, 3, 1), amount=D("5000")
    )
    mark_milestones_ready(milestone_ids=[milestone.pk], by=None, at=AT)
    result = create_invoice_for_contract(
        contract=fixed, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    invoice = confirm_invoice(
        invoice=Invoice.objects.get(pk=next(iter(result.invoice_ids))), by=billing.manager, at=AT
    )

    posted = post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)

    assert entry_lines(posted.ledger_entry) == [
        ("1300", D("6050.00"), D("6050.00"), None, "ACME"),
        ("1360", D("-5000.00"), D("-5000.00"), "P-FP", None),
        ("1710", D("-1050.00"), D("-1050.00"), None, None),
    ]


# --- refusals ------------------------------------------------------------------------------------


def test_posting_is_refused_while_the_actuals_journal_line_is_not_posted(billing, accountant):
    invoice = confirmed(billing, "8")
    import_actuals(now=AT)  # in the journal, not posted
    journal = Journal.objects.get()
    before = state(invoice)

    with pytest.raises(PostingBlocked) as refused:
        post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)

    assert refused.value.reasons == {
        "journal": [
            "1 T&M item (1,600.00 EUR, P-ACME) waits as a draft line in the journal of "
            "2026-03-01: post that journal first."
        ]
    }
    assert state(invoice) == before == ("confirmed", "", None, "", 0, 0, [])

    post_journal(journal=journal, posted_by=accountant, posted_at=AT)
    assert Journal.objects.get().status == JournalStatus.POSTED
    posted = post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)
    assert posted.number == "INV2026-000001"  # no number was used by the refusal


def test_an_actual_not_imported_yet_is_named_as_such(billing, accountant):
    invoice = confirmed(billing, "8")

    assert posting_blockers(invoice)["journal"] == [
        "1 T&M item (1,600.00 EUR, P-ACME) is not in the integration journal yet: import the "
        "approved actuals, then post the journal."
    ]


def test_a_vat_pair_without_a_code_and_a_customer_without_address_are_refused(
    billing, accountant, no_accrual
):
    invoice = confirmed(billing, "8")
    nowhere = SalesTaxGroupFactory(code="NOWHERE")
    InvoiceDetail.objects.filter(invoice=invoice).update(sales_tax_group=nowhere)
    c.Customer.objects.filter(pk=invoice.customer_id).update(address="  ")
    before = state(invoice)

    with pytest.raises(PostingBlocked) as refused:
        post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)

    assert refused.value.reasons == {
        "lines": [
            "Line Development: No VAT code for sales tax group NOWHERE with item sales tax "
            "group SERVICES: choose another pair or add a VAT rule for it."
        ],
        "customer": [
            f"Customer {invoice.customer} has no address, which a legal invoice needs: add the "
            "address to the customer first."
        ],
    }
    assert state(invoice) == before


def test_posting_into_a_closed_period_is_refused(billing, accountant, no_accrual):
    invoice = confirmed(billing, "8")
    march = Period.objects.get(number=3)
    close_period(period=march, closed_by=accountant, closed_at=AT)
    before = state(invoice)

    with pytest.raises(PostingBlocked) as refused:
        post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)

    assert refused.value.reasons == {
        "accounting_date": [
            "The accounting date 2026-03-31 lies in period 3 of 2026 (2026-03-01 to "
            "2026-03-31), which is closed: choose an accounting date in an open period, or "
            "reopen the period."
        ]
    }
    assert state(invoice) == before


def test_with_the_setting_a_closed_period_moves_to_the_next_open_one(
    billing, accountant, no_accrual, settings
):
    settings.POST_INTO_NEXT_OPEN_PERIOD = True
    invoice = confirmed(billing, "8")
    for number in (3, 4):
        close_period(period=Period.objects.get(number=number), closed_by=accountant, closed_at=AT)

    posted = post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)

    assert posted.accounting_date == dt.date(2026, 5, 1)
    assert (posted.ledger_entry.entry_date, posted.ledger_entry.period.number) == (
        dt.date(2026, 5, 1),
        5,
    )
    assert posted.invoice_date == INVOICE_DATE  # the invoice date stays
    assert CustomerTransaction.objects.get().document_date == INVOICE_DATE


def test_the_confirmer_cannot_post(billing, no_accrual):
    invoice = confirmed(billing, "8")
    before = state(invoice)

    with pytest.raises(PostingNotAllowed) as refused:
        post_invoice(invoice=invoice, by=billing.manager, at=POSTED_AT)

    assert str(refused.value) == (
        f"You confirmed invoice {invoice.reference}, so you may not post it: the one who "
        "confirms an invoice never posts it. Ask another accountant to post it."
    )
    assert state(invoice) == before


def test_a_draft_or_a_posted_invoice_cannot_be_posted(billing, accountant, no_accrual):
    invoice = confirmed(billing, "8")
    post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)
    before = state(invoice)

    with pytest.raises(InvoiceStateError, match="is Posted; only a confirmed invoice"):
        post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)

    assert state(invoice) == before
    assert LedgerEntry.objects.filter(invoice__isnull=False).count() == 1


def test_a_rollback_after_the_number_was_taken_leaves_no_gap(
    billing, accountant, no_accrual, monkeypatch
):
    first = confirmed(billing, "8")
    second = confirmed(billing, "4")
    real = documents.render_invoice_pdf

    def renderer_fails(*, invoice, proforma):
        assert invoice.number == "INV2026-000001"  # the number was taken …
        raise OSError("disk full")

    monkeypatch.setattr(documents, "render_invoice_pdf", renderer_fails)
    before = state(first)
    with pytest.raises(OSError, match="disk full"):
        post_invoice(invoice=first, by=accountant, at=POSTED_AT)
    assert state(first) == before  # … and given back with everything else

    monkeypatch.setattr(documents, "render_invoice_pdf", real)
    assert post_invoice(invoice=second, by=accountant, at=POSTED_AT).number == "INV2026-000001"
    assert post_invoice(invoice=first, by=accountant, at=POSTED_AT).number == "INV2026-000002"
    vouchers = list(LedgerEntry.objects.order_by("pk").values_list("voucher_number", flat=True))
    assert vouchers == ["VOU2026-000001", "VOU2026-000002"]


# --- credit notes --------------------------------------------------------------------------------


def test_a_credit_note_posts_the_mirror_image_and_nets_the_open_items(billing, accountant):
    billing.approve_ready("8")
    post_the_journal(accountant)
    result = create_invoice_for_contract(
        contract=billing.contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    invoice = confirm_invoice(
        invoice=Invoice.objects.get(pk=next(iter(result.invoice_ids))), by=billing.manager, at=AT
    )
    original = post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)
    credit = create_correction(
        invoice=original,
        remaining=None,
        invoice_date=dt.date(2026, 4, 10),
        by=billing.manager,
        now=AT,
    )
    confirm_invoice(invoice=credit, by=billing.manager, at=AT)

    posted = post_invoice(invoice=credit, by=accountant, at=POSTED_AT)

    assert posted.number == "INV2026-000002"
    entry = posted.ledger_entry
    assert entry.memo == (
        f"Credit note INV2026-000002 for invoice INV2026-000001, {billing.project.customer.name}"
    )
    assert entry.entry_date == dt.date(2026, 4, 10)
    assert entry_lines(entry) == [  # the mirror of the invoice ...
        ("1300", D("-1936.00"), D("-1936.00"), None, "ACME"),
        ("8000", D("1600.00"), D("1600.00"), "P-ACME", None),
        ("1710", D("336.00"), D("336.00"), None, None),
        # ... and the 8 h it brings back to the backlog accrued in WIP at once
        ("1350", D("1600.00"), D("1600.00"), "P-ACME", None),
        ("8050", D("-1600.00"), D("-1600.00"), "P-ACME", None),
    ]
    items = CustomerTransaction.objects.order_by("pk")
    assert list(
        items.values_list("document_number", "amount", "open_amount", "settles__document_number")
    ) == [
        ("INV2026-000001", D("1936.00"), D("0.00"), None),
        ("INV2026-000002", D("-1936.00"), D("0.00"), "INV2026-000001"),
    ]
    balance = trial_balance(legal_entity=billing.project.legal_entity, on_date=dt.date(2026, 4, 30))
    assert balance.total_balance == D("0")
    balances = {row.account.code: row.balance for row in balance.rows}
    assert (balances["1300"], balances["8000"], balances["1710"]) == (D("0"), D("0"), D("0"))
    # The hours are back in WIP (the invoice had cleared them): revenue stays accrued.
    assert (balances["1350"], balances["8050"]) == (D("1600.00"), D("-1600.00"))
    assert unbilled_wip_subledger(
        legal_entity=billing.project.legal_entity, on_date=dt.date(2026, 4, 30)
    ) == {billing.project.pk: D("1600.00")}


def test_a_credit_note_of_an_unposted_invoice_waits_for_it(billing, accountant, no_accrual):
    invoice = confirmed(billing, "8")
    credit = create_correction(
        invoice=invoice, remaining=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    confirm_invoice(invoice=credit, by=billing.manager, at=AT)

    assert posting_blockers(credit) == {
        "corrects": [
            f"This document corrects {invoice.reference}, which is not posted yet: "
            f"post {invoice.reference} first."
        ]
    }


# --- concurrency ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_accountants_posting_one_proposal_make_one_entry_and_one_number(
    billing, accountant, no_accrual
):
    invoice = confirmed(billing, "8")
    other = user_with_role(Role.PROJECT_ACCOUNTANT, username="accountant2")
    barrier = threading.Barrier(2)
    posted: list[str] = []
    refused: list[BaseException] = []

    def post_as(user):
        def target():
            try:
                barrier.wait()
                posted.append(
                    post_invoice(invoice=Invoice(pk=invoice.pk), by=user, at=POSTED_AT).number
                )
            except BaseException as error:  # the loser's error, checked below
                refused.append(error)
            finally:
                connections.close_all()

        return threading.Thread(target=target)

    threads = [post_as(accountant), post_as(other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert posted == ["INV2026-000001"]
    assert [type(e) for e in refused] == [InvoiceStateError]
    assert LedgerEntry.objects.count() == 1
    assert CustomerTransaction.objects.count() == 1
    assert NumberSeries.objects.get(purpose="invoice").next_number == 2


# --- proposals -----------------------------------------------------------------------------------


def test_the_due_date_defaults_from_the_payment_terms(billing, accountant, no_accrual):
    c.Customer.objects.filter(pk=billing.project.customer_id).update(payment_terms_days=14)
    invoice = confirmed(billing, "8")

    updated = update_proposal(
        invoice=invoice, by=accountant, version=invoice.version, invoice_date=dt.date(2026, 3, 20)
    )
    posted = post_invoice(invoice=updated, by=accountant, at=POSTED_AT)

    assert (posted.invoice_date, posted.accounting_date, posted.due_date) == (
        dt.date(2026, 3, 20),
        dt.date(2026, 3, 20),
        dt.date(2026, 4, 3),
    )


def test_a_proposal_takes_new_tax_groups_dates_and_texts(billing, accountant, no_accrual):
    invoice = confirmed(billing, "8")
    line = invoice.lines.get()
    domestic = c.SalesTaxGroup.objects.get(code="DOMESTIC")
    reduced = c.ItemSalesTaxGroup.objects.get(code="REDUCED")

    updated = update_proposal(
        invoice=invoice,
        by=accountant,
        version=invoice.version,
        accounting_date=dt.date(2026, 4, 2),
        due_date=dt.date(2026, 5, 15),
        description=" March work ",
        customer_reference="PO-77",
        line_tax_groups={line.pk: (domestic, reduced)},
    )

    assert updated.version == invoice.version + 1
    assert (updated.accounting_date, updated.due_date, updated.description) == (
        dt.date(2026, 4, 2),
        dt.date(2026, 5, 15),
        "March work",
    )
    assert updated.customer_reference == "PO-77"
    totals = invoice_totals(updated)
    assert [(r.code, r.base, r.vat) for r in totals.vat_rows] == [("V9", D("1600.00"), D("144.00"))]
    posted = post_invoice(invoice=updated, by=accountant, at=POSTED_AT)
    assert entry_lines(posted.ledger_entry) == [
        ("1300", D("1744.00"), D("1744.00"), None, "ACME"),
        ("8000", D("-1600.00"), D("-1600.00"), "P-ACME", None),
        ("1711", D("-144.00"), D("-144.00"), None, None),  # the code's own payable account
    ]
    assert posted.ledger_entry.entry_date == dt.date(2026, 4, 2)


def test_a_proposal_update_is_refused_with_reasons_and_changes_nothing(
    billing, accountant, no_accrual
):
    invoice = confirmed(billing, "8")
    line = invoice.lines.get()
    nowhere = SalesTaxGroupFactory(code="NOWHERE")
    services = c.ItemSalesTaxGroup.objects.get(code="SERVICES")

    with pytest.raises(ValidationError) as refused:
        update_proposal(
            invoice=invoice,
            by=accountant,
            version=invoice.version,
            due_date=dt.date(2026, 3, 1),
            line_tax_groups={line.pk: (nowhere, services)},
        )

    assert refused.value.message_dict == {
        "due_date": [
            "The due date 2026-03-01 lies before the invoice date 2026-03-31: choose a due "
            "date on or after the invoice date."
        ],
        f"lines[{line.pk}]": [
            "No VAT code for sales tax group NOWHERE with item sales tax group SERVICES: "
            "choose another pair or add a VAT rule for it."
        ],
    }
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.due_date, fresh.version) == (None, invoice.version)
    assert set(InvoiceDetail.objects.values_list("sales_tax_group__code", flat=True)) == {
        "DOMESTIC"
    }


def test_only_a_confirmed_invoice_is_a_proposal(billing, accountant, no_accrual):
    invoice = confirmed(billing, "8")
    posted = post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)

    with pytest.raises(InvoiceStateError, match="only a confirmed invoice"):
        update_proposal(invoice=posted, by=accountant, version=posted.version, description="x")
    with pytest.raises(InvoiceStateError, match="changed by someone else"):
        update_proposal(invoice=posted, by=accountant, version=1, description="x")


def test_creditor_reference_follows_iso_11649():
    assert creditor_reference("539007547034") == "RF18539007547034"  # the standard's example
    assert creditor_reference("INV2026-000001") == "RF422026000001"
    assert creditor_reference("INV2026-000002") == "RF152026000002"


# --- batches -------------------------------------------------------------------------------------


def test_a_batch_posts_what_it_can_and_records_why_the_rest_failed(billing, accountant, no_accrual):
    first = confirmed(billing, "8")
    second = confirmed(billing, "4")
    third = confirmed(billing, "2")
    update_proposal(
        invoice=third, by=accountant, version=third.version, accounting_date=dt.date(2026, 2, 27)
    )
    close_period(period=Period.objects.get(number=2), closed_by=accountant, closed_at=AT)
    clock_ticks = iter(
        dt.datetime(2026, 4, 1, 10, 0, second, tzinfo=dt.UTC) for second in range(60)
    )

    batch = start_posting_batch(
        invoice_ids=[first.pk, third.pk, second.pk, first.pk], by=accountant, at=POSTED_AT
    )
    assert (batch.status, batch.total, batch.invoice_ids) == (
        RunStatus.RUNNING,
        3,
        [first.pk, third.pk, second.pk],
    )
    done = run_posting_batch(batch=batch, clock=lambda: next(clock_ticks))

    done.refresh_from_db()
    assert (done.status, done.posted, done.failed) == (RunStatus.DONE_WITH_FAILURES, 2, 1)
    assert done.failures == {
        str(third.pk): "The accounting date 2026-02-27 lies in period 2 of 2026 (2026-02-01 to "
        "2026-02-28), which is closed: choose an accounting date in an open period, or reopen "
        "the period."
    }
    assert done.finished_at == dt.datetime(2026, 4, 1, 10, 0, 3, tzinfo=dt.UTC)  # 4th tick
    numbers = dict(Invoice.objects.values_list("pk", "number"))
    assert numbers == {first.pk: "INV2026-000001", second.pk: "INV2026-000002", third.pk: ""}
    assert PostingBatch.objects.count() == 1


def test_a_batch_takes_only_proposals(billing, accountant, no_accrual):
    invoice = confirmed(billing, "8")
    post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)

    with pytest.raises(ValidationError) as refused:
        start_posting_batch(invoice_ids=[invoice.pk, 999999], by=accountant, at=POSTED_AT)

    assert refused.value.message_dict == {"invoice_ids": ["Unknown invoices: 999999."]}
    with pytest.raises(ValidationError) as refused:
        start_posting_batch(invoice_ids=[invoice.pk], by=accountant, at=POSTED_AT)
    assert refused.value.message_dict == {
        "invoice_ids": [
            f"Not invoice proposals (only confirmed invoices can be posted): {invoice.pk}."
        ]
    }
    assert PostingBatch.objects.count() == 0


def test_the_memo_is_in_the_language_of_the_books_whoever_posts(billing, accountant, no_accrual):
    """An accountant reading the portal in English posts into Dutch books: a Dutch memo."""
    from django.utils import translation

    c.LegalEntity.objects.filter(pk=billing.project.legal_entity_id).update(language="nl")
    invoice = confirmed(billing, "8")

    with translation.override("en"):
        posted = post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)

    assert posted.ledger_entry.memo == (
        f"Factuur INV2026-000001, contract K-001, {billing.project.customer.name}"
    )
