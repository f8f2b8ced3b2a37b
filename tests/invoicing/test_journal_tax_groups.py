"""The tax groups chosen on a journal line are the ones the invoice and its posting use
(DOMAIN.md §5 VAT; :mod:`invoicing.services.tax_groups`), and the journal's bulk edit.

Accounts are the default Dutch chart's: 1300 receivables, 8000 invoiced revenue, 1710 VAT
payable 21 %, 1711 VAT payable 9 % (REDUCED), 8050 accrued revenue, 1350 WIP – sales value."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from actuals.journal import import_actuals, source_key
from contracts import models as c
from invoicing.models import Invoice, InvoiceDetail
from invoicing.queries import invoice_totals
from invoicing.services import confirm_invoice, create_invoice_for_contract, post_invoice
from ledger.models import Journal, JournalLine, JournalLineKind, JournalLineStatus
from ledger.services import KEEP, edit_journal_lines, post_journal
from tests.factories import DimensionValueFactory, JournalLineFactory, SalesTaxGroupFactory

from .conftest import AT
from .test_posting import INVOICE_DATE, POSTED_AT, entry_lines, no_accrual  # noqa: F401

pytestmark = pytest.mark.django_db


def _sales_line(unbilled) -> JournalLine:
    return JournalLine.objects.get(source_key=source_key(unbilled.pk))


def _reduced() -> c.ItemSalesTaxGroup:
    return c.ItemSalesTaxGroup.objects.get(code="REDUCED")


def _post_journals(by) -> None:
    for journal in Journal.objects.filter(status="open").order_by("pk"):
        post_journal(journal=journal, posted_by=by, posted_at=AT)


def _invoice(billing) -> Invoice:
    result = create_invoice_for_contract(
        contract=billing.contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    return Invoice.objects.get(pk=next(iter(result.invoice_ids)))


REDUCED_ENTRY = [
    ("1300", D("1744.00"), D("1744.00"), None, "ACME"),
    ("8000", D("-1600.00"), D("-1600.00"), "P-ACME", None),
    ("1711", D("-144.00"), D("-144.00"), None, None),  # 9 % of 1,600
    ("8050", D("1600.00"), D("1600.00"), "P-ACME", None),
    ("1350", D("-1600.00"), D("-1600.00"), "P-ACME", None),
]


def test_groups_chosen_in_the_journal_before_invoicing_reach_the_posted_invoice(
    billing, accountant
):
    [unbilled] = billing.approve_ready("8")  # 8 h × 200 = 1,600
    import_actuals(now=AT)
    line = _sales_line(unbilled)
    assert (line.sales_tax_group.code, line.item_sales_tax_group.code) == ("DOMESTIC", "SERVICES")

    result = edit_journal_lines(line_ids=[line.pk], item_sales_tax_group=_reduced())
    _post_journals(accountant)
    invoice = _invoice(billing)

    assert (result.changed, result.skipped_posted) == (1, 0)
    detail = InvoiceDetail.objects.get(invoice=invoice)
    assert (detail.sales_tax_group.code, detail.item_sales_tax_group.code) == (
        "DOMESTIC",
        "REDUCED",
    )
    confirm_invoice(invoice=invoice, by=billing.manager, at=AT)
    posted = post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)
    assert entry_lines(posted.ledger_entry) == REDUCED_ENTRY


def test_groups_changed_in_the_journal_move_onto_a_waiting_proposal(billing, accountant):
    [unbilled] = billing.approve_ready("8")
    import_actuals(now=AT)
    invoice = confirm_invoice(invoice=_invoice(billing), by=billing.manager, at=AT)
    version = invoice.version
    assert [(r.code, r.vat) for r in invoice_totals(invoice).vat_rows] == [("V21", D("336.00"))]

    edit_journal_lines(line_ids=[_sales_line(unbilled).pk], item_sales_tax_group=_reduced())

    invoice.refresh_from_db()
    assert invoice.version == version + 1  # a proposal form opened before is now stale
    assert [(r.code, r.base, r.vat) for r in invoice_totals(invoice).vat_rows] == [
        ("V9", D("1600.00"), D("144.00"))
    ]
    _post_journals(accountant)
    posted = post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)
    assert entry_lines(posted.ledger_entry) == REDUCED_ENTRY


def test_a_posted_invoice_keeps_its_groups(billing, accountant, no_accrual):  # noqa: F811
    [unbilled] = billing.approve_ready("8")
    invoice = confirm_invoice(invoice=_invoice(billing), by=billing.manager, at=AT)
    posted = post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)
    import_actuals(now=AT)  # the journal line comes after the invoice was posted

    edit_journal_lines(line_ids=[_sales_line(unbilled).pk], item_sales_tax_group=_reduced())

    detail = InvoiceDetail.objects.get(invoice=posted)
    assert detail.item_sales_tax_group.code == "SERVICES"
    assert Invoice.objects.get(pk=posted.pk).version == posted.version


def test_bulk_edit_skips_posted_lines_and_sets_or_clears_dimensions(legal_entity_lines):
    draft, other, posted = legal_entity_lines
    east = DimensionValueFactory(code="EAST")
    west = DimensionValueFactory(dimension=east.dimension, code="WEST")
    edit_journal_lines(line_ids=[draft.pk], dimensions={east.dimension_id: west.pk})

    result = edit_journal_lines(
        line_ids=[draft.pk, other.pk, posted.pk],
        sales_tax_group=KEEP,
        item_sales_tax_group=_reduced(),
        dimensions={east.dimension_id: east.pk},
    )

    assert (result.changed, result.skipped_posted) == (2, 1)
    for line in (draft, other):
        line.refresh_from_db()
        assert line.item_sales_tax_group.code == "REDUCED"
        assert list(line.dimension_values.values_list("code", flat=True)) == ["EAST"]
    posted.refresh_from_db()
    assert posted.item_sales_tax_group is None

    edit_journal_lines(line_ids=[draft.pk], dimensions={east.dimension_id: None})
    assert list(draft.dimension_values.all()) == []
    assert list(other.dimension_values.values_list("code", flat=True)) == ["EAST"]


def test_a_bulk_edit_that_leaves_a_pair_without_vat_code_changes_nothing(legal_entity_lines):
    draft, other, _posted = legal_entity_lines
    JournalLine.objects.filter(pk=other.pk).update(
        sales_tax_group=SalesTaxGroupFactory(code="NOWHERE")
    )
    east = DimensionValueFactory(code="EAST")

    with pytest.raises(ValidationError) as refused:
        edit_journal_lines(
            line_ids=[draft.pk, other.pk],
            item_sales_tax_group=_reduced(),
            dimensions={east.dimension_id: east.pk},
        )

    assert refused.value.messages == [
        "No VAT code for sales tax group NOWHERE with item sales tax group REDUCED: "
        "choose another pair or add a VAT rule for it."
    ]
    draft.refresh_from_db()
    assert draft.item_sales_tax_group.code == "SERVICES"
    assert draft.dimension_values.count() == 0


def test_a_bulk_edit_refuses_unknown_lines_and_a_value_of_another_dimension(legal_entity_lines):
    draft, _other, _posted = legal_entity_lines
    east = DimensionValueFactory(code="EAST")
    costs = DimensionValueFactory(dimension__code="COSTCENTRE", code="CC1")

    with pytest.raises(ValidationError) as unknown:
        edit_journal_lines(line_ids=[draft.pk, 999_999], item_sales_tax_group=_reduced())
    with pytest.raises(ValidationError) as wrong:
        edit_journal_lines(line_ids=[draft.pk], dimensions={east.dimension_id: costs.pk})

    assert unknown.value.messages == ["Unknown journal lines: 999999."]
    assert wrong.value.messages == [f"Not a value of the dimension it was given for: {costs}."]
    draft.refresh_from_db()
    assert draft.item_sales_tax_group.code == "SERVICES"


@pytest.fixture
def legal_entity_lines(billing):
    """Two draft lines (DOMESTIC × SERVICES) and a posted one without groups."""
    domestic = c.SalesTaxGroup.objects.get(code="DOMESTIC")
    services = c.ItemSalesTaxGroup.objects.get(code="SERVICES")
    journal = Journal.objects.create(
        legal_entity=billing.project.legal_entity, journal_date=dt.date(2026, 3, 1), created_at=AT
    )
    drafts = [
        JournalLineFactory(
            journal=journal,
            project=billing.project,
            kind=JournalLineKind.TM_UNBILLED_SALES,
            sales_tax_group=domestic,
            item_sales_tax_group=services,
        )
        for _ in range(2)
    ]
    posted = JournalLineFactory(
        journal=journal, project=billing.project, status=JournalLineStatus.POSTED, posted_at=AT
    )
    return (*drafts, posted)


def test_a_journal_edit_leaves_alone_what_it_did_not_change(billing, accountant, api_client):
    """The proposal's own choice (item group REDUCED) stays when the journal line's dimensions,
    or its unchanged sales group, are saved again; only an edited group follows."""
    from invoicing.services import update_proposal

    [unbilled] = billing.approve_ready("8")
    import_actuals(now=AT)
    invoice = confirm_invoice(invoice=_invoice(billing), by=billing.manager, at=AT)
    invoice = update_proposal(
        invoice=invoice,
        by=accountant,
        version=invoice.version,
        line_tax_groups={
            invoice.lines.get().pk: (c.SalesTaxGroup.objects.get(code="DOMESTIC"), _reduced())
        },
    )
    line = _sales_line(unbilled)
    east = DimensionValueFactory(code="EAST")
    api_client.force_authenticate(accountant)

    response = api_client.patch(
        f"/api/v1/journal-lines/{line.pk}/", {"dimension_values": [east.pk]}, format="json"
    )
    edit_journal_lines(
        line_ids=[line.pk], sales_tax_group=c.SalesTaxGroup.objects.get(code="DOMESTIC")
    )

    assert response.status_code == 200
    detail = InvoiceDetail.objects.get(invoice=invoice)
    assert (detail.sales_tax_group.code, detail.item_sales_tax_group.code) == (
        "DOMESTIC",
        "REDUCED",
    )
    assert Invoice.objects.get(pk=invoice.pk).version == invoice.version
    edit_journal_lines(
        line_ids=[line.pk], sales_tax_group=c.SalesTaxGroup.objects.get(code="EU_B2B")
    )
    detail.refresh_from_db()
    assert (detail.sales_tax_group.code, detail.item_sales_tax_group.code) == (
        "EU_B2B",
        "REDUCED",
    )
