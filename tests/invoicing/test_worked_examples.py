"""Worked examples 3–6 of DOMAIN.md §8, end to end: approve → backlog → invoice → confirm →
correct. Figures are the examples' own."""

import datetime as dt
from decimal import Decimal as D

import pytest

from actuals.models import Actual, ActualType, BillingStatus
from actuals.services.billing import mark_milestones_ready
from contracts import models as c
from contracts.services import create_milestone
from invoicing.models import Invoice, InvoiceDetail, InvoiceStatus
from invoicing.queries import invoice_totals
from invoicing.services import (
    confirm_invoice,
    create_correction,
    create_invoice_for_contract,
    update_detail,
)

from .conftest import AT, actual_rows, backlog_amount, make_contract

pytestmark = pytest.mark.django_db
INVOICE_DATE = dt.date(2026, 3, 31)


def create_and_get_draft(billing) -> Invoice:
    result = create_invoice_for_contract(
        contract=billing.contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    assert len(result.invoice_ids) == 1
    return Invoice.objects.get(pk=next(iter(result.invoice_ids)))


def test_example_3_invoiced_unchanged_and_confirmed(billing):
    [unbilled] = billing.approve_ready("8")
    invoice = create_and_get_draft(billing)

    confirm_invoice(invoice=invoice, by=billing.manager, at=AT)

    assert actual_rows(
        contract=billing.contract, actual_type__in=["unbilled_sales", "billed_sales"]
    ) == [
        ("unbilled_sales", D("8.00"), D("1600.00"), "chargeable", "invoiced"),
        ("unbilled_sales", D("-8.00"), D("-1600.00"), "chargeable", ""),
        ("billed_sales", D("8.00"), D("1600.00"), "chargeable", ""),
    ]
    assert Actual.objects.get(reverses=unbilled).amount == D("-1600.00")
    assert backlog_amount(billing.contract) == D("0")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CONFIRMED
    assert invoice_totals(invoice).net == D("1600.00")


def test_example_4_confirmed_with_the_quantity_edited_to_6(billing):
    billing.approve_ready("8")
    invoice = create_and_get_draft(billing)
    detail = invoice.details.get()

    update_detail(detail=detail, quantity=D("6"))
    totals = invoice_totals(invoice)
    confirm_invoice(invoice=invoice, by=billing.manager, at=AT)

    assert actual_rows(contract=billing.contract, actual_type="billed_sales") == [
        ("billed_sales", D("6.00"), D("1200.00"), "chargeable", ""),
        ("billed_sales", D("2.00"), D("400.00"), "non_chargeable", ""),
    ]
    assert totals.net == D("1200.00")
    assert [(r.code, r.base, r.vat) for r in totals.vat_rows] == [
        ("V21", D("1200.00"), D("252.00"))
    ]
    assert totals.gross == D("1452.00")


def test_example_5_example_3_corrected_to_6_hours(billing):
    billing.approve_ready("8")
    invoice = create_and_get_draft(billing)
    confirm_invoice(invoice=invoice, by=billing.manager, at=AT)
    billed_detail = invoice.details.get()

    credit = create_correction(
        invoice=invoice,
        remaining={billed_detail.pk: D("6")},
        invoice_date=INVOICE_DATE,
        by=billing.manager,
        now=AT,
    )
    credit_detail = credit.details.get()
    assert (credit_detail.quantity, credit_detail.amount) == (D("-2.00"), D("-400.00"))
    assert invoice_totals(credit).net == D("-400.00")

    confirm_invoice(invoice=credit, by=billing.manager, at=AT)

    billed = actual_rows(contract=billing.contract, actual_type="billed_sales")
    assert billed == [
        ("billed_sales", D("8.00"), D("1600.00"), "chargeable", ""),
        ("billed_sales", D("-8.00"), D("-1600.00"), "chargeable", ""),
        ("billed_sales", D("6.00"), D("1200.00"), "chargeable", ""),
    ]
    assert sum(row[2] for row in billed) == D("1200.00")
    assert backlog_amount(billing.contract) == D("400.00")
    returned = Actual.objects.filter(
        contract=billing.contract,
        actual_type=ActualType.UNBILLED_SALES,
        billing__status=BillingStatus.NOT_READY,
    ).get()
    assert (returned.quantity, returned.amount, returned.billing_type) == (
        D("2.00"),
        D("400.00"),
        "chargeable",
    )
    assert credit.corrects == invoice


@pytest.fixture
def fixed_price(billing, project_manager):
    fp_project = c.Project.objects.create(
        code="P-FP",
        name="Fixed",
        customer=billing.project.customer,
        project_manager=project_manager,
        legal_entity=billing.project.legal_entity,
        start_date=dt.date(2026, 1, 1),
    )
    contract = make_contract(
        project=fp_project,
        manager=project_manager,
        method=c.BillingMethod.FIXED_PRICE,
        number="FP-1",
    )
    return fp_project, contract


def test_example_6_time_on_a_fixed_price_line_creates_cost_only(billing, fixed_price):
    project, _contract = fixed_price

    billing.approve("8", project=project)

    assert actual_rows(project=project) == [("cost", D("8.00"), D("800.00"), "chargeable", "")]


def test_example_6_milestone_invoiced_confirmed_and_credited_in_full(billing, fixed_price):
    _project, contract = fixed_price
    [milestone] = create_milestone(
        line=contract.lines.get(),
        name="Go-live",
        milestone_date=dt.date(2026, 3, 1),
        amount=D("5000"),
    )
    mark_milestones_ready(milestone_ids=[milestone.pk], by=None, at=AT)

    result = create_invoice_for_contract(
        contract=contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    invoice = Invoice.objects.get(pk=next(iter(result.invoice_ids)))
    confirm_invoice(invoice=invoice, by=billing.manager, at=AT)

    milestone.refresh_from_db()
    assert milestone.status == c.MilestoneStatus.INVOICED
    assert actual_rows(contract=contract, actual_type="billed_sales") == [
        ("billed_sales", D("1.00"), D("5000.00"), "chargeable", "")
    ]

    credit = create_correction(
        invoice=invoice, remaining=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    confirm_invoice(invoice=credit, by=billing.manager, at=AT)

    milestone.refresh_from_db()
    assert milestone.status == c.MilestoneStatus.READY
    assert [row[2] for row in actual_rows(contract=contract, actual_type="billed_sales")] == [
        D("5000.00"),
        D("-5000.00"),
    ]
    assert invoice_totals(credit).net == D("-5000.00")
    # Ready again, it can be invoiced again.
    again = create_invoice_for_contract(
        contract=contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    assert again.items == 1
    assert InvoiceDetail.objects.filter(milestone=milestone).count() == 3
