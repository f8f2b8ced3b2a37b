"""The printed invoice as an HTTP download (used by the page and the API view)."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from .stored import PrintedInvoice


def pdf_response(printed: PrintedInvoice) -> HttpResponse:
    """``application/pdf`` as an attachment named for the number (or the draft's reference)."""
    response = HttpResponse(printed.content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=printed.filename
    )
    response["Content-Length"] = str(len(printed.content))
    # A preview changes with the draft; a posted invoice never changes, but stays private.
    response["Cache-Control"] = "no-store" if printed.proforma else "private"
    return response
