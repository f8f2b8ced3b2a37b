"""The printed invoice as a download: ``/billing/invoices/<pk>/pdf/`` (``invoicing:invoice-pdf``).

A posted invoice is served from the bytes stored when it was posted (never rendered again); any
other invoice is rendered afresh as a preview watermarked PRO FORMA. Who may print: whoever may
view the invoice (``invoicing.view_invoice``: project managers their own contracts' invoices,
anything else is 404; accountants all). A posted invoice whose stored file is missing or fails
its checksum gets a 404 page that says so.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from invoicing.documents import StoredPdfError, pdf_response, printed_invoice
from invoicing.filters import invoices_visible_to

from .common import require


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "invoicing.view_invoice")
    invoice = get_object_or_404(
        invoices_visible_to(request.user).select_related(
            "customer", "legal_entity", "contract", "corrects"
        ),
        pk=pk,
    )
    try:
        printed = printed_invoice(invoice)
    except StoredPdfError as exc:
        return render(
            request,
            "invoicing/pdf/unavailable.html",
            {"invoice": invoice, "message": str(exc)},
            status=404,
        )
    return pdf_response(printed)
