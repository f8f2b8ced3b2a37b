"""Documents of the billing app: the printed invoice (PDF, WeasyPrint).

``render_invoice_pdf(*, invoice, proforma)`` renders; ``printed_invoice(invoice)`` is what the
print views serve (stored bytes of a posted invoice, else a PRO FORMA preview). WeasyPrint
(about 0.7 s to import) is imported only when a PDF is rendered; the URL fetcher that keeps it
off the network is :class:`invoicing.documents.fetcher.LocalFilesFetcher`.
"""

from .http import pdf_response
from .rendering import InvoiceDocumentError, render_invoice_html, render_invoice_pdf
from .stored import PrintedInvoice, StoredPdfError, pdf_filename, printed_invoice

__all__ = [
    "InvoiceDocumentError",
    "PrintedInvoice",
    "StoredPdfError",
    "pdf_filename",
    "pdf_response",
    "printed_invoice",
    "render_invoice_html",
    "render_invoice_pdf",
]
