"""Exports of the list pages: every row the filter selects, in the page's order, as CSV and
XLSX, read back and checked."""

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from invoicing.services import create_invoice_for_contract
from tests.invoicing.conftest import AT

BACKLOG = "/billing/backlog/"


@pytest.fixture
def manager_client(client, billing):
    client.force_login(billing.manager)
    return client


def read(response) -> list[list]:
    body = b"".join(response.streaming_content)
    if response["Content-Type"].startswith("text/csv"):
        assert body.startswith("\ufeff".encode())
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def backlog(billing):
    """Two items on two pages (page size 1), the second on a later date."""
    [first] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    [second] = billing.approve("4", day=dt.date(2026, 3, 3))
    return billing, first, second


def test_the_backlog_exports_every_filtered_row_as_csv(manager_client, backlog, monkeypatch):
    monkeypatch.setattr("invoicing.portal.backlog.PAGE_SIZE", 1)
    billing, first, second = backlog
    response = manager_client.get(BACKLOG, {"export": "csv", "sort": "-date", "page": "2"})
    assert response["Content-Disposition"] == 'attachment; filename="backlog.csv"'
    number, customer = billing.contract.number, first.customer.name
    project, resource = billing.project.code, first.resource.name
    assert read(response) == [
        [
            "Date",
            "Contract",
            "Customer",
            "Project",
            "Resource",
            "Class",
            "Description",
            "Quantity",
            "Price",
            "Amount",
            "Currency",
            "Status",
        ],
        [
            "2026-03-03",
            number,
            customer,
            project,
            resource,
            "Time",
            second.description,
            "4.00",
            "200.0000",
            "800.00",
            "EUR",
            "Not ready",
        ],
        [
            "2026-03-02",
            number,
            customer,
            project,
            resource,
            "Time",
            first.description,
            "8.00",
            "200.0000",
            "1600.00",
            "EUR",
            "Ready to invoice",
        ],
    ]
    ready = manager_client.get(BACKLOG, {"export": "csv", "billing_status": "ready"})
    assert [row[0] for row in read(ready)] == ["Date", "2026-03-02"]


def test_the_backlog_exports_xlsx_with_numbers_and_dates(manager_client, backlog):
    _billing, _first, _second = backlog
    manager_client.cookies["django_language"] = "nl"
    response = manager_client.get(BACKLOG, {"export": "xlsx"})
    assert response["Content-Disposition"] == 'attachment; filename="backlog.xlsx"'
    rows = read(response)
    assert rows[0][:3] == ["Datum", "Contract", "Klant"]
    assert [(r[0], r[7], r[9], r[10]) for r in rows[1:]] == [
        (dt.datetime(2026, 3, 2), 8, 1600, "EUR"),
        (dt.datetime(2026, 3, 3), 4, 800, "EUR"),
    ]


def test_actuals_and_invoices_export_what_their_filters_select(
    manager_client, billing, accountant, client
):
    [item] = billing.approve_ready("8", day=dt.date(2026, 3, 2))
    result = create_invoice_for_contract(
        contract=billing.contract,
        up_to=None,
        invoice_date=dt.date(2026, 3, 31),
        by=billing.manager,
        now=AT,
    )
    invoices = read(manager_client.get(reverse("invoicing:invoice-list"), {"export": "csv"}))
    assert invoices == [
        [
            "Number",
            "Status",
            "Credit note",
            "Contract",
            "Customer",
            "Invoice date",
            "Details",
            "Net",
            "Currency",
        ],
        [
            "",
            "Draft",
            "no",
            billing.contract.number,
            item.customer.name,
            "2026-03-31",
            "1",
            "1600.00",
            "EUR",
        ],
    ]
    assert len(result.invoice_ids) == 1
    client.force_login(accountant)
    actuals = read(client.get("/time/actuals/", {"export": "csv", "actual_type": "unbilled_sales"}))
    assert [(r[0], r[1], r[9], r[11], r[13]) for r in actuals] == [
        ("Date", "Type", "Quantity", "Amount", "Billing type"),
        ("2026-03-02", "Unbilled sales", "8.00", "1600.00", "Chargeable"),
    ]
    assert D(actuals[1][11]) == item.amount
