"""The billing pages: backlog (rows, filters, totals, bulk actions, create invoice), milestones,
drafts, the invoice page with its forms and transitions. Exact values from the billing world
of ``conftest.py`` (8 h × 200 = 1,600 EUR)."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from actuals.models import Actual, ActualBilling
from actuals.services.billing import mark_milestones_ready
from contracts import models as c
from contracts.services import create_milestone
from invoicing.models import Invoice, InvoiceDetail, InvoiceStatus
from invoicing.services import confirm_invoice, create_invoice_for_contract
from tests.factories import ProjectFactory

from .conftest import AT, make_contract

pytestmark = pytest.mark.django_db

BACKLOG = reverse("invoicing:backlog")


@pytest.fixture
def manager_client(client, billing):
    client.force_login(billing.manager)
    return client


def row_ids(html: str, group: str = "backlog") -> list[int]:
    return [
        int(m)
        for m in re.findall(
            rf'name="ids" value="(\d+)" id="[a-z]+-\d+" data-select-item="{group}"', html
        )
    ]


def texts(response) -> list[str]:
    """The messages this request added (not ones left unread by earlier requests)."""
    return [str(m) for m in get_messages(response.wsgi_request)._queued_messages]


def statuses(actuals) -> list[str]:
    return [ActualBilling.objects.get(pk=a.pk).status for a in actuals]


def create_draft(billing) -> Invoice:
    result = create_invoice_for_contract(
        contract=billing.contract,
        up_to=None,
        invoice_date=dt.date(2026, 3, 31),
        by=billing.manager,
        now=AT,
    )
    return Invoice.objects.get(pk=next(iter(result.invoice_ids)))


# --- backlog ----------------------------------------------------------------------------------


def test_the_backlog_lists_my_items_with_totals(manager_client, billing):
    [first] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    [second] = billing.approve("4", day=dt.date(2026, 3, 3))

    response = manager_client.get(BACKLOG)

    assert response.status_code == 200
    html = response.content.decode()
    assert row_ids(html) == [first.pk, second.pk]
    assert '<span class="stat-value">2</span>' in html
    assert "2,400.00 EUR" in html
    assert "1,600.00 EUR" in html  # the first row's amount
    assert 'data-amount="1600.00" data-currency="EUR"' in html
    assert 'data-selected-count="backlog"' in html and 'data-selected-sum="backlog"' in html
    # The contract has ready items: its "Create invoice" form is offered.
    assert reverse("invoicing:create-invoice", args=[billing.contract.pk]) in html


def test_the_backlog_filters_and_sorts(manager_client, billing):
    [first] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    [second] = billing.approve("4", day=dt.date(2026, 3, 3))

    ready = manager_client.get(BACKLOG, {"billing_status": "ready"}).content.decode()
    later = manager_client.get(BACKLOG, {"date_from": "2026-03-03"}).content.decode()
    by_amount_desc = manager_client.get(BACKLOG, {"sort": "-amount"}).content.decode()
    nte_failed = manager_client.get(BACKLOG, {"nte_failed": "yes"}).content.decode()

    assert row_ids(ready) == [first.pk]
    assert "1,600.00 EUR" in ready and "2,400.00" not in ready
    assert row_ids(later) == [second.pk]
    assert row_ids(by_amount_desc) == [first.pk, second.pk]
    assert row_ids(nte_failed) == []
    assert "Nothing in the backlog matches." in nte_failed


def test_the_backlog_filters_by_a_typed_contract_and_suggests_only_mine(
    manager_client, billing, other_project_manager
):
    """No list of every contract in the page: the box takes a contract number, suggested as the
    user types from the contracts the user may see."""
    [mine] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    theirs = make_contract(
        project=billing.project, manager=other_project_manager, number="K-OTHER-1"
    )
    page = manager_client.get(BACKLOG).content.decode()
    assert 'name="contract"' in page and 'list="id_contract-options"' in page
    assert "K-OTHER-1" not in page and '<select name="contract"' not in page

    number = billing.contract.number
    filtered = manager_client.get(BACKLOG, {"contract": number}).content.decode()
    assert row_ids(filtered) == [mine.pk]
    assert f'value="{number}"' in filtered

    refused = manager_client.get(BACKLOG, {"contract": theirs.number}).content.decode()
    assert "Nothing matches “K-OTHER-1”: pick one of the suggestions." in refused
    assert row_ids(refused) == [mine.pk]  # an invalid filter is ignored, said beside the box

    suggest = reverse("invoicing:suggest", args=["contract"])
    offered = manager_client.get(suggest, {"contract": number[:3]}).content.decode()
    assert offered == f'<option value="{number}">{billing.contract}</option>\n'
    assert manager_client.get(suggest, {"contract": "K-OTHER"}).content.decode() == ""
    assert manager_client.get(reverse("invoicing:suggest", args=["status"])).status_code == 404


def test_the_backlog_pages_by_50(manager_client, billing):
    items = [
        billing.approve("1", day=dt.date(2026, 1, 5) + dt.timedelta(days=i))[0] for i in range(51)
    ]

    first_page = manager_client.get(BACKLOG).content.decode()
    second_page = manager_client.get(BACKLOG, {"page": 2}).content.decode()

    assert row_ids(first_page) == [a.pk for a in items[:50]]
    assert row_ids(second_page) == [items[50].pk]
    assert "51–51 of 51" in second_page


def test_bulk_mark_ready_marks_the_selection(manager_client, billing):
    [first] = billing.approve("8", day=dt.date(2026, 3, 2))
    [second] = billing.approve("4", day=dt.date(2026, 3, 3))
    [untouched] = billing.approve("2", day=dt.date(2026, 3, 4))

    response = manager_client.post(
        f"{BACKLOG}?billing_status=not_ready", {"ids": [first.pk, second.pk], "action": "ready"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{BACKLOG}?billing_status=not_ready"
    assert texts(response) == ["2 items marked ready to invoice."]
    assert statuses([first, second, untouched]) == ["ready", "ready", "not_ready"]

    response = manager_client.post(BACKLOG, {"ids": [second.pk], "action": "not_ready"})

    assert texts(response) == ["1 item marked not ready."]
    assert statuses([first, second]) == ["ready", "not_ready"]


def test_bulk_mark_ready_does_what_it_can_and_says_what_it_skipped(manager_client, billing):
    [ok] = billing.approve("8", day=dt.date(2026, 3, 2))
    [failed] = billing.approve("4", day=dt.date(2026, 3, 3))
    ActualBilling.objects.filter(pk=failed.pk).update(
        nte_status="failed", nte_failed_level="line", nte_message="x"
    )

    response = manager_client.post(BACKLOG, {"ids": [ok.pk, failed.pk], "action": "ready"})

    assert texts(response) == [
        "1 item marked ready to invoice.",
        f"Skipped: 1 item failed its not-to-exceed limit and cannot be marked ready "
        f"({failed.pk}): raise the limit and re-evaluate, or write it off.",
    ]
    assert statuses([ok, failed]) == ["ready", "not_ready"]
    assert "NTE failed" in manager_client.get(BACKLOG).content.decode()


def test_bulk_mark_ready_over_everything_the_filters_select(manager_client, billing):
    """Not only the page: every item the filters select, across pages; rows that cannot
    change (on a draft) are skipped and reported."""
    [on_draft] = billing.approve_ready("2", day=dt.date(2026, 3, 2))
    create_draft(billing)
    items = [billing.approve("1", day=dt.date(2026, 3, 3))[0] for _ in range(3)]
    [later] = billing.approve("5", day=dt.date(2026, 3, 20))
    url = f"{BACKLOG}?date_to=2026-03-10"
    page = manager_client.get(url).content.decode()
    assert "All 4 items these filters select:" in page

    response = manager_client.post(url, {"everything": "1", "action": "ready"})

    assert response["Location"] == url
    assert texts(response) == [
        "3 items marked ready to invoice.",
        f"Skipped: 1 item is already on an invoice, written off or cancelled ({on_draft.pk}).",
    ]
    assert statuses([*items, on_draft, later]) == [
        "ready",
        "ready",
        "ready",
        "on_draft",
        "not_ready",
    ]


def test_bulk_write_off_keeps_the_reason(manager_client, billing):
    [item] = billing.approve("8")

    refused = manager_client.post(BACKLOG, {"ids": [item.pk], "action": "write_off", "reason": ""})
    assert texts(refused) == ["reason: Say why these items are written off."]
    assert statuses([item]) == ["not_ready"]

    response = manager_client.post(
        BACKLOG, {"ids": [item.pk], "action": "write_off", "reason": "Goodwill"}
    )

    assert texts(response) == ["1 item written off."]
    written = Actual.objects.get(pk=item.pk)
    assert (written.billing.status, written.billing.write_off_reason) == ("written_off", "Goodwill")


def test_invoice_the_selection_opens_the_new_draft(manager_client, billing):
    [chosen] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    [other] = billing.approve_ready("4", day=dt.date(2026, 3, 3))

    response = manager_client.post(
        BACKLOG, {"ids": [chosen.pk], "action": "invoice", "invoice_date": "2026-03-31"}
    )

    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("invoicing:invoice-detail", args=[invoice.pk])
    assert texts(response) == ["1 invoice created with 1 item"]
    assert statuses([chosen, other]) == ["on_draft", "ready"]
    assert invoice.invoice_date == dt.date(2026, 3, 31)


def test_create_invoice_on_a_contract_up_to_a_date(manager_client, billing):
    [early] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    [late] = billing.approve_ready("4", day=dt.date(2026, 3, 4))

    response = manager_client.post(
        reverse("invoicing:create-invoice", args=[billing.contract.pk]),
        {"up_to": "2026-03-03", "invoice_date": "2026-03-31", "next": BACKLOG},
    )

    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("invoicing:invoice-detail", args=[invoice.pk])
    assert texts(response) == ["1 invoice created with 1 item"]
    assert statuses([early, late]) == ["on_draft", "ready"]


def test_create_invoice_with_nothing_ready_says_so(manager_client, billing):
    billing.approve("8")

    response = manager_client.post(
        reverse("invoicing:create-invoice", args=[billing.contract.pk]), {"next": BACKLOG}
    )

    assert response["Location"] == BACKLOG
    assert texts(response) == ["Nothing was ready to invoice: no invoice was created."]
    assert Invoice.objects.count() == 0


def test_another_manager_sees_none_of_it(client, billing, other_project_manager):
    [item] = billing.approve_ready("8")
    invoice = create_draft(billing)
    client.force_login(other_project_manager)

    assert row_ids(client.get(BACKLOG).content.decode()) == []
    assert client.get(reverse("invoicing:invoice-detail", args=[invoice.pk])).status_code == 404
    assert client.post(reverse("invoicing:invoice-confirm", args=[invoice.pk])).status_code == 404
    assert (
        client.post(reverse("invoicing:create-invoice", args=[billing.contract.pk])).status_code
        == 404
    )
    response = client.post(BACKLOG, {"ids": [item.pk], "action": "not_ready"})
    assert texts(response) == [f"ids: Unknown backlog items: {item.pk}."]
    assert statuses([item]) == ["on_draft"]
    assert Invoice.objects.get().status == InvoiceStatus.DRAFT


def test_a_team_member_may_not_open_the_billing_pages(client, team_member):
    client.force_login(team_member)

    for name in (
        "invoicing:backlog",
        "invoicing:drafts",
        "invoicing:invoice-list",
        "invoicing:run-list",
    ):
        assert client.get(reverse(name)).status_code == 403, name


# --- milestones -------------------------------------------------------------------------------


@pytest.fixture
def milestone(billing, project_manager):
    project = ProjectFactory(
        code="P-FP",
        customer=billing.project.customer,
        project_manager=project_manager,
        legal_entity=billing.project.legal_entity,
    )
    contract = make_contract(
        project=project, manager=project_manager, method=c.BillingMethod.FIXED_PRICE, number="FP-1"
    )
    [row] = create_milestone(
        line=contract.lines.get(),
        name="Go-live",
        milestone_date=dt.date(2026, 3, 1),
        amount=D("5000"),
    )
    return row


def test_the_milestones_page_marks_ready_and_invoices(manager_client, milestone):
    page = manager_client.get(reverse("invoicing:milestones")).content.decode()
    assert row_ids(page, "milestones") == [milestone.pk]
    assert "Go-live" in page and "5,000.00 EUR" in page

    response = manager_client.post(
        reverse("invoicing:milestones"), {"ids": [milestone.pk], "action": "ready"}
    )

    assert texts(response) == ["1 milestone marked ready to invoice."]
    milestone.refresh_from_db()
    assert milestone.status == "ready"

    response = manager_client.post(
        reverse("invoicing:milestones"),
        {"ids": [milestone.pk], "action": "invoice", "invoice_date": "2026-03-31"},
    )

    assert texts(response)[-1] == "1 invoice created with 1 item"
    milestone.refresh_from_db()
    assert milestone.status == "on_draft"


def test_marking_an_invoiced_milestone_not_ready_is_refused(manager_client, billing, milestone):
    mark_milestones_ready(milestone_ids=[milestone.pk], by=None, at=AT)
    create_invoice_for_contract(
        contract=milestone.line.contract,
        up_to=None,
        invoice_date=dt.date(2026, 3, 31),
        by=billing.manager,
        now=AT,
    )

    response = manager_client.post(
        reverse("invoicing:milestones"), {"ids": [milestone.pk], "action": "not_ready"}
    )

    assert texts(response) == [
        "Milestone Go-live is On draft invoice and cannot be marked Not ready."
    ]
    milestone.refresh_from_db()
    assert milestone.status == "on_draft"


# --- drafts and the invoice page --------------------------------------------------------------


def test_drafts_to_finish_lists_my_open_drafts(manager_client, billing, project_manager):
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
    result = create_invoice_for_contract(
        contract=second, up_to=None, invoice_date=dt.date(2026, 3, 31), by=billing.manager, now=AT
    )
    confirmed = Invoice.objects.get(pk=next(iter(result.invoice_ids)))
    confirm_invoice(invoice=confirmed, by=billing.manager, at=AT)

    drafts = manager_client.get(reverse("invoicing:drafts")).content.decode()
    every = manager_client.get(reverse("invoicing:invoice-list")).content.decode()
    only_confirmed = manager_client.get(
        reverse("invoicing:invoice-list"), {"status": "confirmed"}
    ).content.decode()

    assert draft.reference in drafts and confirmed.reference not in drafts
    assert "1,600.00 EUR" in drafts
    assert draft.reference in every and confirmed.reference in every
    assert confirmed.reference in only_confirmed and draft.reference not in only_confirmed


def test_the_invoice_page_shows_details_totals_and_actions(manager_client, billing):
    billing.approve_ready("8")
    invoice = create_draft(billing)
    detail = invoice.details.get()

    response = manager_client.get(reverse("invoicing:invoice-detail", args=[invoice.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="detail-{detail.pk}"' in html
    assert "1,600.00 EUR" in html  # net
    assert "336.00 EUR" in html  # VAT 21 %
    assert "1,936.00 EUR" in html  # gross
    assert f'<input type="hidden" name="version" value="{invoice.version}"' in html
    assert reverse("invoicing:invoice-confirm", args=[invoice.pk]) in html
    assert reverse("invoicing:invoice-delete", args=[invoice.pk]) in html
    assert "data-confirm=" in html
    assert 'id="correct-form"' not in html
    assert "style=" not in html and "<script>" not in html


def test_editing_a_detail_on_the_page(manager_client, billing):
    billing.approve_ready("8")
    invoice = create_draft(billing)
    detail = invoice.details.get()
    url = reverse("invoicing:invoice-detail-edit", args=[invoice.pk, detail.pk])

    response = manager_client.post(
        url,
        {
            "version": invoice.version,
            "quantity": "6",
            "unit_price": "200",
            "billing_type": "chargeable",
            "description": "",
            "external_description": "Design",
        },
    )

    assert texts(response) == [f"Detail saved on invoice {invoice.reference}."]
    detail.refresh_from_db()
    assert (detail.quantity, detail.amount, detail.external_description) == (
        D("6.00"),
        D("1200.00"),
        "Design",
    )

    stale = manager_client.post(url, {"version": invoice.version, "quantity": "5"})

    assert texts(stale) == [
        f"Invoice {invoice.reference} was changed by someone else after you opened it. "
        "Reload it to see their changes, then make yours again."
    ]
    detail.refresh_from_db()
    assert detail.quantity == D("6.00")

    negative = manager_client.post(url, {"version": invoice.version + 1, "quantity": "-1"})

    assert texts(negative) == ["quantity: A quantity may not be negative."]


def test_header_fee_remove_and_delete_on_the_page(manager_client, billing):
    [first] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    [second] = billing.approve_ready("4", day=dt.date(2026, 3, 3))
    invoice = create_draft(billing)

    header = manager_client.post(
        reverse("invoicing:invoice-header", args=[invoice.pk]),
        {
            "version": invoice.version,
            "invoice_date": "2026-04-01",
            "customer_reference": "PO-7",
            "description": "March",
        },
    )
    assert texts(header) == [f"Invoice {invoice.reference} saved."]
    invoice.refresh_from_db()
    assert (invoice.invoice_date, invoice.customer_reference, invoice.description) == (
        dt.date(2026, 4, 1),
        "PO-7",
        "March",
    )

    fee = manager_client.post(
        reverse("invoicing:invoice-add-fee", args=[invoice.pk]),
        {
            "version": invoice.version,
            "contract_line": billing.contract.lines.get().pk,
            "description": "Setup",
            "quantity": "1",
            "unit_price": "250",
            "transaction_date": "2026-03-31",
        },
    )
    assert texts(fee) == [f"Fee added to invoice {invoice.reference}."]
    assert InvoiceDetail.objects.get(invoice=invoice, transaction_class="fee").amount == D("250.00")

    invoice.refresh_from_db()
    removed = manager_client.post(
        reverse(
            "invoicing:invoice-detail-remove",
            args=[invoice.pk, invoice.details.get(actual=first).pk],
        ),
        {"version": invoice.version},
    )
    assert texts(removed) == ["Detail removed; its item is back in the backlog, ready to invoice."]
    assert statuses([first, second]) == ["ready", "on_draft"]

    invoice.refresh_from_db()
    deleted = manager_client.post(
        reverse("invoicing:invoice-delete", args=[invoice.pk]), {"version": invoice.version}
    )

    assert deleted["Location"] == reverse("invoicing:drafts")
    assert texts(deleted) == [
        f"Draft {invoice.reference} deleted; its items are back in the backlog, ready to invoice."
    ]
    assert statuses([first, second]) == ["ready", "ready"]
    assert not Invoice.objects.filter(pk=invoice.pk).exists()


def test_confirm_then_correct_on_the_page(manager_client, billing):
    [item] = billing.approve_ready("8")
    invoice = create_draft(billing)
    detail = invoice.details.get()

    confirmed = manager_client.post(
        reverse("invoicing:invoice-confirm", args=[invoice.pk]), {"version": invoice.version}
    )

    assert texts(confirmed) == [f"Invoice {invoice.reference} confirmed."]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CONFIRMED
    assert statuses([item]) == ["invoiced"]
    page = manager_client.get(
        reverse("invoicing:invoice-detail", args=[invoice.pk])
    ).content.decode()
    assert 'id="correct-form"' in page
    assert reverse("invoicing:invoice-confirm", args=[invoice.pk]) not in page
    assert 'id="header-form"' not in page

    again = manager_client.post(reverse("invoicing:invoice-confirm", args=[invoice.pk]))
    assert texts(again) == [
        f"Invoice {invoice.reference} is Confirmed; only a draft or in-review invoice can be confirmed."
    ]

    too_much = manager_client.post(
        reverse("invoicing:invoice-correct", args=[invoice.pk]), {f"remaining-{detail.pk}": "9"}
    )
    assert texts(too_much) == [
        f"details[{detail.pk}]: Only 8.00 is billed: you cannot correct more than is billed."
    ]
    assert Invoice.objects.filter(corrects=invoice).count() == 0

    corrected = manager_client.post(
        reverse("invoicing:invoice-correct", args=[invoice.pk]), {f"remaining-{detail.pk}": "6"}
    )

    credit = Invoice.objects.get(corrects=invoice)
    assert corrected["Location"] == reverse("invoicing:invoice-detail", args=[credit.pk])
    assert texts(corrected) == [
        f"Credit note {credit.reference} created for invoice {invoice.reference}: check it, then confirm it."
    ]
    assert [(d.quantity, d.amount) for d in credit.details.all()] == [(D("-2.00"), D("-400.00"))]


def test_credit_everything_leaves_out_details_already_corrected(manager_client, billing):
    [first] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    [second] = billing.approve_ready("4", day=dt.date(2026, 3, 3))
    invoice = create_draft(billing)
    confirm_invoice(invoice=invoice, by=billing.manager, at=AT)
    url = reverse("invoicing:invoice-correct", args=[invoice.pk])
    first_detail = invoice.details.get(actual=first)
    manager_client.post(url, {f"remaining-{first_detail.pk}": "6"})

    response = manager_client.post(url, {"all": "1"})

    assert response.status_code == 302
    [partial, full] = Invoice.objects.filter(corrects=invoice).order_by("pk")
    assert [(d.credits_id, d.quantity) for d in partial.details.all()] == [
        (first_detail.pk, D("-2.00"))
    ]
    assert [(d.credits.actual_id, d.quantity, d.amount) for d in full.details.all()] == [
        (second.pk, D("-4.00"), D("-800.00"))
    ]


def test_confirm_refuses_unsaved_header_changes(manager_client, billing):
    billing.approve_ready("8")
    invoice = create_draft(billing)
    html = manager_client.get(reverse("invoicing:invoice-detail", args=[invoice.pk])).content
    assert b'form="header-form" formaction="/billing/invoices/' in html

    response = manager_client.post(
        reverse("invoicing:invoice-confirm", args=[invoice.pk]),
        {
            "version": invoice.version,
            "invoice_date": invoice.invoice_date.isoformat(),
            "customer_reference": "PO-9",  # typed, not saved
            "description": "",
        },
    )

    assert texts(response) == [
        "Unsaved changes to Customer reference / PO: save them or undo them first. The "
        "invoice was not confirmed."
    ]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.customer_reference) == (InvoiceStatus.DRAFT, "")
    manager_client.post(
        reverse("invoicing:invoice-confirm", args=[invoice.pk]),
        {
            "version": invoice.version,
            "invoice_date": invoice.invoice_date.isoformat(),
            "customer_reference": "",
            "description": "",
        },
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CONFIRMED


def test_confirm_selected_drafts_confirms_what_it_can_and_says_why_not(manager_client, billing):
    other = ProjectFactory(
        code="P-TWO",
        customer=billing.project.customer,
        legal_entity=billing.project.legal_entity,
        project_manager=billing.manager,
    )
    make_contract(project=other, manager=billing.manager, number="K-002")
    billing.approve_ready("8")
    billing.approve_ready("4", project=other)
    first = create_draft(billing)
    result = create_invoice_for_contract(
        contract=c.Contract.objects.get(number="K-002"),
        up_to=None,
        invoice_date=dt.date(2026, 3, 31),
        by=billing.manager,
        now=AT,
    )
    second = Invoice.objects.get(pk=next(iter(result.invoice_ids)))
    page = manager_client.get(reverse("invoicing:drafts")).content.decode()
    assert 'data-select-all="drafts"' in page and 'id="confirm-selected"' in page
    confirm_invoice(invoice=first, by=billing.manager, at=AT)  # meanwhile, in another tab

    response = manager_client.post(reverse("invoicing:drafts"), {"ids": [first.pk, second.pk]})

    assert texts(response) == [
        f"{first} not confirmed: Invoice {first} is Confirmed; only a draft or in-review "
        "invoice can be confirmed.",
        "1 invoice confirmed.",
    ]
    second.refresh_from_db()
    assert second.status == InvoiceStatus.CONFIRMED
