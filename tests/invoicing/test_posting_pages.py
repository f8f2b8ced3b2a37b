"""The accountant's posting pages: proposals, one proposal, post, post selected, batch, posted."""

import pytest
from django.conf import settings
from django.urls import reverse

from actuals.journal import import_actuals
from invoicing.models import Invoice, InvoiceDetail, PostingBatch
from ledger.models import Journal, PostingProfile

from .conftest import AT
from .test_posting import confirmed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def no_accrual(billing):
    PostingProfile.objects.filter(is_default=True).update(accrue_tm_revenue=False)


@pytest.fixture
def page(client, accountant):
    client.force_login(accountant)
    return client


def test_the_proposals_page_lists_confirmed_invoices_to_select(page, billing, no_accrual):
    invoice = confirmed(billing, "8")

    response = page.get(reverse("invoicing:proposal-list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'name="invoice_ids" value="{invoice.pk}"' in html
    assert 'data-select-all="proposals"' in html
    assert 'data-requires-selection="proposals"' in html
    assert "<script>" not in html and "style=" not in html
    home = page.get(reverse("home-accountant")).content.decode()
    assert "1 invoice proposal waits to be posted" in home


def test_post_selected_starts_a_batch_and_shows_it(
    page, billing, no_accrual, django_capture_on_commit_callbacks
):
    first = confirmed(billing, "8")
    second = confirmed(billing, "4")

    with django_capture_on_commit_callbacks() as callbacks:
        response = page.post(
            reverse("invoicing:proposal-list"), {"invoice_ids": [first.pk, second.pk]}
        )

    batch = PostingBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("invoicing:batch-detail", args=[batch.pk])
    assert len(callbacks) == 1  # the task, queued on commit
    running = page.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in running
    assert "Posting 2 invoice proposals in the background." in running


def test_a_finished_batch_page_shows_counts_and_failures(page, billing, accountant, no_accrual):
    from invoicing.services import run_posting_batch, start_posting_batch

    first = confirmed(billing, "8")
    second = confirmed(billing, "4")
    from contracts.models import Customer

    batch = start_posting_batch(invoice_ids=[first.pk, second.pk], by=accountant, at=billing_at())
    Customer.objects.filter(pk=second.customer_id).update(address="")
    run_posting_batch(batch=batch, clock=billing_at)

    html = page.get(reverse("invoicing:batch-detail", args=[batch.pk])).content.decode()

    assert 'http-equiv="refresh"' not in html
    assert '<span class="stat-value" id="batch-posted">0</span>' in html
    assert '<span class="stat-value" id="batch-failed">2</span>' in html
    assert "has no address, which a legal invoice needs" in html


def test_the_proposal_page_lists_what_blocks_posting(page, billing):
    invoice = confirmed(billing, "8")  # the profile accrues: the journal must be posted first
    url = reverse("invoicing:proposal-detail", args=[invoice.pk])

    html = page.get(url).content.decode()
    import_actuals(now=AT)
    journal = Journal.objects.get()
    page.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    dutch = page.get(url).content.decode()

    assert (
        "1 T&amp;M item (1,600.00 EUR, P-ACME) is not in the integration journal yet: import "
        'the approved actuals, then post the journal. <a href="/ledger/journals/" '
        'class="blocker-link">Go to the journals to import</a>'
    ) in html
    assert 'id="post-button"' not in html
    assert (
        "1 T&amp;M-post (1.600,00 EUR, P-ACME) staat als conceptregel in het journaal van "
        "01-03-2026: boek eerst dat journaal. "
        f'<a href="/ledger/journals/{journal.pk}/?status=draft&amp;project=P-ACME" '
        'class="blocker-link">Open het journaal</a>'
    ) in dutch


def test_post_refuses_unsaved_changes_and_posts_nothing(page, billing, no_accrual):
    invoice = confirmed(billing, "8")
    html = page.get(reverse("invoicing:proposal-detail", args=[invoice.pk])).content.decode()
    assert 'form="proposal-form" formaction="/billing/proposals/' in html

    response = page.post(
        reverse("invoicing:proposal-post", args=[invoice.pk]),
        {
            "version": invoice.version,
            "invoice_date": "2026-03-31",
            "accounting_date": "2026-03-31",
            "due_date": "2026-05-15",  # typed, not saved
            "customer_reference": "",
            "description": "March work",  # typed, not saved
        },
        follow=True,
    )

    assert (
        "Unsaved changes to Due date, Description: save them or undo them first. Nothing was "
        "posted."
    ) in response.content.decode()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.due_date, invoice.description) == (
        "confirmed",
        "",
        None,
        "",
    )


def test_posting_from_the_proposal_page(page, billing, no_accrual):
    invoice = confirmed(billing, "8")
    detail_url = reverse("invoicing:proposal-detail", args=[invoice.pk])
    html = page.get(detail_url).content.decode()
    assert 'id="post-button"' in html and "data-confirm=" in html

    response = page.post(
        reverse("invoicing:proposal-post", args=[invoice.pk]), {"version": invoice.version}
    )

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.number == "INV2026-000001"
    shown = page.get(detail_url).content.decode()
    assert "Invoice INV2026-000001 posted (voucher VOU2026-000001); its PDF is stored." in shown
    again = page.post(reverse("invoicing:proposal-post", args=[invoice.pk]), follow=True)
    assert "only a confirmed invoice (an invoice proposal) can be posted" in again.content.decode()


def test_saving_the_proposal_form_keeps_the_defaults_that_were_not_touched(
    page, billing, no_accrual
):
    invoice = confirmed(billing, "8")
    line = invoice.lines.get()
    detail = InvoiceDetail.objects.filter(invoice=invoice).first()
    data = {
        "version": invoice.version,
        "invoice_date": "2026-03-31",
        "accounting_date": "2026-03-31",
        "due_date": "2026-04-30",
        "customer_reference": "PO-9",
        "description": invoice.description,
        f"line-{line.pk}-sales": detail.sales_tax_group_id,
        f"line-{line.pk}-item": detail.item_sales_tax_group_id,
    }

    page.post(reverse("invoicing:proposal-detail", args=[invoice.pk]), data)

    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.customer_reference, fresh.due_date, fresh.accounting_date) == ("PO-9", None, None)


def test_posted_invoices_are_searchable_by_number(page, billing, accountant, no_accrual):
    from invoicing.services import post_invoice

    first = post_invoice(invoice=confirmed(billing, "8"), by=accountant, at=billing_at())
    post_invoice(invoice=confirmed(billing, "4"), by=accountant, at=billing_at())

    html = page.get(reverse("invoicing:posted-invoice-list"), {"number": "000001"}).content.decode()

    assert first.number in html and "INV2026-000002" not in html
    assert reverse("invoicing:invoice-pdf", args=[first.pk]) in html


def billing_at():
    import datetime as dt

    return dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


def test_post_from_a_page_opened_before_a_change_asks_to_reload(page, billing, no_accrual):
    invoice = confirmed(billing, "8")
    opened_at = invoice.version
    Invoice.objects.filter(pk=invoice.pk).update(version=opened_at + 1)  # a colleague saved it

    response = page.post(
        reverse("invoicing:proposal-post", args=[invoice.pk]),
        {"version": opened_at, "invoice_date": "2026-03-31"},
        follow=True,
    )

    assert (
        f"Invoice {invoice} was changed since you opened it (by someone else, or by a journal "
        "edit): reload the page to see what changed. Nothing was done."
    ) in response.content.decode()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("confirmed", "")
