"""The billing API: backlog (filters, totals, bulk actions), invoices (create, edit, confirm,
correct, delete), invoice runs. Exact values from the billing world of ``conftest.py``
(8 h × 200 = 1,600 EUR a day of work)."""

import datetime as dt
from decimal import Decimal as D

import pytest

from actuals.models import Actual, ActualBilling, BillingStatus
from invoicing.models import Invoice, InvoiceDetail, InvoiceRun, InvoiceStatus, RunStatus
from invoicing.services import create_invoice_for_contract
from tests.factories import ProjectFactory

from .conftest import AT, make_contract

pytestmark = pytest.mark.django_db

BACKLOG = "/api/v1/backlog/"
INVOICES = "/api/v1/invoices/"
RUNS = "/api/v1/invoice-runs/"


@pytest.fixture
def client(api_client, billing):
    api_client.force_authenticate(billing.manager)
    return api_client


def create_draft(billing) -> Invoice:
    result = create_invoice_for_contract(
        contract=billing.contract,
        up_to=None,
        invoice_date=dt.date(2026, 3, 31),
        by=billing.manager,
        now=AT,
    )
    return Invoice.objects.get(pk=next(iter(result.invoice_ids)))


def statuses(actuals):
    return [ActualBilling.objects.get(pk=a.pk).status for a in actuals]


# --- backlog ----------------------------------------------------------------------------------


def test_backlog_lists_items_with_totals_of_the_filtered_set(client, billing):
    [first] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    [second] = billing.approve("4", day=dt.date(2026, 3, 3))

    response = client.get(BACKLOG)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [
        (r["id"], r["quantity"], r["amount"], r["billing_status"]) for r in body["results"]
    ] == [
        (first.pk, "8.00", "1600.00", "ready"),
        (second.pk, "4.00", "800.00", "not_ready"),
    ]
    assert body["totals"] == {
        "count": 2,
        "currencies": [{"currency": "EUR", "count": 2, "hours": "12.00", "amount": "2400.00"}],
    }
    assert body["results"][0]["contract_number"] == "K-001"
    assert body["results"][0]["project_code"] == "P-ACME"


def test_backlog_filters_and_orders(client, billing):
    [first] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    [second] = billing.approve("4", day=dt.date(2026, 3, 3))

    ready = client.get(BACKLOG, {"billing_status": "ready"}).json()
    later = client.get(BACKLOG, {"date_from": "2026-03-03", "date_to": "2026-03-31"}).json()
    by_amount = client.get(BACKLOG, {"ordering": "amount"}).json()
    of_contract = client.get(
        BACKLOG,
        {
            "contract": billing.contract.pk,
            "project": billing.project.pk,
            "transaction_class": "time",
        },
    ).json()
    nte_failed = client.get(BACKLOG, {"nte_failed": "true"}).json()

    assert [r["id"] for r in ready["results"]] == [first.pk]
    assert ready["totals"]["currencies"][0]["amount"] == "1600.00"
    assert [r["id"] for r in later["results"]] == [second.pk]
    assert later["totals"] == {
        "count": 1,
        "currencies": [{"currency": "EUR", "count": 1, "hours": "4.00", "amount": "800.00"}],
    }
    assert [r["id"] for r in by_amount["results"]] == [second.pk, first.pk]
    assert of_contract["count"] == 2
    assert nte_failed == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
        "totals": {"count": 0, "currencies": []},
    }


def test_backlog_pages_with_limit_and_offset(client, billing):
    rows = [billing.approve("1", day=dt.date(2026, 3, d))[0] for d in (2, 3, 4)]

    body = client.get(BACKLOG, {"limit": 2, "offset": 2}).json()

    assert body["count"] == 3
    assert [r["id"] for r in body["results"]] == [rows[2].pk]
    assert body["totals"]["count"] == 3


def test_another_manager_sees_an_empty_backlog(api_client, billing, other_project_manager):
    billing.approve("8")
    api_client.force_authenticate(other_project_manager)

    body = api_client.get(BACKLOG).json()

    assert body["count"] == 0


def test_a_team_member_may_not_read_the_backlog(api_client, billing, team_member):
    api_client.force_authenticate(team_member)

    assert api_client.get(BACKLOG).status_code == 403


def test_mark_ready_and_not_ready(client, billing):
    [first] = billing.approve("8", day=dt.date(2026, 3, 2))
    [second] = billing.approve("4", day=dt.date(2026, 3, 3))

    response = client.post(f"{BACKLOG}mark-ready/", {"ids": [first.pk, second.pk]}, format="json")

    assert response.status_code == 200
    assert response.json() == {"changed": 2, "detail": "2 items marked ready to invoice."}
    assert statuses([first, second]) == ["ready", "ready"]

    response = client.post(f"{BACKLOG}mark-not-ready/", {"ids": [second.pk]}, format="json")

    assert response.json() == {"changed": 1, "detail": "1 item marked not ready."}
    assert statuses([first, second]) == ["ready", "not_ready"]


def test_mark_ready_refuses_an_nte_failed_item_and_changes_nothing(client, billing):
    [ok] = billing.approve("8", day=dt.date(2026, 3, 2))
    [failed] = billing.approve("4", day=dt.date(2026, 3, 3))
    ActualBilling.objects.filter(pk=failed.pk).update(
        nte_status="failed", nte_failed_level="line", nte_message="x"
    )

    response = client.post(f"{BACKLOG}mark-ready/", {"ids": [ok.pk, failed.pk]}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"1 item failed its not-to-exceed limit and cannot be marked ready ({failed.pk}): "
        "raise the limit and re-evaluate, or write it off."
    )
    assert statuses([ok, failed]) == ["not_ready", "not_ready"]
    # ... and the item stays visible in the backlog, filterable as NTE failed.
    assert [r["id"] for r in client.get(BACKLOG, {"nte_failed": "true"}).json()["results"]] == [
        failed.pk
    ]


def test_write_off_needs_a_reason_and_keeps_it(client, billing):
    [item] = billing.approve("8")

    refused = client.post(f"{BACKLOG}write-off/", {"ids": [item.pk], "reason": " "}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"reason": ["Say why these items are written off."]}
    assert statuses([item]) == ["not_ready"]

    response = client.post(
        f"{BACKLOG}write-off/", {"ids": [item.pk], "reason": "Goodwill"}, format="json"
    )

    assert response.json() == {"changed": 1, "detail": "1 item written off."}
    written = Actual.objects.get(pk=item.pk)
    assert (written.billing.status, written.billing.write_off_reason) == ("written_off", "Goodwill")
    assert client.get(BACKLOG).json()["count"] == 0


def test_bulk_actions_on_another_managers_items_are_unknown(
    api_client, billing, other_project_manager
):
    [item] = billing.approve("8")
    api_client.force_authenticate(other_project_manager)

    response = api_client.post(f"{BACKLOG}mark-ready/", {"ids": [item.pk]}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"ids": [f"Unknown backlog items: {item.pk}."]}
    assert statuses([item]) == ["not_ready"]


# --- creating and confirming ------------------------------------------------------------------


def test_create_invoice_via_the_api_then_confirm(client, billing):
    [item] = billing.approve_ready("8")

    created = client.post(
        f"/api/v1/contracts/{billing.contract.pk}/create-invoice/",
        {"invoice_date": "2026-03-31"},
        format="json",
    )

    assert created.status_code == 201
    body = created.json()
    [invoice_id] = body["invoices"]
    assert body == {
        "invoices": [invoice_id],
        "items": 1,
        "amounts": {"EUR": "1600.00"},
        "detail": "1 invoice created or extended with 1 item.",
    }
    assert statuses([item]) == ["on_draft"]

    invoice = client.get(f"{INVOICES}{invoice_id}/").json()
    assert invoice["status"] == "draft"
    assert invoice["invoice_date"] == "2026-03-31"
    assert invoice["totals"] == {
        "net": "1600.00",
        "vat": "336.00",
        "gross": "1936.00",
        "vat_rows": [
            {
                "code": "V21",
                "name": invoice["totals"]["vat_rows"][0]["name"],
                "rate": "21.00",
                "base": "1600.00",
                "vat": "336.00",
            }
        ],
        "vat_problems": [],
    }
    assert [
        (d["kind"], d["quantity"], d["unit_price"], d["amount"]) for d in invoice["details"]
    ] == [("time_and_material", "8.00", "200.0000", "1600.00")]
    assert [(ln["amount"]) for ln in invoice["lines"]] == ["1600.00"]
    assert invoice["actions"] == ["edit", "delete", "confirm"]

    confirmed = client.post(
        f"{INVOICES}{invoice_id}/confirm/", {"version": invoice["version"]}, format="json"
    )

    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["actions"] == ["correct"]
    assert Invoice.objects.get(pk=invoice_id).status == InvoiceStatus.CONFIRMED
    assert statuses([item]) == ["invoiced"]


def test_create_invoice_with_nothing_ready_creates_nothing(client, billing):
    billing.approve("8")  # not ready

    response = client.post(
        f"/api/v1/contracts/{billing.contract.pk}/create-invoice/", {}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["items"] == 0
    assert response.json()["detail"] == "Nothing was ready to invoice: no invoice was created."
    assert Invoice.objects.count() == 0


def test_create_invoice_up_to_a_date(client, billing):
    [early] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    [late] = billing.approve_ready("4", day=dt.date(2026, 3, 4))

    response = client.post(
        f"/api/v1/contracts/{billing.contract.pk}/create-invoice/",
        {"up_to": "2026-03-03", "invoice_date": "2026-03-31"},
        format="json",
    )

    assert response.json()["amounts"] == {"EUR": "1600.00"}
    assert statuses([early, late]) == ["on_draft", "ready"]


def test_create_invoice_on_another_managers_contract_is_404(
    api_client, billing, other_project_manager
):
    billing.approve_ready("8")
    api_client.force_authenticate(other_project_manager)

    response = api_client.post(
        f"/api/v1/contracts/{billing.contract.pk}/create-invoice/", {}, format="json"
    )

    assert response.status_code == 404
    assert Invoice.objects.count() == 0


def test_invoice_the_selection(client, billing):
    [chosen] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    [other] = billing.approve_ready("4", day=dt.date(2026, 3, 3))

    response = client.post(
        f"{INVOICES}from-selection/",
        {"actual_ids": [chosen.pk], "invoice_date": "2026-03-31"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["items"] == 1
    assert statuses([chosen, other]) == ["on_draft", "ready"]


def test_invoice_the_selection_refuses_ids_of_another_manager(
    api_client, billing, other_project_manager
):
    [item] = billing.approve_ready("8")
    api_client.force_authenticate(other_project_manager)

    response = api_client.post(
        f"{INVOICES}from-selection/", {"actual_ids": [item.pk]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"actual_ids": [f"Unknown backlog items: {item.pk}."]}
    assert statuses([item]) == ["ready"]


def test_confirming_a_confirmed_invoice_is_409(client, billing):
    billing.approve_ready("8")
    invoice = create_draft(billing)
    assert client.post(f"{INVOICES}{invoice.pk}/confirm/", {}, format="json").status_code == 200
    before = Actual.objects.count()

    response = client.post(f"{INVOICES}{invoice.pk}/confirm/", {}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Invoice {invoice.reference} is Confirmed; only a draft or in-review invoice can be confirmed.",
        "errors": {},
    }
    assert Actual.objects.count() == before


def test_editing_a_confirmed_invoice_is_409(client, billing):
    billing.approve_ready("8")
    invoice = create_draft(billing)
    client.post(f"{INVOICES}{invoice.pk}/confirm/", {}, format="json")
    invoice.refresh_from_db()
    detail = invoice.details.get()

    header = client.patch(
        f"{INVOICES}{invoice.pk}/",
        {"version": invoice.version, "description": "Changed"},
        format="json",
    )
    line = client.patch(
        f"{INVOICES}{invoice.pk}/details/{detail.pk}/",
        {"version": invoice.version, "quantity": "6"},
        format="json",
    )
    removed = client.delete(
        f"{INVOICES}{invoice.pk}/details/{detail.pk}/?version={invoice.version}"
    )
    deleted = client.delete(f"{INVOICES}{invoice.pk}/")

    message = f"Invoice {invoice.reference} is Confirmed and can no longer be changed."
    assert [r.status_code for r in (header, line, removed, deleted)] == [409, 409, 409, 409]
    assert header.json()["detail"] == message
    invoice.refresh_from_db()
    assert (invoice.description, invoice.status) == ("", "confirmed")
    assert InvoiceDetail.objects.get(pk=detail.pk).quantity == D("8.00")


def test_a_negative_quantity_is_400_naming_quantity(client, billing):
    billing.approve_ready("8")
    invoice = create_draft(billing)
    detail = invoice.details.get()

    response = client.patch(
        f"{INVOICES}{invoice.pk}/details/{detail.pk}/",
        {"version": invoice.version, "quantity": "-1"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "quantity: A quantity may not be negative.",
        "errors": {"quantity": ["A quantity may not be negative."]},
    }
    detail.refresh_from_db()
    assert (detail.quantity, detail.amount) == (D("8.00"), D("1600.00"))
    assert Invoice.objects.get(pk=invoice.pk).version == invoice.version


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        (
            {"quantity": "1000000000000000"},
            {"quantity": ["Ensure that there are no more than 12 digits in total."]},
        ),
        (
            {"quantity": "99999999", "unit_price": "9999999999999999"},
            {"unit_price": ["Quantity × unit price is too large an amount."]},
        ),
    ],
)
def test_numbers_too_large_to_keep_are_400_and_change_nothing(client, billing, change, errors):
    billing.approve_ready("8")
    invoice = create_draft(billing)
    detail = invoice.details.get()

    response = client.patch(
        f"{INVOICES}{invoice.pk}/details/{detail.pk}/",
        {"version": invoice.version, **change},
        format="json",
    )

    assert (response.status_code, response.json()["errors"]) == (400, errors)
    detail.refresh_from_db()
    assert (detail.quantity, detail.amount) == (D("8.00"), D("1600.00"))


def test_editing_a_detail_recomputes_the_amount_and_raises_the_version(client, billing):
    billing.approve_ready("8")
    invoice = create_draft(billing)
    detail = invoice.details.get()

    response = client.patch(
        f"{INVOICES}{invoice.pk}/details/{detail.pk}/",
        {"version": invoice.version, "quantity": "6", "external_description": "Design"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == invoice.version + 1
    assert [(d["quantity"], d["amount"], d["external_description"]) for d in body["details"]] == [
        ("6.00", "1200.00", "Design")
    ]
    assert body["totals"]["net"] == "1200.00"


def test_a_stale_version_is_409_with_the_message(client, billing):
    billing.approve_ready("8")
    invoice = create_draft(billing)
    first = client.patch(
        f"{INVOICES}{invoice.pk}/",
        {"version": invoice.version, "customer_reference": "PO-1"},
        format="json",
    )
    assert first.status_code == 200

    second = client.patch(
        f"{INVOICES}{invoice.pk}/",
        {"version": invoice.version, "customer_reference": "PO-2"},
        format="json",
    )

    assert second.status_code == 409
    assert second.json()["detail"] == (
        f"Invoice {invoice.reference} was changed by someone else after you opened it. "
        "Reload it to see their changes, then make yours again."
    )
    assert Invoice.objects.get(pk=invoice.pk).customer_reference == "PO-1"


def test_the_header_needs_a_version(client, billing):
    billing.approve_ready("8")
    invoice = create_draft(billing)

    response = client.patch(f"{INVOICES}{invoice.pk}/", {"description": "x"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["version"]


def test_removing_a_detail_and_deleting_a_draft_return_items_to_ready(client, billing):
    [first] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    [second] = billing.approve_ready("4", day=dt.date(2026, 3, 3))
    invoice = create_draft(billing)
    detail = invoice.details.get(actual=first)

    removed = client.delete(
        f"{INVOICES}{invoice.pk}/details/{detail.pk}/?version={invoice.version}"
    )

    assert removed.status_code == 200
    assert removed.json()["totals"]["net"] == "800.00"
    assert statuses([first, second]) == ["ready", "on_draft"]

    deleted = client.delete(f"{INVOICES}{invoice.pk}/")

    assert deleted.status_code == 204
    assert not Invoice.objects.filter(pk=invoice.pk).exists()
    assert statuses([first, second]) == ["ready", "ready"]


def test_correcting_more_than_was_billed_is_400(client, billing):
    billing.approve_ready("8")
    invoice = create_draft(billing)
    client.post(f"{INVOICES}{invoice.pk}/confirm/", {}, format="json")
    detail = invoice.details.get()

    response = client.post(
        f"{INVOICES}{invoice.pk}/correct/",
        {"details": [{"id": detail.pk, "remaining_quantity": "9"}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        f"details[{detail.pk}]": ["Only 8.00 is billed: you cannot correct more than is billed."]
    }
    assert Invoice.objects.filter(corrects=invoice).count() == 0


def test_correcting_returns_a_credit_note(client, billing):
    billing.approve_ready("8")
    invoice = create_draft(billing)
    client.post(f"{INVOICES}{invoice.pk}/confirm/", {}, format="json")
    detail = invoice.details.get()

    response = client.post(
        f"{INVOICES}{invoice.pk}/correct/",
        {"details": [{"id": detail.pk, "remaining_quantity": "6"}], "invoice_date": "2026-04-01"},
        format="json",
    )

    assert response.status_code == 201
    credit = response.json()
    assert (credit["corrects"], credit["status"], credit["invoice_date"]) == (
        invoice.pk,
        "draft",
        "2026-04-01",
    )
    assert [(d["quantity"], d["amount"]) for d in credit["details"]] == [("-2.00", "-400.00")]
    assert credit["totals"]["net"] == "-400.00"


def test_correcting_a_draft_is_409(client, billing):
    billing.approve_ready("8")
    invoice = create_draft(billing)

    response = client.post(f"{INVOICES}{invoice.pk}/correct/", {}, format="json")

    assert response.status_code == 409
    assert Invoice.objects.count() == 1


def test_a_manager_gets_404_on_another_managers_invoice(api_client, billing, other_project_manager):
    billing.approve_ready("8")
    invoice = create_draft(billing)
    api_client.force_authenticate(other_project_manager)

    assert api_client.get(f"{INVOICES}{invoice.pk}/").status_code == 404
    assert api_client.post(f"{INVOICES}{invoice.pk}/confirm/", {}, format="json").status_code == 404
    assert api_client.delete(f"{INVOICES}{invoice.pk}/").status_code == 404
    assert api_client.get(INVOICES).json()["count"] == 0
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT


def test_the_invoice_list_filters_by_status_contract_and_customer(client, billing, project_manager):
    billing.approve_ready("8")
    draft = create_draft(billing)
    other_project = ProjectFactory(
        code="P-TWO",
        customer=billing.project.customer,
        project_manager=project_manager,
        legal_entity=billing.project.legal_entity,
    )
    second = make_contract(project=other_project, manager=project_manager, number="K-002")
    billing.approve_ready("2", project=other_project)
    create_invoice_for_contract(
        contract=second, up_to=None, invoice_date=dt.date(2026, 3, 31), by=billing.manager, now=AT
    )

    every = client.get(INVOICES).json()
    of_second = client.get(INVOICES, {"contract": second.pk}).json()
    confirmed = client.get(INVOICES, {"status": "confirmed"}).json()
    of_customer = client.get(INVOICES, {"customer": billing.project.customer.pk}).json()

    assert every["count"] == 2
    assert [(r["contract_number"], r["net"]) for r in of_second["results"]] == [("K-002", "400.00")]
    assert confirmed["count"] == 0
    assert of_customer["count"] == 2
    assert {r["id"] for r in every["results"]} >= {draft.pk}


# --- invoice runs -----------------------------------------------------------------------------


def test_a_malformed_run_date_is_400_naming_run_date(client, billing):
    response = client.post(RUNS, {"run_date": "2026-13-01"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["run_date"]
    assert response.json()["detail"].startswith("run_date: ")
    assert InvoiceRun.objects.count() == 0


def test_starting_a_run_records_it_and_queues_the_task(
    client, billing, django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(RUNS, {"run_date": "2026-03-31"}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert (body["run_date"], body["trigger"], body["status"]) == ("2026-03-31", "api", "running")
    assert len(callbacks) == 1
    run = InvoiceRun.objects.get(pk=body["id"])
    assert run.status == RunStatus.DONE
    assert client.get(f"{RUNS}{run.pk}/").json()["status"] == "done"
    assert [r["id"] for r in client.get(RUNS).json()["results"]] == [run.pk]


def test_a_team_member_may_not_start_a_run(api_client, team_member):
    api_client.force_authenticate(team_member)

    assert api_client.post(RUNS, {"run_date": "2026-03-31"}, format="json").status_code == 403
    assert InvoiceRun.objects.count() == 0


def test_the_schema_documents_the_billing_api(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/backlog/",
        "/api/v1/backlog/mark-ready/",
        "/api/v1/backlog/write-off/",
        "/api/v1/invoices/",
        "/api/v1/invoices/{id}/",
        "/api/v1/invoices/{id}/details/{detail_id}/",
        "/api/v1/invoices/{id}/confirm/",
        "/api/v1/invoices/{id}/correct/",
        "/api/v1/invoices/from-selection/",
        "/api/v1/contracts/{id}/create-invoice/",
        "/api/v1/invoice-runs/",
    ):
        assert path in paths, path


def test_backlog_marks_are_not_lost_in_a_billing_status_race(client, billing):
    """An item put on a draft meanwhile is refused by mark-not-ready, with the reason."""
    [item] = billing.approve_ready("8")
    create_draft(billing)

    response = client.post(f"{BACKLOG}mark-not-ready/", {"ids": [item.pk]}, format="json")

    assert response.status_code == 409
    assert (
        response.json()["detail"]
        == f"1 item is already on an invoice, written off or cancelled ({item.pk})."
    )
    assert ActualBilling.objects.get(pk=item.pk).status == BillingStatus.ON_DRAFT
