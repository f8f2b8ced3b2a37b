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


def test_journal_lines_open_items_aging_and_trial_balance_export(billing, accountant, client):
    """The accountant's exports, read back: a posted invoice of 1,936.00 (1,600 + 21 % VAT)
    from a posted journal (cost 800, WIP 1,600)."""
    from actuals.journal import import_actuals
    from invoicing.services import confirm_invoice, post_invoice
    from ledger.models import Journal
    from ledger.services import post_journal

    billing.approve_ready("8", day=dt.date(2026, 3, 2))
    import_actuals(now=AT)
    journal = Journal.objects.get()
    client.force_login(accountant)
    url = reverse("ledger:journal-detail", args=[journal.pk])
    lines = read(client.get(url, {"export": "xlsx", "kind": "tm_unbilled_sales"}))
    assert lines[0][:8] == [
        "Date",
        "Kind",
        "Project",
        "Customer",
        "Description",
        "Source",
        "Currency",
        "Amount",
    ]
    assert [(r[1], r[2], r[7], r[8], r[9], r[10]) for r in lines[1:]] == [
        ("T&M unbilled sales", "P-ACME", 1600, "DOMESTIC", "SERVICES", "Draft")
    ]
    post_journal(journal=journal, posted_by=accountant, posted_at=AT)
    result = create_invoice_for_contract(
        contract=billing.contract,
        up_to=None,
        invoice_date=dt.date(2026, 3, 31),
        by=billing.manager,
        now=AT,
    )
    invoice = confirm_invoice(
        invoice=billing.contract.invoices.get(pk=next(iter(result.invoice_ids))),
        by=billing.manager,
        at=AT,
    )
    post_invoice(invoice=invoice, by=accountant, at=dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC))

    open_items = read(client.get(reverse("ledger:receivables"), {"export": "csv"}))
    aging = read(client.get(reverse("ledger:aging"), {"export": "csv", "date": "2026-05-15"}))
    balance = read(
        client.get(reverse("ledger:trial-balance"), {"export": "xlsx", "date": "2026-12-31"})
    )

    assert open_items == [
        ["Customer", "Name", "Document", "Date", "Due", "Currency", "Amount", "Open"],
        [
            "ACME",
            billing.project.customer.name,
            "INV2026-000001",
            "2026-03-31",
            "2026-04-30",
            "EUR",
            "1936.00",
            "1936.00",
        ],
    ]
    assert aging[0][:3] == ["Customer", "Name", "Currency"]
    assert aging[1][:3] == ["ACME", billing.project.customer.name, "EUR"]
    assert aging[1][3:] == ["0.00", "1936.00", "0.00", "0.00", "0.00", "1936.00"]  # 15 days late
    assert balance[0] == ["Account", "Name", "Debit", "Credit", "Balance"]
    assert {r[0]: r[4] for r in balance[1:]} == {
        "1300": 1936,
        "1350": 0,
        "1710": -336,
        "4990": -800,
        "7000": 800,
        "8000": -1600,
        "8050": 0,
    }
