"""Write-offs reach the ledger; credits work on what is billed now, again and again; a credit
note can be corrected; WIP and its subledger stay equal all along (DOMAIN.md §5–6).

The billing world: 8 h × 200 = 1,600.00 EUR unbilled per entry, cost 100/h; the default Dutch
chart (1350 WIP – sales value, 8050 accrued revenue, 7900 WIP write-off, 8000 revenue, 1300
receivables, 1710 VAT 21 %)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from actuals.journal import import_actuals, source_key
from actuals.models import (
    Actual,
    ActualBilling,
    ActualType,
    BillingStatus,
    WipMovement,
)
from actuals.services.billing import (
    BillingStateError,
    mark_ready,
    reverse_write_off,
    write_off,
)
from actuals.wip import unbilled_wip_subledger
from invoicing.models import Invoice, InvoiceDetail, InvoiceStatus
from invoicing.queries import billed_now, correctable_details, invoice_totals
from invoicing.services import (
    InvoiceStateError,
    add_fee,
    confirm_invoice,
    create_correction,
    create_invoice_for_contract,
    post_invoice,
    update_detail,
)
from ledger.models import ExchangeRate, JournalLine, LedgerEntry, Period
from ledger.reports import trial_balance
from ledger.services import close_period

from .conftest import AT, DAY
from .test_posting import INVOICE_DATE, POSTED_AT, entry_lines, post_the_journal

pytestmark = pytest.mark.django_db

YEAR_END = dt.date(2026, 12, 31)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def balances(billing) -> dict[str, D]:
    rows = trial_balance(legal_entity=billing.project.legal_entity, on_date=YEAR_END).rows
    return {r.account.code: r.balance for r in rows if r.balance}


def wip_equals_subledger(billing) -> D:
    """The WIP account's balance, once checked against the project subledger."""
    wip = balances(billing).get("1350", D("0"))
    subledger = unbilled_wip_subledger(legal_entity=billing.project.legal_entity, on_date=YEAR_END)
    assert sum(subledger.values(), D("0")) == wip
    return wip


def write_off_one(billing, actual, reason="Goodwill: onboarding"):
    return write_off(
        actual_ids=[actual.pk], reason=reason, scope=Actual.objects.all(), by=billing.manager, at=AT
    )


# --- write-offs ---------------------------------------------------------------------------------


def test_a_write_off_posts_wip_out_and_its_reversal_puts_it_back(billing, accountant):
    [item] = billing.approve("8")
    post_the_journal(accountant)
    assert wip_equals_subledger(billing) == D("1600.00")

    assert write_off_one(billing, item) == 1

    assert ActualBilling.objects.get(pk=item.pk).status == BillingStatus.WRITTEN_OFF
    [movement] = WipMovement.objects.all()
    assert (movement.kind, movement.amount, movement.accounting_amount) == (
        "written_off",
        D("-1600.00"),
        D("-1600.00"),
    )
    entry = movement.entry
    assert (entry.entry_date, entry.memo) == (
        dt.date(2026, 3, 6),
        "Write-off of 1 backlog item: Goodwill: onboarding",
    )
    assert entry_lines(entry) == [
        ("7900", D("1600.00"), D("1600.00"), "P-ACME", None),
        ("1350", D("-1600.00"), D("-1600.00"), "P-ACME", None),
    ]
    assert wip_equals_subledger(billing) == D("0.00")
    assert balances(billing)["7900"] == D("1600.00")

    assert (
        reverse_write_off(
            actual_ids=[item.pk], scope=Actual.objects.all(), by=billing.manager, at=AT
        )
        == 1
    )

    billing_row = ActualBilling.objects.get(pk=item.pk)
    assert (billing_row.status, billing_row.write_off_reason) == (BillingStatus.NOT_READY, "")
    reversal = LedgerEntry.objects.get(memo=f"Reversal of write-off {entry.voucher_number}")
    assert reversal.entry_date == entry.entry_date
    assert entry_lines(reversal) == [
        ("1350", D("1600.00"), D("1600.00"), "P-ACME", None),
        ("7900", D("-1600.00"), D("-1600.00"), "P-ACME", None),
    ]
    assert wip_equals_subledger(billing) == D("1600.00")
    assert "7900" not in balances(billing)

    # Written off again, and invoiced after a second reversal: each step keeps WIP = subledger.
    write_off_one(billing, item, reason="Again")
    assert wip_equals_subledger(billing) == D("0.00")
    reverse_write_off(actual_ids=[item.pk], scope=Actual.objects.all(), by=billing.manager, at=AT)
    assert wip_equals_subledger(billing) == D("1600.00")


def test_a_write_off_is_reversible_only_while_its_period_is_open(billing, accountant):
    [item] = billing.approve("8")
    post_the_journal(accountant)
    write_off_one(billing, item)
    march = Period.objects.get(start_date=dt.date(2026, 3, 1))
    close_period(period=march, closed_by=accountant, closed_at=POSTED_AT)
    entries = LedgerEntry.objects.count()

    with pytest.raises(BillingStateError, match="which is closed: the write-off can no longer be"):
        reverse_write_off(
            actual_ids=[item.pk], scope=Actual.objects.all(), by=billing.manager, at=AT
        )

    assert ActualBilling.objects.get(pk=item.pk).status == BillingStatus.WRITTEN_OFF
    assert LedgerEntry.objects.count() == entries


def test_an_item_not_in_the_ledger_yet_is_taken_out_of_the_journal(billing, accountant):
    [item] = billing.approve("8")
    import_actuals(now=AT)  # its line is in a draft journal
    assert JournalLine.objects.filter(source_key=source_key(item.pk)).exists()

    write_off_one(billing, item)

    assert not JournalLine.objects.filter(source_key=source_key(item.pk)).exists()
    assert not WipMovement.objects.exists()
    assert import_actuals(now=AT).lines == 0  # never imported while written off
    post_the_journal(accountant)
    assert wip_equals_subledger(billing) == D("0.00")  # only the cost reached the ledger

    reverse_write_off(actual_ids=[item.pk], scope=Actual.objects.all(), by=billing.manager, at=AT)

    assert import_actuals(now=AT).lines == 1  # back in the journal
    post_the_journal(accountant)
    assert wip_equals_subledger(billing) == D("1600.00")


def test_a_write_off_clears_wip_at_the_rate_it_was_booked(billing, accountant):
    """The legal entity books in USD; WIP took 1,600.00 EUR at 1.1 (1,760.00 USD). The rate
    is 1.2 on the day of the write-off: WIP is still cleared at 1,760.00."""
    entity = billing.project.legal_entity
    entity.accounting_currency = "USD"
    entity.save(update_fields=["accounting_currency"])
    ExchangeRate.objects.create(
        from_currency="EUR", to_currency="USD", rate_date=dt.date(2026, 1, 1), rate=D("1.1")
    )
    [item] = billing.approve("8")
    post_the_journal(accountant)
    ExchangeRate.objects.create(
        from_currency="EUR", to_currency="USD", rate_date=dt.date(2026, 3, 5), rate=D("1.2")
    )

    write_off_one(billing, item)

    entry = WipMovement.objects.get().entry
    assert entry_lines(entry) == [
        ("7900", D("1760.00"), D("1600.00"), "P-ACME", None),
        ("1350", D("-1760.00"), D("-1600.00"), "P-ACME", None),
    ]
    assert wip_equals_subledger(billing) == D("0.00")


def test_a_write_off_needs_a_reason_and_leaves_an_item_on_a_draft_alone(billing):
    [item] = billing.approve_ready("8")
    with pytest.raises(ValidationError):
        write_off_one(billing, item, reason="   ")
    create_invoice_for_contract(
        contract=billing.contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )

    with pytest.raises(BillingStateError, match="already on an invoice"):
        write_off_one(billing, item)

    assert ActualBilling.objects.get(pk=item.pk).status == BillingStatus.ON_DRAFT
    assert not WipMovement.objects.exists()


# --- credits without limits -----------------------------------------------------------------


def invoiced_and_posted(billing, accountant, hours="8") -> Invoice:
    billing.approve_ready(hours)
    post_the_journal(accountant)
    result = create_invoice_for_contract(
        contract=billing.contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    invoice = Invoice.objects.get(pk=next(iter(result.invoice_ids)))
    confirm_invoice(invoice=invoice, by=billing.manager, at=AT)
    return post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)


def credit(billing, accountant, invoice, detail, stays) -> Invoice:
    note = create_correction(
        invoice=invoice,
        remaining={detail.pk: D(stays)},
        invoice_date=dt.date(2026, 4, 10),
        by=billing.manager,
        now=AT,
    )
    confirm_invoice(invoice=note, by=billing.manager, at=AT)
    return post_invoice(invoice=note, by=accountant, at=POSTED_AT)


def test_three_partial_credits_of_one_detail_keep_every_hour_linked(billing, accountant):
    invoice = invoiced_and_posted(billing, accountant)
    [detail] = invoice.details.all()

    notes = [credit(billing, accountant, invoice, detail, stays) for stays in ("6", "3", "0")]

    assert [invoice_totals(n).net for n in notes] == [D("-400.00"), D("-600.00"), D("-600.00")]
    rows = [n.details.get() for n in notes]
    assert [(r.original_quantity, r.quantity, r.amount) for r in rows] == [
        (D("8.00"), D("-2.00"), D("-400.00")),
        (D("6.00"), D("-3.00"), D("-600.00")),
        (D("3.00"), D("-3.00"), D("-600.00")),
    ]
    # Each credit reversed what was billed then, billed what stays, returned what it credited.
    assert [
        (r.billed_actual.quantity, r.remaining_actual and r.remaining_actual.quantity) for r in rows
    ] == [(D("-8.00"), D("6.00")), (D("-6.00"), D("3.00")), (D("-3.00"), None)]
    assert [r.billed_actual.reverses_id for r in rows] == [
        detail.billed_actual_id,
        rows[0].remaining_actual_id,
        rows[1].remaining_actual_id,
    ]
    returned = [r.returned_actual for r in rows]
    assert [(a.quantity, a.amount, a.returned_from_id) for a in returned] == [
        (D("2.00"), D("400.00"), detail.billed_actual_id),
        (D("3.00"), D("600.00"), rows[0].remaining_actual_id),
        (D("3.00"), D("600.00"), rows[1].remaining_actual_id),
    ]
    assert [a.billing.status for a in returned] == ["not_ready"] * 3
    # Billed now: nothing; billed = invoiced − credited, hour for hour.
    assert billed_now([detail]) == {detail.pk: None}
    billed = Actual.objects.filter(
        contract=billing.contract, actual_type=ActualType.BILLED_SALES
    ).values_list("quantity", flat=True)
    assert sum(billed, D("0")) == D("0.00")
    assert [c.blocked for c in correctable_details(invoice)] == [
        "Nothing of it is billed any more."
    ]
    assert not invoice.can_be_corrected()
    # The credit notes accrued the 8 h back in WIP at once.
    assert wip_equals_subledger(billing) == D("1600.00")
    assert balances(billing).get("8000", D("0")) == D("0.00")


def test_crediting_more_than_is_billed_now_is_refused(billing, accountant):
    invoice = invoiced_and_posted(billing, accountant)
    [detail] = invoice.details.all()
    credit(billing, accountant, invoice, detail, "6")

    with pytest.raises(ValidationError) as refused:
        create_correction(
            invoice=invoice,
            remaining={detail.pk: D("7")},
            invoice_date=INVOICE_DATE,
            by=billing.manager,
            now=AT,
        )

    assert refused.value.message_dict == {
        f"details[{detail.pk}]": ["Only 6.00 is billed: you cannot correct more than is billed."]
    }


def test_one_open_credit_note_per_detail(billing, accountant):
    invoice = invoiced_and_posted(billing, accountant)
    [detail] = invoice.details.all()
    first = create_correction(
        invoice=invoice,
        remaining={detail.pk: D("6")},
        invoice_date=INVOICE_DATE,
        by=billing.manager,
        now=AT,
    )

    with pytest.raises(ValidationError) as refused:
        create_correction(
            invoice=invoice,
            remaining={detail.pk: D("4")},
            invoice_date=INVOICE_DATE,
            by=billing.manager,
            now=AT,
        )

    assert refused.value.message_dict == {
        f"details[{detail.pk}]": [
            f"It is on credit note {first.reference}, which is not confirmed yet."
        ]
    }


def test_a_credit_note_is_corrected_by_invoicing_again_what_it_credited(billing, accountant):
    invoice = invoiced_and_posted(billing, accountant)
    [detail] = invoice.details.all()
    note = credit(billing, accountant, invoice, detail, "6")  # 2 h back in the backlog
    [credited] = note.details.all()
    returned = credited.returned_actual
    assert note.can_be_corrected()

    again = create_correction(
        invoice=note, remaining=None, invoice_date=dt.date(2026, 4, 20), by=billing.manager, now=AT
    )

    assert (again.is_credit_note, again.corrects, again.status) == (
        False,
        note,
        InvoiceStatus.DRAFT,
    )
    [reinvoiced] = again.details.all()
    assert (reinvoiced.reinvoices, reinvoiced.actual, reinvoiced.quantity, reinvoiced.amount) == (
        credited,
        returned,
        D("2.00"),
        D("400.00"),
    )
    assert ActualBilling.objects.get(pk=returned.pk).status == BillingStatus.ON_DRAFT
    assert [c.blocked for c in correctable_details(note)] == ["It has been invoiced again already."]

    confirm_invoice(invoice=again, by=billing.manager, at=AT)
    posted = post_invoice(invoice=again, by=accountant, at=POSTED_AT)

    assert ActualBilling.objects.get(pk=returned.pk).status == BillingStatus.INVOICED
    assert invoice_totals(posted).net == D("400.00")
    # 8 h invoiced, 2 h credited, 2 h invoiced again: 8 h billed, nothing left in WIP.
    billed = Actual.objects.filter(
        contract=billing.contract, actual_type=ActualType.BILLED_SALES
    ).values_list("quantity", flat=True)
    assert sum(billed, D("0")) == D("8.00")
    assert wip_equals_subledger(billing) == D("0.00")
    assert balances(billing)["8000"] == D("-1600.00")


def test_a_credit_note_changes_only_in_its_texts(billing, accountant, api_client):
    """What a credit note credits is fixed when it is made: its price, quantity and billing
    type cannot be edited (confirmation writes the billed actuals from what was billed), and no
    fee can be added to it."""
    invoice = invoiced_and_posted(billing, accountant)
    [detail] = invoice.details.all()
    note = create_correction(
        invoice=invoice,
        remaining={detail.pk: D("6")},
        invoice_date=INVOICE_DATE,
        by=billing.manager,
        now=AT,
    )
    [credit_detail] = note.details.all()
    for change in (
        {"unit_price": D("1")},
        {"billing_type": "non_chargeable"},
        {"quantity": D("3")},
    ):
        with pytest.raises(ValidationError) as refused:
            update_detail(detail=credit_detail, **change)
        assert refused.value.message_dict == {
            "quantity": [
                "A credit note credits what was billed: only its texts can change. To credit "
                "another quantity, delete this draft and correct the invoice again."
            ]
        }
    update_detail(detail=credit_detail, external_description="Two hours too many")
    with pytest.raises(InvoiceStateError, match="a fee cannot be added to it"):
        add_fee(
            invoice=note,
            contract_line=billing.contract.lines.get(),
            description="Handling",
            quantity=D("1"),
            unit_price=D("50"),
            transaction_date=DAY,
        )
    api_client.force_authenticate(billing.manager)
    patched = api_client.patch(
        f"/api/v1/invoices/{note.pk}/details/{credit_detail.pk}/",
        {"version": Invoice.objects.get(pk=note.pk).version, "unit_price": "1"},
        format="json",
    )
    assert patched.status_code == 400
    confirm_invoice(invoice=note, by=billing.manager, at=AT)
    credit_detail.refresh_from_db()
    assert (credit_detail.quantity, credit_detail.unit_price, credit_detail.amount) == (
        D("-2.00"),
        D("200.0000"),
        D("-400.00"),
    )
    assert credit_detail.external_description == "Two hours too many"
    assert billed_now([detail])[detail.pk].quantity == D("6.00")


def test_hours_back_from_an_unposted_credit_note_wait_for_it_before_posting(billing, accountant):
    invoice = invoiced_and_posted(billing, accountant)
    [detail] = invoice.details.all()
    note = create_correction(
        invoice=invoice,
        remaining={detail.pk: D("6")},
        invoice_date=INVOICE_DATE,
        by=billing.manager,
        now=AT,
    )
    confirm_invoice(invoice=note, by=billing.manager, at=AT)
    returned = note.details.get().returned_actual
    mark_ready(actual_ids=[returned.pk], scope=Actual.objects.all())
    result = create_invoice_for_contract(
        contract=billing.contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    rebilled = Invoice.objects.get(pk=next(iter(result.invoice_ids)))
    confirm_invoice(invoice=rebilled, by=billing.manager, at=AT)

    with pytest.raises(ValidationError) as blocked:
        post_invoice(invoice=rebilled, by=accountant, at=POSTED_AT)

    assert (
        f"came back with credit note {note.reference}, which is not posted yet: post the credit note first."
        in str(blocked.value)
    )
    post_invoice(invoice=note, by=accountant, at=POSTED_AT)
    post_invoice(invoice=rebilled, by=accountant, at=POSTED_AT)
    assert wip_equals_subledger(billing) == D("0.00")


def test_a_milestone_credited_in_full_is_ready_and_can_be_invoiced_again(billing, accountant):
    from actuals.services.billing import mark_milestones_ready
    from contracts.services import create_milestone

    line = billing.contract.lines.get()
    line.billing_method = "fp"
    line.save(update_fields=["billing_method"])
    [milestone] = create_milestone(line=line, name="Design", milestone_date=DAY, amount=D("5000"))
    mark_milestones_ready(milestone_ids=[milestone.pk], by=billing.manager, at=AT)
    result = create_invoice_for_contract(
        contract=billing.contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    invoice = confirm_invoice(
        invoice=Invoice.objects.get(pk=next(iter(result.invoice_ids))), by=billing.manager, at=AT
    )
    [detail] = invoice.details.all()
    note = create_correction(
        invoice=invoice, remaining=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    confirm_invoice(invoice=note, by=billing.manager, at=AT)
    milestone.refresh_from_db()
    assert (milestone.status, milestone.invoiced_at) == ("ready", None)

    again = create_correction(
        invoice=note, remaining=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    confirm_invoice(invoice=again, by=billing.manager, at=AT)

    milestone.refresh_from_db()
    assert milestone.status == "invoiced"
    assert invoice_totals(again).net == D("5000.00")
    assert (
        InvoiceDetail.objects.filter(milestone=milestone, credited=False, credits=None).count() == 1
    )
    with pytest.raises(InvoiceStateError, match="only a draft or in-review invoice"):
        confirm_invoice(invoice=again, by=billing.manager, at=AT)
    assert detail.pk in {d.pk for d in InvoiceDetail.objects.filter(credited=True)}


# --- the pages ----------------------------------------------------------------------------------


def _texts(response):
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_backlog_page_writes_off_lists_written_off_items_and_reverses(
    client, billing, accountant
):
    [item] = billing.approve("8")
    post_the_journal(accountant)
    client.force_login(billing.manager)
    backlog = "/billing/backlog/"

    done = client.post(backlog, {"ids": [item.pk], "action": "write_off", "reason": "Goodwill"})
    assert _texts(done) == ["1 item written off."]
    assert wip_equals_subledger(billing) == D("0.00")
    assert f'id="item-{item.pk}"' not in client.get(backlog).content.decode()

    listed = client.get(f"{backlog}?billing_status=written_off").content.decode()
    assert f'id="item-{item.pk}"' in listed and "Goodwill" in listed
    assert 'value="reverse_write_off"' in listed and 'value="write_off"' not in listed

    back = client.post(
        f"{backlog}?billing_status=written_off", {"ids": [item.pk], "action": "reverse_write_off"}
    )
    assert _texts(back) == ["1 write-off reversed: the item is back in the backlog, not ready."]
    assert ActualBilling.objects.get(pk=item.pk).status == BillingStatus.NOT_READY
    assert wip_equals_subledger(billing) == D("1600.00")


def test_the_invoice_page_credits_again_and_a_credit_note_page_invoices_again(
    client, billing, accountant
):
    invoice = invoiced_and_posted(billing, accountant)
    [detail] = invoice.details.all()
    credit(billing, accountant, invoice, detail, "6")
    client.force_login(billing.manager)
    url = f"/billing/invoices/{invoice.pk}/"

    page = client.get(url).content.decode()
    assert f'name="remaining-{detail.pk}"' in page and 'placeholder="6.00"' in page

    made = client.post(f"{url}correct/", {f"remaining-{detail.pk}": "4"})
    second = Invoice.objects.exclude(pk=invoice.pk).order_by("-pk").first()
    assert _texts(made) == [
        f"Credit note {second.reference} created for invoice {invoice.number}: check it, then "
        "confirm it."
    ]
    assert second.details.get().quantity == D("-2.00")
    confirm_invoice(invoice=second, by=billing.manager, at=AT)

    note_page = client.get(f"/billing/invoices/{second.pk}/").content.decode()
    assert (
        'id="correct-form"' in note_page
        and f'name="reinvoice-{second.details.get().pk}"' in note_page
    )
    again = client.post(f"/billing/invoices/{second.pk}/correct/", {"all": "1"})
    reinvoice = Invoice.objects.get(corrects=second)
    assert _texts(again) == [
        f"Invoice {reinvoice.reference} created to invoice again what {second.reference} "
        "credited: check it, then confirm it."
    ]
    assert (reinvoice.is_credit_note, invoice_totals(reinvoice).net) == (False, D("400.00"))
