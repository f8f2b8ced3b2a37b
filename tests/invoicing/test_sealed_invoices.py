"""A posted (or confirmed) invoice is sealed in PostgreSQL, whatever writes to it (issue 12:
raw SQL added a detail to a posted invoice, moved a draft's detail into it and changed a
posted line's text). Each attempt below is raw SQL and is refused; nothing changes."""

import pytest
from django.db import DatabaseError, connection, transaction

from invoicing.models import Invoice, InvoiceDetail, InvoiceLine
from invoicing.services import post_invoice

from .test_posting import POSTED_AT, confirmed, no_accrual  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(billing, accountant, no_accrual):  # noqa: F811
    invoice = confirmed(billing, "8")
    return post_invoice(invoice=invoice, by=accountant, at=POSTED_AT)


def refused(sql: str, params: list) -> str:
    with (
        pytest.raises(DatabaseError) as error,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    return str(error.value).splitlines()[0]


def test_no_detail_is_added_to_a_posted_invoice(posted):
    detail = InvoiceDetail.objects.get(invoice=posted)
    columns = [
        f.column
        for f in InvoiceDetail._meta.concrete_fields
        if f.column not in ("id", "actual_id", "billed_actual_id", "given_away_actual_id")
    ]
    before = InvoiceDetail.objects.count()

    message = refused(
        f"INSERT INTO invoicing_invoicedetail ({', '.join(columns)}) "
        f"SELECT {', '.join(columns)} FROM invoicing_invoicedetail WHERE id = %s",
        [detail.pk],
    )

    assert message == "invoice detail: a confirmed or posted invoice takes no new details"
    assert InvoiceDetail.objects.count() == before


def test_no_detail_moves_into_a_posted_invoice_and_none_of_its_own_changes(billing, posted):
    billing.approve_ready("2")
    from invoicing.services import create_invoice_for_contract

    from .conftest import AT
    from .test_posting import INVOICE_DATE

    result = create_invoice_for_contract(
        contract=billing.contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    draft_detail = InvoiceDetail.objects.get(invoice_id=next(iter(result.invoice_ids)))
    own = InvoiceDetail.objects.get(invoice=posted)

    moved = refused(
        "UPDATE invoicing_invoicedetail SET invoice_id = %s WHERE id = %s",
        [posted.pk, draft_detail.pk],
    )
    taxed = refused(
        "UPDATE invoicing_invoicedetail SET item_sales_tax_group_id = NULL WHERE id = %s",
        [own.pk],
    )
    deleted = refused("DELETE FROM invoicing_invoicedetail WHERE id = %s", [own.pk])

    assert moved == (
        f"invoice detail {draft_detail.pk} cannot move into a confirmed or posted invoice"
    )
    assert (
        taxed
        == deleted
        == (f"invoice detail {own.pk} belongs to a confirmed or posted invoice and cannot change")
    )
    own.refresh_from_db()
    assert own.item_sales_tax_group_id is not None


def test_a_posted_invoices_lines_are_sealed(posted):
    line = InvoiceLine.objects.get(invoice=posted)

    changed = refused(
        "UPDATE invoicing_invoiceline SET description = 'changed' WHERE id = %s", [line.pk]
    )
    added = refused(
        "INSERT INTO invoicing_invoiceline (invoice_id, contract_line_id, description) "
        "VALUES (%s, %s, 'extra')",
        [posted.pk, line.contract_line_id],
    )

    assert changed == (
        f"invoice line {line.pk} belongs to a confirmed or posted invoice and cannot change"
    )
    assert added == f"invoice {posted.pk} is confirmed or posted and takes no new lines"
    line.refresh_from_db()
    assert line.description != "changed"
    assert Invoice.objects.get(pk=posted.pk).lines.count() == 1
