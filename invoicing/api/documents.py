"""``GET /api/v1/invoices/{id}/pdf/``: the printed invoice.

A posted invoice answers with the PDF stored when it was posted (never rendered again); any
other invoice with a fresh preview watermarked PRO FORMA. Same object scope as the other
invoice endpoints: ``invoicing.view_invoice``, a project manager only their own contracts'
invoices (anything else 404), an accountant all. A posted invoice whose stored file is missing
or fails its checksum is 404 with a message that says so.
"""

import json
from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from contracts.api.base import requires
from invoicing.documents import StoredPdfError, pdf_response, printed_invoice
from invoicing.filters import invoices_visible_to

from .base import ERRORS


class PdfRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``; errors still come out as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        if renderer_context and renderer_context.get("response") is not None:
            renderer_context["response"]["Content-Type"] = "application/json"
        return json.dumps(data, default=str).encode()


class InvoicePdfView(APIView):
    permission_classes = [requires("invoicing.view_invoice")]
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        summary="The printed invoice (PDF)",
        description=(
            "Posted: the PDF stored at posting (always the same bytes). Any other status: a "
            "preview watermarked PRO FORMA. Served as an attachment named for the number (or "
            "the draft's reference)."
        ),
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            (403, "application/json"): ERRORS[403],
            (404, "application/json"): ERRORS[404],
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        invoice = (
            invoices_visible_to(request.user)
            .select_related("customer", "legal_entity", "contract", "corrects")
            .filter(pk=pk)
            .first()
        )
        if invoice is None:
            raise NotFound()
        try:
            printed = printed_invoice(invoice)
        except StoredPdfError as exc:
            raise NotFound(str(exc)) from exc
        return pdf_response(printed)
