"""What a print request serves: the stored bytes of a posted invoice, a fresh pro-forma preview
of any other.

A posted invoice always prints the same: its PDF was rendered once by the posting service and
stored in ``Invoice.pdf`` with its SHA-256 in ``pdf_sha256``; it is served from storage and
never rendered again. If the file is gone, or its bytes no longer match the checksum,
:class:`StoredPdfError` says so (the views answer 404 with that message) instead of quietly
printing a new one.
"""

import hashlib
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from invoicing.models import Invoice, InvoiceStatus

from .rendering import render_invoice_pdf


class StoredPdfError(Exception):
    """The stored PDF of a posted invoice is missing or does not match its checksum."""


@dataclass(frozen=True)
class PrintedInvoice:
    content: bytes
    filename: str
    proforma: bool


def pdf_filename(invoice: Invoice) -> str:
    """``2026-000123.pdf`` for a posted invoice, ``PF-000042-pro-forma.pdf`` for a preview
    (only letters, digits, dot, dash and underscore)."""
    if invoice.status == InvoiceStatus.POSTED and invoice.number:
        stem = invoice.number
    else:
        stem = f"{invoice.reference}-pro-forma"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-") + ".pdf"


def stored_invoice_pdf(invoice: Invoice) -> bytes:
    """The bytes stored when the invoice was posted, checked against ``pdf_sha256``."""
    name = invoice.number or invoice.reference
    if not invoice.pdf:
        raise StoredPdfError(
            _("The printed invoice %(number)s is missing from storage; ask an administrator.")
            % {"number": name}
        )
    try:
        with invoice.pdf.open("rb") as stored:
            content = stored.read()
    except FileNotFoundError as exc:
        raise StoredPdfError(
            _("The printed invoice %(number)s is missing from storage; ask an administrator.")
            % {"number": name}
        ) from exc
    if invoice.pdf_sha256 and hashlib.sha256(content).hexdigest() != invoice.pdf_sha256:
        raise StoredPdfError(
            _(
                "The stored printed invoice %(number)s does not match its checksum; ask an "
                "administrator."
            )
            % {"number": name}
        )
    return content


def printed_invoice(invoice: Invoice) -> PrintedInvoice:
    """Posted → the stored bytes; any other status → a fresh preview watermarked PRO FORMA."""
    if invoice.status == InvoiceStatus.POSTED:
        return PrintedInvoice(stored_invoice_pdf(invoice), pdf_filename(invoice), proforma=False)
    return PrintedInvoice(
        render_invoice_pdf(invoice=invoice, proforma=True), pdf_filename(invoice), proforma=True
    )
