"""Editing drafts, and the bad input each action refuses with nothing changed."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from actuals.models import Actual, ActualBilling, BillingStatus
from actuals.services.billing import BillingStateError, mark_ready, write_off
from contracts.models import Contract
from invoicing.models import Invoice, InvoiceDetail
from invoicing.queries import invoice_totals
from invoicing.services import (
    InvoiceStateError,
    StaleInvoice,
    add_fee,
    confirm_invoice,
    create_correction,
    create_invoice_for_contract,
    delete_draft,
    invoice_selection,
    remove_detail,
    update_detail,
    update_header,
)

from .conftest import AT

pytestmark = pytest.mark.django_db
INVOICE_DATE = dt.date(2026, 3, 31)


def draft_of(billing) -> Invoice:
    result = create_invoice_for_contract(
        contract=billing.contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    return Invoice.objects.get(pk=next(iter(result.invoice_ids)))


def statuses(rows):
    return [ActualBilling.objects.get(pk=a.pk).status for a in rows]


def test_marking_ready_an_item_that_failed_not_to_exceed_is_refused_and_nothing_changes(billing):
    (first,) = billing.approve("8")
    (second,) = billing.approve("4")
    ActualBilling.objects.filter(pk=second.pk).update(
        nte_status="failed", nte_failed_level="line", nte_message="Line limit 2,000.00 exceeded"
    )

    with pytest.raises(BillingStateError, match="1 item failed its not-to-exceed limit"):
        mark_ready(actual_ids=[first.pk, second.pk], scope=Actual.objects.all())

    assert statuses([first, second]) == ["not_ready", "not_ready"]


def test_write_off_needs_a_reason_and_keeps_it(billing):
    (row,) = billing.approve("8")
    with pytest.raises(ValidationError) as excinfo:
        write_off(actual_ids=[row.pk], reason="  ", scope=Actual.objects.all(), by=None, at=AT)
    assert excinfo.value.message_dict == {"reason": ["Say why these items are written off."]}

    write_off(
        actual_ids=[row.pk],
        reason="Goodwill: onboarding",
        scope=Actual.objects.all(),
        by=None,
        at=AT,
    )

    row.refresh_from_db()
    assert (row.billing.status, row.billing.write_off_reason) == (
        "written_off",
        "Goodwill: onboarding",
    )


def test_create_invoice_takes_only_ready_items_up_to_the_date(billing):
    (early,) = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    (late,) = billing.approve_ready("3", day=dt.date(2026, 3, 4))
    (not_ready,) = billing.approve("2", day=dt.date(2026, 3, 2))

    result = create_invoice_for_contract(
        contract=billing.contract,
        up_to=dt.date(2026, 3, 3),
        invoice_date=INVOICE_DATE,
        by=billing.manager,
        now=AT,
    )

    assert result.items == 1
    assert result.amounts == {"EUR": D("1600.00")}
    assert statuses([early, late, not_ready]) == ["on_draft", "ready", "not_ready"]


def test_new_ready_items_join_the_open_draft(billing):
    billing.approve_ready("8")
    invoice = draft_of(billing)
    billing.approve_ready("2", day=dt.date(2026, 3, 3))

    again = draft_of(billing)

    assert again.pk == invoice.pk
    assert invoice.details.count() == 2
    assert invoice_totals(invoice).net == D("2000.00")


def test_invoice_the_selection_takes_only_the_selected_ready_items(billing):
    (a,) = billing.approve_ready("8")
    (b,) = billing.approve_ready("1")
    (c,) = billing.approve("1")

    result = invoice_selection(
        actual_ids=[a.pk, c.pk],
        milestone_ids=[],
        contracts=Contract.objects.all(),
        invoice_date=INVOICE_DATE,
        by=billing.manager,
        now=AT,
    )

    assert result.items == 1
    assert statuses([a, b, c]) == ["on_draft", "ready", "not_ready"]


def test_removing_a_detail_puts_its_actual_back_to_ready(billing):
    (row,) = billing.approve_ready("8")
    invoice = draft_of(billing)

    remove_detail(detail=invoice.details.get(), at=AT)

    assert statuses([row]) == ["ready"]
    assert invoice.lines.count() == 0


def test_deleting_a_draft_releases_every_item(billing):
    rows = billing.approve_ready("8") + billing.approve_ready("4")
    invoice = draft_of(billing)

    delete_draft(invoice=invoice, at=AT)

    assert not Invoice.objects.filter(pk=invoice.pk).exists()
    assert statuses(rows) == ["ready", "ready"]


def test_a_manual_fee_is_added_and_counted(billing):
    billing.approve_ready("8")
    invoice = draft_of(billing)

    add_fee(
        invoice=invoice,
        contract_line=billing.contract.lines.get(),
        description="Project management fee",
        quantity=D("1"),
        unit_price=D("250"),
        transaction_date=INVOICE_DATE,
    )

    totals = invoice_totals(invoice)
    assert totals.net == D("1850.00")
    assert [(r.code, r.base, r.vat) for r in totals.vat_rows] == [
        ("V21", D("1850.00"), D("388.50"))
    ]


def test_vat_example_7_net_100_at_21_percent(billing):
    billing.approve_ready("0.5")
    invoice = draft_of(billing)

    totals = invoice_totals(invoice)

    assert (totals.net, totals.vat, totals.gross) == (D("100.00"), D("21.00"), D("121.00"))


def test_a_complimentary_detail_is_shown_but_not_charged(billing):
    billing.approve_ready("8")
    invoice = draft_of(billing)
    update_detail(detail=invoice.details.get(), billing_type="complimentary")
    assert invoice_totals(invoice).net == D("0")


def test_negative_quantity_is_refused_and_nothing_changes(billing):
    billing.approve_ready("8")
    invoice = draft_of(billing)
    detail = invoice.details.get()

    with pytest.raises(ValidationError) as excinfo:
        update_detail(detail=detail, quantity=D("-1"))

    assert excinfo.value.message_dict == {"quantity": ["A quantity may not be negative."]}
    detail.refresh_from_db()
    assert (detail.quantity, detail.amount) == (D("8.00"), D("1600.00"))


def test_the_second_of_two_saves_from_the_same_version_is_refused(billing):
    billing.approve_ready("8")
    invoice = draft_of(billing)
    detail = invoice.details.get()
    seen = Invoice.objects.get(pk=invoice.pk).version

    update_detail(detail=detail, version=seen, quantity=D("7"))
    with pytest.raises(StaleInvoice, match="was changed by someone else"):
        update_header(invoice=invoice, version=seen, customer_reference="PO-42")

    invoice.refresh_from_db()
    assert invoice.customer_reference == ""
    assert invoice.details.get().quantity == D("7.00")


def test_confirming_an_empty_invoice_is_refused(billing):
    billing.approve_ready("8")
    invoice = draft_of(billing)
    remove_detail(detail=invoice.details.get(), at=AT)

    with pytest.raises(InvoiceStateError, match="has nothing on it"):
        confirm_invoice(invoice=invoice, by=billing.manager, at=AT)
    assert Invoice.objects.get(pk=invoice.pk).status == "draft"


def test_confirming_twice_and_editing_a_confirmed_invoice_are_refused(billing):
    billing.approve_ready("8")
    invoice = draft_of(billing)
    confirm_invoice(invoice=invoice, by=billing.manager, at=AT)
    billed_count = Actual.objects.filter(actual_type="billed_sales").count()

    with pytest.raises(
        InvoiceStateError, match="only a draft or in-review invoice can be confirmed"
    ):
        confirm_invoice(invoice=invoice, by=billing.manager, at=AT)
    with pytest.raises(InvoiceStateError, match="can no longer be changed"):
        update_detail(detail=invoice.details.get(), quantity=D("1"))
    with pytest.raises(InvoiceStateError, match="can no longer be changed"):
        delete_draft(invoice=invoice, at=AT)

    assert Actual.objects.filter(actual_type="billed_sales").count() == billed_count


def test_correcting_more_than_was_billed_is_refused(billing):
    billing.approve_ready("8")
    invoice = draft_of(billing)
    confirm_invoice(invoice=invoice, by=billing.manager, at=AT)
    detail = invoice.details.get()

    with pytest.raises(ValidationError) as excinfo:
        create_correction(
            invoice=invoice,
            remaining={detail.pk: D("9")},
            invoice_date=INVOICE_DATE,
            by=billing.manager,
            now=AT,
        )

    assert excinfo.value.message_dict == {
        f"details[{detail.pk}]": ["Only 8.00 is billed: you cannot correct more than is billed."]
    }
    assert Invoice.objects.filter(corrects=invoice).count() == 0


def test_a_draft_cannot_be_corrected(billing):
    billing.approve_ready("8")
    invoice = draft_of(billing)
    with pytest.raises(
        InvoiceStateError, match="Only a confirmed or posted invoice can be corrected"
    ):
        create_correction(
            invoice=invoice, remaining=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
        )


def test_the_database_refuses_a_second_detail_for_one_actual(billing):
    (row,) = billing.approve_ready("8")
    invoice = draft_of(billing)
    detail = invoice.details.get()

    with pytest.raises(IntegrityError, match="detail_actual_once"), transaction.atomic():
        InvoiceDetail.objects.create(
            **{
                f.attname: getattr(detail, f.attname)
                for f in InvoiceDetail._meta.concrete_fields
                if f.attname != "id"
            }
        )
    assert InvoiceDetail.objects.filter(actual=row).count() == 1


def test_the_database_refuses_changing_a_detail_of_a_confirmed_invoice(billing):
    billing.approve_ready("8")
    invoice = draft_of(billing)
    confirm_invoice(invoice=invoice, by=billing.manager, at=AT)
    detail = invoice.details.get()

    with (
        pytest.raises(IntegrityError, match="belongs to a confirmed or posted invoice"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE invoicing_invoicedetail SET amount = 1 WHERE id = %s", [detail.pk])

    detail.refresh_from_db()
    assert detail.amount == D("1600.00")


def test_ready_items_that_are_removed_keep_their_status_after_a_write_off_attempt(billing):
    (row,) = billing.approve_ready("8")
    draft_of(billing)
    with pytest.raises(BillingStateError, match="already on an invoice"):
        write_off(actual_ids=[row.pk], reason="x", scope=Actual.objects.all(), by=None, at=AT)
    assert statuses([row]) == [BillingStatus.ON_DRAFT]
