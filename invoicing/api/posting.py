"""Posting invoice proposals through the API.

- ``PATCH /api/v1/invoices/{id}/proposal/``: what the accountant may still change on a
  confirmed invoice (dates, texts, tax groups per line; needs ``version``);
- ``POST /api/v1/invoices/{id}/post/``: post it (200 with the posted invoice; 409 when it is
  not a proposal any more, e.g. the second of two posts; 400 with what to fix when something
  blocks it; 403 for the one who confirmed it);
- ``POST /api/v1/invoices/post-selected/``: post many in the background: 202 with the batch;
- ``GET /api/v1/posting-batches/`` and ``/{id}/``: a batch's progress, counts and failures.

Permissions: ``invoicing.change_invoiceproposal`` to update, ``invoicing.post_invoice`` to
post and to see batches. Every write is one service call (:mod:`invoicing.services.posting`).
"""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from contracts.api.base import StableOrderingFilter, job_started, requires
from contracts.models import ItemSalesTaxGroup, SalesTaxGroup
from contracts.serializers import ErrorSerializer
from contracts.serializers import common as strict
from invoicing.filters import invoices_visible_to
from invoicing.models import Invoice, PostingBatch
from invoicing.serializers import InvoiceSerializer
from invoicing.services import (
    post_invoice,
    queue_posting_batch,
    start_posting_batch,
    update_proposal,
)

from .base import CONFLICT, ERRORS, QUEUE_DOWN

# --- serializers ----------------------------------------------------------------------------------


class PostedInvoiceSerializer(InvoiceSerializer):
    """An invoice with its posting: number, payment reference, voucher, PDF checksum."""

    voucher_number = serializers.CharField(
        source="ledger_entry.voucher_number",
        read_only=True,
        default="",
        help_text=gettext_lazy("The ledger voucher of the posting."),
    )

    class Meta(InvoiceSerializer.Meta):
        fields = [
            *InvoiceSerializer.Meta.fields,
            "payment_reference",
            "posted_at",
            "posted_by",
            "ledger_entry",
            "voucher_number",
            "pdf_sha256",
        ]
        read_only_fields = fields
        extra_kwargs = {
            **InvoiceSerializer.Meta.extra_kwargs,
            "payment_reference": {
                "help_text": gettext_lazy("ISO 11649 creditor reference (RF…), once posted.")
            },
            "pdf_sha256": {"help_text": gettext_lazy("SHA-256 of the stored printed invoice.")},
        }


class ProposalLineSerializer(strict.Serializer):
    id = strict.IntegerField(help_text=gettext_lazy("The invoice line's id."))
    sales_tax_group = strict.PrimaryKeyRelatedField(
        queryset=SalesTaxGroup.objects.all(), help_text=gettext_lazy("Sales tax group id.")
    )
    item_sales_tax_group = strict.PrimaryKeyRelatedField(
        queryset=ItemSalesTaxGroup.objects.all(),
        help_text=gettext_lazy("Item sales tax group id."),
    )


class ProposalUpdateSerializer(strict.Serializer):
    version = strict.IntegerField(
        min_value=1,
        help_text=gettext_lazy("The version you loaded; an older one is refused (409)."),
    )
    invoice_date = serializers.DateField(required=False)
    accounting_date = serializers.DateField(
        required=False, help_text=gettext_lazy("Empty: the invoice date.")
    )
    due_date = serializers.DateField(
        required=False, help_text=gettext_lazy("Empty: invoice date + the payment terms.")
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=300)
    customer_reference = serializers.CharField(required=False, allow_blank=True, max_length=100)
    lines = ProposalLineSerializer(
        many=True,
        required=False,
        help_text=gettext_lazy("Tax groups per line, set on every detail of the line."),
    )


class PostSelectedSerializer(strict.Serializer):
    invoice_ids = serializers.ListField(
        child=strict.IntegerField(min_value=1),
        allow_empty=False,
        help_text=gettext_lazy("Ids of confirmed invoices (invoice proposals)."),
    )


class PostingBatchSerializer(strict.ModelSerializer):
    started_by = serializers.CharField(source="started_by.get_username", read_only=True)

    class Meta:
        model = PostingBatch
        fields = [
            "id",
            "status",
            "started_at",
            "finished_at",
            "started_by",
            "invoice_ids",
            "total",
            "posted",
            "failed",
            "failures",
            "heartbeat_at",
            "message",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "status": {"help_text": gettext_lazy("running, done, failures or failed.")},
            "message": {"help_text": gettext_lazy("Why the batch failed, when it did.")},
            "failures": {"help_text": gettext_lazy("Invoice id → the reason it was not posted.")},
        }


# --- views ------------------------------------------------------------------------------------------

_FORBIDDEN = {
    403: OpenApiResponse(
        ErrorSerializer, description="Your role may not, or you confirmed this invoice."
    )
}


class PostingActionsMixin:
    """Actions of :class:`invoicing.api.InvoiceViewSet` for invoice proposals."""

    get_object: Any
    _read: Any  # InvoiceViewSet._read: the one way an action's answer is read

    def _posted(self, invoice: Invoice) -> Response:
        return self._read(invoice.pk, serializer=PostedInvoiceSerializer)

    @extend_schema(
        summary="Update an invoice proposal (dates, texts, tax groups per line)",
        request=ProposalUpdateSerializer,
        responses={200: PostedInvoiceSerializer, **ERRORS, **CONFLICT},
    )
    @action(
        detail=True,
        methods=["patch"],
        permission_classes=[requires("invoicing.view_invoice", "invoicing.change_invoiceproposal")],
    )
    def proposal(self, request: Request, pk: str | None = None) -> Response:
        """Only on a confirmed invoice (409 otherwise, or for a stale ``version``). A pair of
        tax groups without a VAT code, or a due date before the invoice date, is 400."""
        invoice = self.get_object()
        payload = ProposalUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        lines = data.pop("lines", None)
        groups = (
            None
            if lines is None
            else {row["id"]: (row["sales_tax_group"], row["item_sales_tax_group"]) for row in lines}
        )
        update_proposal(invoice=invoice, by=request.user, line_tax_groups=groups, **data)
        return self._posted(invoice)

    @extend_schema(
        summary="Post an invoice proposal",
        request=None,
        responses={200: PostedInvoiceSerializer, **ERRORS, **_FORBIDDEN, **CONFLICT},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="post",
        url_name="post",
        permission_classes=[requires("invoicing.view_invoice", "invoicing.post_invoice")],
    )
    def post_proposal(self, request: Request, pk: str | None = None) -> Response:
        # Not named ``post``: on a viewset that would become the POST handler of every route.
        """Confirmed → posted: the gapless number, the ledger entry, the customer open item
        and the stored PDF, in one transaction. A second post is 409 (one entry, one number);
        what blocks the posting (journal lines not posted, a closed period, a VAT pair with no
        code, a customer without address) is 400 naming what to fix."""
        invoice = self.get_object()
        post_invoice(invoice=invoice, by=request.user, at=timezone.now())
        return self._posted(invoice)

    @extend_schema(
        summary="Post many invoice proposals in the background",
        request=PostSelectedSerializer,
        responses={202: PostingBatchSerializer, **ERRORS, **QUEUE_DOWN},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="post-selected",
        permission_classes=[requires("invoicing.view_invoice", "invoicing.post_invoice")],
    )
    def post_selected(self, request: Request) -> Response:
        """Records a posting batch and queues it; 202 with the batch (follow it at
        ``/api/v1/posting-batches/{id}/``). Ids that are not proposals are 400; a task queue
        that cannot be reached is 503 with ``Retry-After`` (the batch is recorded failed)."""
        payload = PostSelectedSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(payload.validated_data["invoice_ids"]))
        visible = set(
            invoices_visible_to(request.user).filter(pk__in=ids).values_list("pk", flat=True)
        )
        unknown = [i for i in ids if i not in visible]
        if unknown:
            raise serializers.ValidationError(
                {
                    "invoice_ids": [
                        _("Unknown invoices: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}
                    ]
                }
            )
        now = timezone.now()
        with transaction.atomic():
            batch = start_posting_batch(invoice_ids=ids, by=request.user, at=now)
            queue_posting_batch(batch, now=now)
        batch.refresh_from_db()
        return job_started(batch, PostingBatchSerializer(batch).data, name="batch")


@extend_schema_view(
    list=extend_schema(summary="Posting batches (post selected), newest first"),
    retrieve=extend_schema(summary="One posting batch: progress, counts and failures"),
)
class PostingBatchViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Background *post selected* batches; whoever may post sees them all."""

    permission_classes = [requires("invoicing.post_invoice")]
    serializer_class = PostingBatchSerializer
    filter_backends = [StableOrderingFilter]
    ordering_fields = ["id", "started_at"]
    ordering = ["-started_at"]
    queryset = PostingBatch.objects.all()

    def get_queryset(self) -> QuerySet[PostingBatch]:
        return PostingBatch.objects.select_related("started_by")
