"""The printed invoice (issue 6): the PDF read back with pypdf carries the legal fields, the
lines and the VAT breakdown in the customer's language; a preview says PRO FORMA; the bytes
are deterministic; the renderer reads only project files; the views serve the stored bytes of
a posted invoice and a preview of anything else, to those who may see the invoice."""

import datetime as dt
import hashlib
import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from contracts import models as c
from invoicing.documents import InvoiceDocumentError, render_invoice_pdf
from invoicing.documents.fetcher import LocalFilesFetcher, RefusedURL, allowed_roots
from invoicing.models import Invoice, InvoiceStatus
from invoicing.services import (
    confirm_invoice,
    create_correction,
    create_invoice_for_contract,
    update_detail,
)

from .conftest import AT

pytestmark = pytest.mark.django_db
INVOICE_DATE = dt.date(2026, 3, 31)
NUMBER = "2026-000017"
STORED = b"%PDF-1.7\n% the bytes stored when the invoice was posted\n%%EOF\n"


def draft_for(billing) -> Invoice:
    result = create_invoice_for_contract(
        contract=billing.contract, up_to=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )
    return Invoice.objects.get(pk=next(iter(result.invoice_ids)))


def confirmed_for(billing) -> Invoice:
    invoice = draft_for(billing)
    confirm_invoice(invoice=invoice, by=billing.manager, at=AT)
    invoice.refresh_from_db()
    return invoice


def numbered(invoice: Invoice) -> Invoice:
    """The invoice as the posting service hands it to the renderer: with its number and
    payment reference (in memory only: posting is another engineer's service)."""
    invoice.number = NUMBER
    invoice.payment_reference = "1000 0001 7001 7"
    return invoice


def pages(pdf: bytes) -> list[str]:
    """The text of each page, read back with pypdf, with runs of white space as one space (a
    column may wrap its text over two lines)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages]


def post_with_stored_pdf(invoice: Invoice, content: bytes = STORED, *, sha256=None) -> Invoice:
    """Simulate the posting service: the stored file, its checksum, the number and status."""
    name = default_storage.save(f"invoices/2026/{NUMBER}.pdf", ContentFile(content))
    Invoice.objects.filter(pk=invoice.pk).update(
        status=InvoiceStatus.POSTED,
        number=NUMBER,
        posted_at=AT,
        pdf=name,
        pdf_sha256=sha256 or hashlib.sha256(content).hexdigest(),
    )
    invoice.refresh_from_db()
    return invoice


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# --- What the document says -------------------------------------------------------------------


def test_dutch_invoice_prints_legal_fields_lines_vat_and_totals(billing):
    c.Customer.objects.filter(pk=billing.project.customer_id).update(name="Bakker Logistiek B.V.")
    billing.approve_ready("8")
    invoice = numbered(confirmed_for(billing))

    first, appendix = pages(render_invoice_pdf(invoice=invoice, proforma=False))

    for expected in [
        # the supplier
        "Dijkstra Consultancy B.V.",
        "Keizersgracht 1",
        "1015 CC Amsterdam",
        "Btw-nummer: NL001234567B01",
        "KvK: 12345678",
        "IBAN: NL91ABNA0417164300",
        # the customer
        "Bakker Logistiek B.V.",
        "Stationsplein 1",
        "Btw-nummer klant: NL009876543B01",
        # number, dates, supply period
        "Factuur",
        f"Factuurnummer {NUMBER}",
        "Factuurdatum 31-03-2026",
        "Vervaldatum 30-04-2026",
        "Leveringsperiode 02-03-2026",
        # the line and its detail: date, text, hours, rate, VAT, amount
        "Development",
        "02-03-2026 Developer 8,00 200,00 21% 1.600,00",
        "Subtotaal 1.600,00",
        # VAT breakdown and totals
        "BTW 21% 1.600,00 336,00",
        "Totaal exclusief btw EUR 1.600,00",
        "Totaal btw EUR 336,00",
        "Totaal inclusief btw EUR 1.936,00",
        # payment
        "Betalingstermijn: 30 dagen",
        "Betalingskenmerk: 1000 0001 7001 7",
    ]:
        assert expected in first, expected
    assert "PRO FORMA" not in first
    assert "Urenspecificatie" in appendix
    assert f"Bijlage bij Factuur {NUMBER}" in appendix
    assert "Totaal uren 8,00" in appendix


def test_english_customer_gets_english_words_and_number_format(billing):
    c.Customer.objects.filter(pk=billing.project.customer_id).update(
        language="en", name="Harbour Freight Ltd"
    )
    billing.approve_ready("8")
    invoice = numbered(confirmed_for(billing))

    first = pages(render_invoice_pdf(invoice=invoice, proforma=False))[0]

    for expected in [
        "Harbour Freight Ltd",
        f"Invoice number {NUMBER}",
        "Invoice date 31 March 2026",
        "Due date 30 April 2026",
        "Supply period 2 March 2026",
        "VAT number: NL001234567B01",
        "Chamber of Commerce: 12345678",
        "Customer VAT number: NL009876543B01",
        "8.00 200.00 21% 1,600.00",
        "VAT 21% 1,600.00 336.00",
        "Total excluding VAT EUR 1,600.00",
        "Total VAT EUR 336.00",
        "Total including VAT EUR 1,936.00",
        "Payment terms: 30 days",
    ]:
        assert expected in first, expected
    assert "1.600,00" not in first
    assert "Factuur" not in first


@pytest.mark.parametrize(
    ("language", "detail_row", "vat_row", "net"),
    [
        (
            "nl",
            "02-03-2026 Developer 8,00 200,00 Btw verlegd 1.600,00",
            "BTW 0% – Btw verlegd 1.600,00 0,00",
            "Totaal inclusief btw EUR 1.600,00",
        ),
        (
            "en",
            "2 March 2026 Developer 8.00 200.00 VAT reverse charged 1,600.00",
            "VAT 0% – VAT reverse charged 1,600.00 0.00",
            "Total including VAT EUR 1,600.00",
        ),
    ],
)
def test_eu_business_customer_gets_the_reverse_charge_text(
    billing, language, detail_row, vat_row, net
):
    eu_b2b = c.SalesTaxGroup.objects.get(code="EU_B2B")
    c.Customer.objects.filter(pk=billing.project.customer_id).update(
        sales_tax_group=eu_b2b, language=language, country="BE", vat_number="BE0123456749"
    )
    billing.approve_ready("8")
    invoice = numbered(confirmed_for(billing))

    first = pages(render_invoice_pdf(invoice=invoice, proforma=False))[0]

    assert detail_row in first  # on the line
    assert vat_row in first  # and in the VAT breakdown (VatCode VRC)
    assert net in first
    assert "BE0123456749" in first


def test_draft_preview_is_watermarked_pro_forma_with_its_reference(billing):
    billing.approve_ready("8")
    invoice = draft_for(billing)

    first, appendix = pages(render_invoice_pdf(invoice=invoice, proforma=True))

    assert "PRO FORMA" in first
    assert "Factuur PRO FORMA" in first
    assert "Concept – dit is geen geldige factuur" in first
    assert f"Referentie (concept) {invoice.reference}" in first
    assert "Factuurnummer" not in first
    assert f"Betalingskenmerk: {invoice.reference}" in first
    assert "PRO FORMA" in appendix  # the watermark is on every page


def test_non_chargeable_detail_is_shown_at_zero_with_a_note(billing):
    billing.approve_ready("8")
    invoice = draft_for(billing)
    update_detail(detail=invoice.details.get(), billing_type="non_chargeable")

    first = pages(render_invoice_pdf(invoice=invoice, proforma=True))[0]

    assert "02-03-2026 Developer (niet in rekening gebracht) 8,00 200,00 21% 0,00" in first
    assert "Totaal exclusief btw EUR 0,00" in first


def test_credit_note_says_so_and_names_the_invoice_it_corrects(billing):
    billing.approve_ready("8")
    original = confirmed_for(billing)
    credit = create_correction(
        invoice=original, remaining=None, invoice_date=INVOICE_DATE, by=billing.manager, now=AT
    )

    first = pages(render_invoice_pdf(invoice=credit, proforma=True))[0]

    assert "Creditnota PRO FORMA" in first
    assert f"Corrigeert factuur {original.reference} van 31-03-2026" in first
    assert "Totaal inclusief btw EUR -1.936,00" in first
    assert "wordt verrekend met openstaande facturen" in first


def test_timesheet_appendix_can_be_left_out(billing):
    billing.approve_ready("8")
    invoice = numbered(confirmed_for(billing))

    pdf = render_invoice_pdf(invoice=invoice, proforma=False, timesheet_appendix=False)

    assert len(pages(pdf)) == 1
    assert "Urenspecificatie" not in pages(pdf)[0]


def test_final_print_needs_the_number(billing):
    billing.approve_ready("8")
    invoice = confirmed_for(billing)

    with pytest.raises(InvoiceDocumentError, match="has no number yet"):
        render_invoice_pdf(invoice=invoice, proforma=False)


# --- Deterministic, and nothing from the network ---------------------------------------------


def test_same_invoice_rendered_twice_gives_identical_bytes(billing):
    billing.approve_ready("8")
    invoice = numbered(confirmed_for(billing))

    first = render_invoice_pdf(invoice=invoice, proforma=False)
    again = render_invoice_pdf(invoice=Invoice.objects.get(pk=invoice.pk), proforma=True)
    preview = render_invoice_pdf(invoice=Invoice.objects.get(pk=invoice.pk), proforma=True)

    assert render_invoice_pdf(invoice=invoice, proforma=False) == first
    assert again == preview
    assert PdfReader(BytesIO(first)).metadata.creation_date == dt.datetime(
        2026, 3, 31, tzinfo=dt.UTC
    )


def embedded_font_dates(pdf: bytes) -> set[int]:
    """The ``head.modified`` stamps of the fonts embedded in the PDF (fontTools' timestamps)."""
    from fontTools.ttLib import TTFont

    resources: list[Any] = [page["/Resources"] for page in PdfReader(BytesIO(pdf)).pages]
    descriptors = [
        font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        for page_resources in resources
        for font in page_resources["/Font"].values()
    ]
    return {
        TTFont(BytesIO(descriptor["/FontFile2"].get_data()))["head"].modified
        for descriptor in descriptors
    }


def test_same_invoice_rendered_on_either_side_of_midnight_gives_identical_bytes(billing):
    """The clock never reaches the bytes: WeasyPrint's fontTools subsetter used to stamp the
    current second into the embedded fonts, so two renderings a second apart differed."""
    billing.approve_ready("8")
    invoice = numbered(confirmed_for(billing))
    before, after = (
        dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=dt.UTC).timestamp(),
        dt.datetime(2026, 4, 1, 0, 0, 1, tzinfo=dt.UTC).timestamp(),
    )

    with mock.patch("time.time", return_value=before):
        first = render_invoice_pdf(invoice=invoice, proforma=False)
    with mock.patch("time.time", return_value=after):
        second = render_invoice_pdf(invoice=invoice, proforma=False)

    assert second == first
    # The fonts carry the shipped files' own date, 2023-03-10 08:35:35 UTC (in fontTools'
    # seconds since 1904-01-01), whatever the clock said.
    assert embedded_font_dates(first) == {3761282135}


#: Renders one invoice in a process of its own (fresh font caches, another hash seed).
RENDER_IN_ANOTHER_PROCESS = """
import sys
import django

django.setup()
from invoicing.documents import render_invoice_pdf
from invoicing.models import Invoice

pk, number, payment_reference, out = sys.argv[1:]
invoice = Invoice.objects.get(pk=pk)
invoice.number, invoice.payment_reference = number, payment_reference
with open(out, "wb") as f:
    f.write(render_invoice_pdf(invoice=invoice, proforma=False))
"""


@pytest.mark.django_db(transaction=True)
def test_same_invoice_rendered_in_two_processes_gives_identical_bytes(billing, tmp_path):
    billing.approve_ready("8")
    invoice = numbered(confirmed_for(billing))
    here = render_invoice_pdf(invoice=invoice, proforma=False)
    out = tmp_path / "other.pdf"
    database_url = urlsplit(os.environ["DATABASE_URL"])._replace(
        path="/" + connection.settings_dict["NAME"]
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url.geturl(),
        "DJANGO_SETTINGS_MODULE": "invoicing.settings",
        "PYTHONHASHSEED": "12345",
    }
    env.pop("SOURCE_DATE_EPOCH", None)  # the other process sets it itself, as every process does

    other = subprocess.run(
        [
            sys.executable,
            "-c",
            RENDER_IN_ANOTHER_PROCESS,
            str(invoice.pk),
            invoice.number,
            invoice.payment_reference,
            str(out),
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        timeout=120,
        capture_output=True,
    )

    assert other.returncode == 0, other.stderr.decode()[-3000:]
    assert out.read_bytes() == here


def test_pdf_embeds_the_shipped_fonts_only(billing):
    billing.approve_ready("8")
    invoice = numbered(confirmed_for(billing))

    reader = PdfReader(BytesIO(render_invoice_pdf(invoice=invoice, proforma=False)))
    fonts = {
        str(font["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
        if "/BaseFont" in font.get_object()
    }

    # The @font-face family of static/fonts (a machine font would carry its own name).
    assert fonts == {"Invoice-Sans", "Invoice-Sans-Bold"}


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/style.css",
        "ftp://example.com/font.ttf",
        "data:text/css,body{}",
        "file:///etc/passwd",
        "file://example.com/work/main/static/fonts/DejaVuSans.ttf",
    ],
)
def test_fetcher_refuses_anything_but_project_files(url):
    with pytest.raises(RefusedURL):
        LocalFilesFetcher().fetch(url)


def test_fetcher_refuses_a_path_that_climbs_out_of_static():
    static = allowed_roots()[0]
    with pytest.raises(RefusedURL, match="under static/ and templates/ only"):
        LocalFilesFetcher().fetch(static.as_uri() + "/../pyproject.toml")


def test_fetcher_serves_the_shipped_font():
    font = allowed_roots()[0] / "fonts" / "DejaVuSans.ttf"

    response = LocalFilesFetcher().fetch(font.as_uri())

    assert response.read() == font.read_bytes()


def test_a_remote_resource_stops_the_rendering():
    html = HTML(
        string='<p>x</p><img src="http://example.com/tracker.png">',
        base_url=allowed_roots()[1].as_uri() + "/",
        url_fetcher=LocalFilesFetcher(),
    )

    with pytest.raises(FatalURLFetchingError):
        html.write_pdf()


def test_markup_in_a_text_is_printed_as_text_and_never_fetched(billing):
    billing.approve_ready("8")
    invoice = draft_for(billing)
    update_detail(
        detail=invoice.details.get(), external_description='<img src="http://example.com/t.png">'
    )

    first = pages(render_invoice_pdf(invoice=invoice, proforma=True))[0]

    # Printed as the characters typed (the column may break the URL after its slash).
    assert '02-03-2026 <img src="http://example.com/' in first
    assert 't.png"> 8,00 200,00' in first


# --- The views --------------------------------------------------------------------------------


def page_url(invoice: Invoice) -> str:
    return reverse("invoicing:invoice-pdf", args=[invoice.pk])


def api_url(invoice: Invoice) -> str:
    return f"/api/v1/invoices/{invoice.pk}/pdf/"


def test_posted_invoice_is_served_from_the_stored_bytes(client, billing, accountant):
    billing.approve_ready("8")
    invoice = post_with_stored_pdf(confirmed_for(billing))
    client.force_login(accountant)

    response = client.get(page_url(invoice))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{NUMBER}.pdf"'
    assert response.content == STORED


def test_api_serves_the_stored_bytes_of_a_posted_invoice(api_client, billing, accountant):
    billing.approve_ready("8")
    invoice = post_with_stored_pdf(confirmed_for(billing))
    api_client.force_authenticate(accountant)

    response = api_client.get(api_url(invoice))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{NUMBER}.pdf"'
    assert response.content == STORED


def test_draft_is_served_as_a_pro_forma_preview(client, billing):
    billing.approve_ready("8")
    invoice = draft_for(billing)
    client.force_login(billing.manager)

    response = client.get(page_url(invoice))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{invoice.reference}-pro-forma.pdf"'
    )
    assert response["Cache-Control"] == "no-store"
    assert "PRO FORMA" in pages(response.content)[0]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.pdf.name, invoice.pdf_sha256) == ("draft", "", "")


def test_api_serves_a_pro_forma_preview_of_a_confirmed_invoice(api_client, billing):
    billing.approve_ready("8")
    invoice = confirmed_for(billing)
    api_client.force_authenticate(billing.manager)

    response = api_client.get(api_url(invoice), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert "PRO FORMA" in pages(response.content)[0]


def test_project_manager_gets_404_for_another_managers_invoice(
    client, api_client, billing, other_project_manager
):
    billing.approve_ready("8")
    invoice = draft_for(billing)
    client.force_login(other_project_manager)
    api_client.force_authenticate(other_project_manager)

    assert client.get(page_url(invoice)).status_code == 404
    response = api_client.get(api_url(invoice))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_team_member_may_not_print_invoices(client, billing, team_member):
    billing.approve_ready("8")
    invoice = draft_for(billing)
    client.force_login(team_member)

    assert client.get(page_url(invoice)).status_code == 403


def test_posted_invoice_without_its_stored_file_is_a_clear_404(
    client, api_client, billing, accountant
):
    billing.approve_ready("8")
    invoice = post_with_stored_pdf(confirmed_for(billing))
    default_storage.delete(invoice.pdf.name)
    client.force_login(accountant)
    api_client.force_authenticate(accountant)

    page = client.get(page_url(invoice))
    api = api_client.get(api_url(invoice))

    message = f"The printed invoice {NUMBER} is missing from storage; ask an administrator."
    assert page.status_code == 404
    assert message in page.content.decode()
    assert api.status_code == 404
    assert api.json()["detail"] == message
    assert not default_storage.exists(invoice.pdf.name)  # nothing was rendered in its place


def test_stored_file_that_fails_its_checksum_is_not_served(client, billing, accountant):
    billing.approve_ready("8")
    invoice = post_with_stored_pdf(confirmed_for(billing), sha256="0" * 64)
    client.force_login(accountant)

    response = client.get(page_url(invoice))

    assert response.status_code == 404
    assert "does not match its checksum" in response.content.decode()
