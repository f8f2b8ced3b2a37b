"""The printed invoice: an HTML template rendered by WeasyPrint into PDF bytes.

``render_invoice_pdf(invoice=..., proforma=...)`` is called by the posting service (the bytes
are stored in ``Invoice.pdf`` and never rendered again) and by the preview views (a draft or a
proposal, watermarked PRO FORMA). It only reads.

What the page carries (the fields a Dutch / Belgian invoice needs): the supplier's name,
address, VAT and chamber-of-commerce numbers, IBAN and BIC; the customer's name, address and
VAT number; the invoice number and date (a preview: its internal reference and PRO FORMA);
"Credit note" and the invoice it corrects; the supply period (first to last transaction date of
the details); the lines with their details (date, text on the invoice, hours or quantity, rate,
amount; non-chargeable and complimentary details at 0 with a note); the VAT breakdown per VAT
code (base, rate, VAT, and the code's legal text such as "Btw verlegd"); net, VAT and gross;
the payment terms (due date, days), IBAN and payment reference. A timesheet appendix lists the
time details (resource, date, role, hours) on a page of its own.

Decisions:

- Language: the customer's (``Customer.language``, Dutch or English). Words come from
  :mod:`invoicing.documents.labels`; numbers and dates are formatted by Django's locale
  formats inside ``translation.override`` (Dutch 1.234,56 and 31-03-2026; English 1,234.56
  and 31 March 2026).
- Timesheet appendix: ``timesheet_appendix=None`` (the default) means "when the invoice has
  time details"; ``True`` / ``False`` force it on or off.
- The due date is the invoice's own ``due_date`` or, when not set yet, the invoice date plus
  the customer's payment terms; the days printed are the days between the two dates.
- The payment reference is ``invoice.payment_reference`` when set, else the number (or, on a
  preview, the internal reference).
- A final (not pro-forma) rendering needs the legal number and a VAT code for every detail:
  without them :class:`InvoiceDocumentError` says what is missing (the posting service gives
  the number first, then renders). A preview prints what it has, the VAT problems included.
- Deterministic bytes: the PDF's creation and modification dates are the invoice's
  ``posted_at`` (else the invoice date at midnight UTC), the file identifier is derived from
  the invoice, and fonts ship with the project (``static/fonts``, DejaVu Sans); so the same
  invoice rendered twice gives identical bytes, in one process or in two, today or tomorrow.
- The embedded fonts carry a fixed date. WeasyPrint embeds a subset of each font. Where the
  machine has no HarfBuzz-Subset library (``libharfbuzz-subset0``), it subsets with fontTools,
  which stamps the wall-clock second into the subset's ``head.modified`` (and so into its
  checksum). Two renderings a second apart then differed in the font streams (seen as the
  byte-identity test failing now and then, when a loaded machine made one rendering straddle
  a second). fontTools takes that stamp from ``SOURCE_DATE_EPOCH`` when set (the
  reproducible-builds convention), so this module sets it, for the whole process, when it is
  imported: to :data:`FONT_SUBSET_EPOCH`, the shipped font files' own modification date. It
  overrides any value from the environment (the renderer owns it; besides fontTools only
  Python's ``py_compile`` reads it, and the product compiles nothing at run time), so every
  process of a deployment prints the same bytes. We did not choose ``full_fonts=True`` (no
  subsetting: about 735 kB of compressed fonts in every stored invoice), patching
  WeasyPrint or fontTools, or requiring HarfBuzz-Subset (a machine without it would print
  nothing). With HarfBuzz-Subset (as ``.ci/run`` installs) the subset keeps the font's own
  date and the setting is unused.
- Nothing is fetched from the network: every resource goes through
  :class:`~invoicing.documents.fetcher.LocalFilesFetcher`.
"""

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation

from actuals.models import BillingType
from contracts.models import ItemSalesTaxGroup, SalesTaxGroup, TransactionClass
from contracts.money import ZERO
from invoicing.models import Invoice, InvoiceDetail
from invoicing.queries import invoice_totals
from ledger.models import VatCode
from ledger.services import LedgerError, vat_code_for

from .labels import DATE_FORMATS, DEFAULT_LANGUAGE, LANGUAGES, VAT_CATEGORY_TEXTS, labels_for

TEMPLATE = "invoicing/pdf/invoice.html"
#: Font files shipped with the project (static/fonts), by CSS font-weight.
FONTS = {"normal": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
#: What fontTools stamps into a font subset's ``head.modified`` (as a Unix time): the shipped
#: font files' own date, 2023-03-10 08:35:35 UTC. See "The embedded fonts carry a fixed date".
FONT_SUBSET_EPOCH = 1678437335
os.environ["SOURCE_DATE_EPOCH"] = str(FONT_SUBSET_EPOCH)


class InvoiceDocumentError(Exception):
    """The invoice cannot be printed as a final (not pro-forma) document; says what to fix."""


def fonts_dir() -> Path:
    return Path(settings.BASE_DIR) / "static" / "fonts"


def templates_dir() -> Path:
    return Path(settings.BASE_DIR) / "templates" / "invoicing" / "pdf"


@dataclass
class DetailRow:
    date: str
    text: str
    quantity: str
    rate: str
    amount: str
    vat: str
    note: str = ""


@dataclass
class LineBlock:
    heading: str
    rows: list[DetailRow] = field(default_factory=list)
    subtotal: str = ""


@dataclass
class VatBlock:
    label: str
    base: str
    vat: str
    text: str


@dataclass
class TimesheetRow:
    resource: str
    date: str
    role: str
    hours: str
    text: str


class _Formatter:
    """Numbers and dates in the active language (used inside ``translation.override``)."""

    def __init__(self, language: str) -> None:
        self.date_format = DATE_FORMATS[language]

    def money(self, value: Decimal) -> str:
        return formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)

    def quantity(self, value: Decimal) -> str:
        return formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)

    def rate_percent(self, value: Decimal) -> str:
        """21.00 → "21", 5.50 → "5,5" (nl) / "5.5" (en)."""
        normal = value.normalize()
        places = max(0, -normal.as_tuple().exponent)  # type: ignore[operator]
        return formats.number_format(normal, decimal_pos=places, use_l10n=True)

    def date(self, value: dt.date | None) -> str:
        return formats.date_format(value, self.date_format) if value else ""


def invoice_language(invoice: Invoice) -> str:
    language = invoice.customer.language
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def _metadata_date(invoice: Invoice) -> str:
    """W3C date-time for the PDF's creation / modification dates (fixed per invoice)."""
    if invoice.posted_at:
        moment = invoice.posted_at.astimezone(dt.UTC).replace(microsecond=0)
    else:
        moment = dt.datetime.combine(invoice.invoice_date, dt.time(0, 0), tzinfo=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pdf_identifier(invoice: Invoice, *, proforma: bool) -> bytes:
    """A stable PDF file identifier: the same invoice always gets the same one."""
    key = f"{invoice.legal_entity_id}:{invoice.pk}:{invoice.number}:{int(proforma)}"
    return hashlib.sha256(key.encode()).hexdigest()[:32].encode()


class _VatTexts:
    """The VAT code (and its printed text) of each tax-group pair, looked up once."""

    def __init__(self, language: str, fmt: _Formatter, labels: dict[str, str]) -> None:
        self.language, self.fmt, self.labels = language, fmt, labels
        self._codes: dict[tuple[int | None, int | None], VatCode | None] = {}
        self._groups: dict[int, SalesTaxGroup] = {}
        self._items: dict[int, ItemSalesTaxGroup] = {}

    def code_for(self, detail: InvoiceDetail) -> VatCode | None:
        key = (detail.sales_tax_group_id, detail.item_sales_tax_group_id)
        if key not in self._codes:
            try:
                self._codes[key] = vat_code_for(
                    sales_tax_group=detail.sales_tax_group,
                    item_sales_tax_group=detail.item_sales_tax_group,
                )
            except LedgerError:
                self._codes[key] = None
        return self._codes[key]

    def legal_text(self, *, category: str, invoice_text: str) -> str:
        fallback = VAT_CATEGORY_TEXTS[self.language].get(category, "")
        if self.language == "nl":
            return invoice_text or fallback
        return fallback or invoice_text

    def short(self, detail: InvoiceDetail) -> str:
        """The VAT column of a detail: the rate ("21%"), or the legal text where the code has
        one (e.g. "Btw verlegd")."""
        code = self.code_for(detail)
        if code is None:
            return "?"
        text = self.legal_text(category=code.category, invoice_text=code.invoice_text)
        return text or f"{self.fmt.rate_percent(code.rate)}%"


def _detail_text(detail: InvoiceDetail, line_heading: str) -> str:
    """The text on the invoice: the external description, else what was supplied."""
    if detail.external_description:
        return detail.external_description
    if detail.role is not None:
        return detail.role.name
    if detail.category is not None:
        return detail.category.name
    if detail.milestone is not None:
        return detail.milestone.name
    return line_heading


def build_context(
    *, invoice: Invoice, proforma: bool, timesheet_appendix: bool | None = None
) -> dict[str, Any]:
    """Everything the template prints, formatted in the active language (call inside
    ``translation.override(invoice_language(invoice))``)."""
    language = translation.get_language() or DEFAULT_LANGUAGE
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    labels = labels_for(language)
    fmt = _Formatter(language)
    vat_texts = _VatTexts(language, fmt, labels)
    legal, customer = invoice.legal_entity, invoice.customer
    totals = invoice_totals(invoice)

    details = list(
        InvoiceDetail.objects.filter(invoice=invoice)
        .select_related(
            "line__contract_line",
            "resource",
            "role",
            "category",
            "milestone",
            "sales_tax_group",
            "item_sales_tax_group",
        )
        .order_by("line_id", "transaction_date", "pk")
    )
    lines: list[LineBlock] = []
    by_line: dict[int, LineBlock] = {}
    for detail in details:
        block = by_line.get(detail.line_id)
        if block is None:
            heading = detail.line.description or detail.line.contract_line.name
            block = by_line[detail.line_id] = LineBlock(
                heading=heading,
                subtotal=fmt.money(totals.line_amounts.get(detail.line_id, ZERO)),
            )
            lines.append(block)
        chargeable = detail.billing_type == BillingType.CHARGEABLE
        note = ""
        if detail.billing_type == BillingType.NON_CHARGEABLE:
            note = labels["non_chargeable"]
        elif detail.billing_type == BillingType.COMPLIMENTARY:
            note = labels["complimentary"]
        block.rows.append(
            DetailRow(
                date=fmt.date(detail.transaction_date),
                text=_detail_text(detail, block.heading),
                quantity=fmt.quantity(detail.quantity),
                rate=fmt.money(detail.unit_price),
                amount=fmt.money(detail.amount if chargeable else ZERO),
                vat=vat_texts.short(detail),
                note=note,
            )
        )

    dates = [d.transaction_date for d in details]
    supply_from, supply_to = (min(dates), max(dates)) if dates else (None, None)
    if supply_from is None:
        supply_period = ""
    elif supply_from == supply_to:
        supply_period = fmt.date(supply_from)
    else:
        supply_period = f"{fmt.date(supply_from)} – {fmt.date(supply_to)}"

    vat_rows = [
        VatBlock(
            label=labels["vat_rate"] % {"rate": fmt.rate_percent(row.rate)},
            base=fmt.money(row.base),
            vat=fmt.money(row.vat),
            text=vat_texts.legal_text(category=row.category, invoice_text=row.invoice_text),
        )
        for row in totals.vat_rows
    ]
    vat_problems = [labels["vat_unknown"] % {"reason": p} for p in totals.vat_problems]

    time_details = [d for d in details if d.transaction_class == TransactionClass.TIME]
    if timesheet_appendix is None:
        timesheet_appendix = bool(time_details)
    timesheet = [
        TimesheetRow(
            resource=d.resource.name if d.resource else "",
            date=fmt.date(d.transaction_date),
            role=d.role.name if d.role else "",
            hours=fmt.quantity(d.quantity),
            text=_detail_text(d, ""),
        )
        for d in sorted(
            time_details,
            key=lambda d: (d.resource.name if d.resource else "", d.transaction_date, d.pk),
        )
    ]
    total_hours = sum((d.quantity for d in time_details), ZERO)

    due_date = invoice.due_date or invoice.invoice_date + dt.timedelta(
        days=customer.payment_terms_days
    )
    terms_days = (due_date - invoice.invoice_date).days
    identification = invoice.number or invoice.reference
    payment_reference = invoice.payment_reference or identification
    is_credit = invoice.is_credit_note
    title = labels["credit_note"] if is_credit else labels["invoice"]
    if proforma:
        number_label, number_value = labels["reference"], invoice.reference
    else:
        number_label = labels["credit_note_number"] if is_credit else labels["number"]
        number_value = invoice.number
    corrects = ""
    if invoice.corrects is not None:
        corrected = invoice.corrects
        corrects = labels["corrects"] % {
            "number": corrected.number or corrected.reference,
            "date": fmt.date(corrected.invoice_date),
        }
    payment_text = (labels["refund"] if totals.gross < 0 else labels["pay"]) % {
        "currency": invoice.currency,
        "amount": fmt.money(abs(totals.gross)),
        "due": fmt.date(due_date),
        "iban": legal.iban,
        "name": legal.name,
        "reference": payment_reference,
    }

    fonts = fonts_dir()
    return {
        "language": language,
        "t": labels,
        "proforma": proforma,
        "title": title,
        "document_title": f"{title} {number_value}",
        "created": _metadata_date(invoice),
        "font_urls": {weight: (fonts / name).as_uri() for weight, name in FONTS.items()},
        "stylesheet_url": (templates_dir() / "invoice.css").as_uri(),
        "legal": legal,
        "legal_address": legal.address.splitlines(),
        "customer": customer,
        "customer_address": customer.address.splitlines(),
        "number_label": number_label,
        "number_value": number_value,
        "invoice_date": fmt.date(invoice.invoice_date),
        "due_date": fmt.date(due_date),
        "supply_period": supply_period,
        "customer_reference": invoice.customer_reference,
        "contract_number": invoice.contract.number,
        "description": invoice.description,
        "corrects": corrects,
        "currency": invoice.currency,
        "lines": lines,
        "vat_rows": vat_rows,
        "vat_problems": vat_problems,
        "net": fmt.money(totals.net),
        "vat": fmt.money(totals.vat),
        "gross": fmt.money(totals.gross),
        "payment_terms": labels["payment_terms"] % {"days": terms_days},
        "payment_reference": payment_reference,
        "payment_text": payment_text,
        "timesheet_appendix": timesheet_appendix and bool(timesheet),
        "timesheet": timesheet,
        "total_hours": fmt.quantity(total_hours),
        "timesheet_of": labels["timesheet_of"] % {"title": title, "number": number_value},
    }


def render_invoice_html(
    *, invoice: Invoice, proforma: bool, timesheet_appendix: bool | None = None
) -> str:
    """The invoice as HTML, in the customer's language (what WeasyPrint lays out)."""
    with translation.override(invoice_language(invoice)):
        context = build_context(
            invoice=invoice, proforma=proforma, timesheet_appendix=timesheet_appendix
        )
        return render_to_string(TEMPLATE, context)


def render_invoice_pdf(
    *, invoice: Invoice, proforma: bool, timesheet_appendix: bool | None = None
) -> bytes:
    """The printed invoice as PDF bytes.

    ``proforma=True``: a preview of a draft, in review or confirmed invoice, watermarked
    PRO FORMA and identified by its internal reference. ``proforma=False``: the legal
    document, rendered once by the posting service; it needs the invoice number and a VAT code
    for every detail (:class:`InvoiceDocumentError` otherwise). ``timesheet_appendix``: see
    the module docstring (default: when the invoice has time details).
    """
    if not proforma:
        if not invoice.number:
            raise InvoiceDocumentError(
                f"Invoice {invoice.reference} has no number yet: give it its number before "
                "printing it (or print a pro-forma preview)."
            )
        problems = invoice_totals(invoice).vat_problems
        if problems:
            raise InvoiceDocumentError(
                f"Invoice {invoice.number} cannot be printed: {' '.join(problems)}"
            )
    html = render_invoice_html(
        invoice=invoice, proforma=proforma, timesheet_appendix=timesheet_appendix
    )
    # Imported here: WeasyPrint takes about 0.7 s to import, and only printing needs it.
    from weasyprint import HTML

    from .fetcher import LocalFilesFetcher

    fetcher = LocalFilesFetcher()
    document = HTML(string=html, base_url=templates_dir().as_uri() + "/", url_fetcher=fetcher)
    pdf = document.write_pdf(
        pdf_identifier=_pdf_identifier(invoice, proforma=proforma),
        uncompressed_pdf=False,
    )
    assert pdf is not None
    return pdf
