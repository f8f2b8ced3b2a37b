"""The posting API: post (200, then 409), proposal updates, post selected (202 + batch)."""

import pytest

from contracts import models as c
from invoicing.models import Invoice, PostingBatch, RunStatus
from invoicing.services import create_invoice_for_contract
from ledger.models import LedgerEntry, NumberSeries, Period
from ledger.services import close_period

from .conftest import AT
from .test_posting import INVOICE_DATE, confirmed

pytestmark = pytest.mark.django_db
INVOICES = "/api/v1/invoices/"
BATCHES = "/api/v1/posting-batches/"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def no_accrual(billing):
    from ledger.models import PostingProfile

    PostingProfile.objects.filter(is_default=True).update(accrue_tm_revenue=False)


@pytest.fixture
def client(api_client, accountant):
    api_client.force_authenticate(accountant)
    return api_client


def test_post_returns_the_posted_invoice_then_409_on_the_second_call(client, billing, no_accrual):
    invoice = confirmed(billing, "8")

    first = client.post(f"{INVOICES}{invoice.pk}/post/")
    second = client.post(f"{INVOICES}{invoice.pk}/post/")

    assert first.status_code == 200
    body = first.json()
    assert (body["status"], body["number"], body["payment_reference"]) == (
        "posted",
        "INV2026-000001",
        "RF422026000001",
    )
    assert (body["voucher_number"], body["totals"]["gross"]) == ("VOU2026-000001", "1936.00")
    assert (body["accounting_date"], body["due_date"]) == ("2026-03-31", "2026-04-30")
    assert second.status_code == 409
    assert second.json()["detail"] == (
        "Invoice INV2026-000001 is Posted; only a confirmed invoice (an invoice proposal) can "
        "be posted."
    )
    assert LedgerEntry.objects.count() == 1
    assert NumberSeries.objects.get(purpose="invoice").next_number == 2


def test_confirm_and_post_answer_with_the_invoice_as_get_shows_it(
    api_client, billing, accountant, no_accrual
):
    """8 h at 200 with 21% VAT: net 1600.00, VAT 336.00, gross 1936.00, in the header fields
    (``net``, ``detail_count``) as in the totals. The post answer used to say "net": "0.00"
    (and had no ``detail_count``): it serialized an invoice read without the annotations."""
    billing.approve_ready("8")
    [invoice_id] = create_invoice_for_contract(
        contract=billing.contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    ).invoice_ids
    url = f"{INVOICES}{invoice_id}/"
    api_client.force_authenticate(billing.manager)

    confirmed = api_client.post(f"{url}confirm/", {}, format="json")
    shown_confirmed = api_client.get(url).json()
    api_client.force_authenticate(accountant)
    posted = api_client.post(f"{url}post/")
    shown_posted = api_client.get(url).json()

    assert (confirmed.status_code, posted.status_code) == (200, 200)
    for body in (confirmed.json(), posted.json()):
        assert (body["net"], body["detail_count"]) == ("1600.00", 1)
        totals = body["totals"]
        assert (totals["net"], totals["vat"], totals["gross"]) == ("1600.00", "336.00", "1936.00")
        assert [(r["code"], r["base"], r["vat"]) for r in totals["vat_rows"]] == [
            ("V21", "1600.00", "336.00")
        ]
    assert confirmed.json() == shown_confirmed
    # The post answer is the GET plus the posting.
    assert {k: v for k, v in posted.json().items() if k in shown_posted} == shown_posted
    assert set(posted.json()) - set(shown_posted) == {
        "payment_reference",
        "posted_at",
        "posted_by",
        "ledger_entry",
        "voucher_number",
        "pdf_sha256",
    }
    assert (shown_posted["status"], shown_posted["number"]) == ("posted", "INV2026-000001")


def test_a_blocked_post_is_400_with_what_to_fix(client, billing, accountant, no_accrual):
    invoice = confirmed(billing, "8")
    close_period(period=Period.objects.get(number=3), closed_by=accountant, closed_at=AT)

    response = client.post(f"{INVOICES}{invoice.pk}/post/")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "accounting_date": [
            "The accounting date 2026-03-31 lies in period 3 of 2026 (2026-03-01 to "
            "2026-03-31), which is closed: choose an accounting date in an open period, or "
            "reopen the period."
        ]
    }
    assert Invoice.objects.get(pk=invoice.pk).status == "confirmed"


def test_the_confirmer_gets_403_with_the_reason(api_client, billing, no_accrual):
    invoice = confirmed(billing, "8")
    billing.manager.user_permissions.add(*_perms("post_invoice"))
    api_client.force_authenticate(billing.manager)

    response = api_client.post(f"{INVOICES}{invoice.pk}/post/")

    assert response.status_code == 403
    assert response.json()["detail"].startswith(
        f"You confirmed invoice {invoice.reference}, so you may not post it"
    )


def test_a_project_manager_may_not_post(api_client, billing, no_accrual):
    invoice = confirmed(billing, "8")
    api_client.force_authenticate(billing.manager)

    assert api_client.post(f"{INVOICES}{invoice.pk}/post/").status_code == 403
    assert (
        api_client.patch(
            f"{INVOICES}{invoice.pk}/proposal/", {"version": invoice.version}, format="json"
        ).status_code
        == 403
    )


def test_patch_proposal_changes_dates_texts_and_tax_groups(client, billing, no_accrual):
    invoice = confirmed(billing, "8")
    line = invoice.lines.get()
    domestic = c.SalesTaxGroup.objects.get(code="DOMESTIC")
    reduced = c.ItemSalesTaxGroup.objects.get(code="REDUCED")

    response = client.patch(
        f"{INVOICES}{invoice.pk}/proposal/",
        {
            "version": invoice.version,
            "due_date": "2026-05-15",
            "description": "March",
            "lines": [
                {
                    "id": line.pk,
                    "sales_tax_group": domestic.pk,
                    "item_sales_tax_group": reduced.pk,
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["due_date"], body["description"], body["version"]) == (
        "2026-05-15",
        "March",
        invoice.version + 1,
    )
    assert [(r["code"], r["vat"]) for r in body["totals"]["vat_rows"]] == [("V9", "144.00")]
    stale = client.patch(
        f"{INVOICES}{invoice.pk}/proposal/",
        {"version": invoice.version, "description": "x"},
        format="json",
    )
    assert stale.status_code == 409


def test_post_selected_queues_a_batch_and_reports_its_progress(
    client, billing, no_accrual, django_capture_on_commit_callbacks, eager_celery
):
    first = confirmed(billing, "8")
    second = confirmed(billing, "4")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            f"{INVOICES}post-selected/", {"invoice_ids": [first.pk, second.pk]}, format="json"
        )

    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["total"], body["posted"], body["started_by"]) == (
        "running",
        2,
        0,
        "accountant",
    )
    assert len(callbacks) == 1
    batch = PostingBatch.objects.get(pk=body["id"])
    assert (batch.status, batch.posted, batch.failed) == (RunStatus.DONE, 2, 0)
    progress = client.get(f"{BATCHES}{batch.pk}/").json()
    assert (progress["status"], progress["posted"], progress["failures"]) == ("done", 2, {})
    assert [b["id"] for b in client.get(BATCHES).json()["results"]] == [batch.pk]


def test_post_selected_refuses_what_is_not_a_proposal(client, billing, no_accrual):
    invoice = confirmed(billing, "8")
    client.post(f"{INVOICES}{invoice.pk}/post/")

    response = client.post(
        f"{INVOICES}post-selected/", {"invoice_ids": [invoice.pk, 999999]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"invoice_ids": ["Unknown invoices: 999999."]}
    assert PostingBatch.objects.count() == 0


def test_the_schema_names_the_posting_paths(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in (
        "/api/v1/invoices/{id}/post/",
        "/api/v1/invoices/{id}/proposal/",
        "/api/v1/invoices/post-selected/",
        "/api/v1/posting-batches/{id}/",
    ):
        assert path in paths, path


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="invoicing", codename__in=codenames)


@pytest.mark.django_db(transaction=True)
def test_post_selected_with_the_queue_down_is_503_and_leaves_nothing_running(
    client, billing, no_accrual, monkeypatch
):
    """The broker is what leaves the process: stand-in for it being down. A real commit (no
    test transaction), so the task is sent inside the request as in production."""
    from kombu.exceptions import OperationalError

    from invoicing.tasks import post_invoice_batch

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(post_invoice_batch, "delay", unreachable)
    invoice = confirmed(billing, "8")

    response = client.post(
        f"{INVOICES}post-selected/", {"invoice_ids": [invoice.pk]}, format="json"
    )

    message = (
        "The task queue could not be reached, so the batch did not start (Error 111 connecting "
        "to 127.0.0.1:6399. Connection refused.). Start it again when the queue is back."
    )
    assert (response.status_code, response["Retry-After"]) == (503, "30")
    assert response.json()["detail"] == message
    batch = PostingBatch.objects.get()
    assert (batch.status, batch.message) == (RunStatus.FAILED, message)
    assert Invoice.objects.get(pk=invoice.pk).status == "confirmed"
