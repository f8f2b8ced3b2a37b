"""Integration journals (post one) and their lines (a draft line's tax groups and dimensions)."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from contracts.api.base import ModelPermissions, StableOrderingFilter, requires
from contracts.models import ItemSalesTaxGroup, SalesTaxGroup
from contracts.serializers import common as strict
from ledger import services
from ledger.models import JournalLine
from ledger.queries import journals_with_totals


class JournalSerializer(strict.Serializer):
    id = strict.IntegerField()
    legal_entity = strict.IntegerField(source="legal_entity_id")
    grouping = serializers.CharField()
    journal_date = serializers.DateField()
    status = serializers.CharField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()
    line_count = strict.IntegerField(help_text="All lines.")
    draft_count = strict.IntegerField(help_text="Lines still to post.")
    posted_count = strict.IntegerField()
    error_count = strict.IntegerField(help_text="Draft lines whose last posting failed.")
    draft_total = strict.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, help_text="Sum of draft line amounts."
    )
    total = strict.DecimalField(max_digits=20, decimal_places=2, allow_null=True)


class JournalLineSerializer(strict.ModelSerializer):
    dimension_values = serializers.ManyRelatedField(
        child_relation=strict.PrimaryKeyRelatedField(read_only=True), read_only=True
    )

    class Meta:
        model = JournalLine
        fields = [
            "id",
            "journal",
            "status",
            "error_reason",
            "line_date",
            "kind",
            "project",
            "customer",
            "currency",
            "amount",
            "accounting_amount",
            "sales_tax_group",
            "item_sales_tax_group",
            "dimension_values",
            "description",
            "source_key",
            "entry",
            "posted_at",
        ]
        read_only_fields = fields


class JournalLineUpdateSerializer(strict.Serializer):
    """What the accountant may change on a draft line; omitted fields keep their value."""

    sales_tax_group = strict.PrimaryKeyRelatedField(
        queryset=SalesTaxGroup.objects.all(), allow_null=True, required=False
    )
    item_sales_tax_group = strict.PrimaryKeyRelatedField(
        queryset=ItemSalesTaxGroup.objects.all(), allow_null=True, required=False
    )
    dimension_values = serializers.ListField(
        child=strict.IntegerField(),
        required=False,
        help_text="Ids of dimension values, at most one per dimension (replaces the line's).",
    )


JournalPostResultSerializer = inline_serializer(
    name="JournalPostResult",
    fields={
        "posted": strict.IntegerField(help_text="Lines posted to the ledger."),
        "posted_without_entry": strict.IntegerField(
            help_text="T&M sales lines marked posted with nothing to post (profile not accruing)."
        ),
        "failed": strict.IntegerField(help_text="Lines left in draft with their reason."),
        "journal": JournalSerializer(),
    },
)


class JournalViewSet(viewsets.ReadOnlyModelViewSet):
    """Integration journals with their line counts and totals; post one."""

    serializer_class = JournalSerializer
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_fields = ["legal_entity", "status", "grouping"]
    ordering_fields = ["id", "journal_date"]
    ordering = ["-journal_date"]

    def get_queryset(self) -> QuerySet[Any]:
        from ledger.models import Journal

        if getattr(self, "swagger_fake_view", False):
            return Journal.objects.none()
        return journals_with_totals()

    def get_permissions(self) -> list[Any]:
        if self.action == "post":
            return [requires("ledger.post_journal")()]
        return [requires("ledger.view_journal")()]

    @extend_schema(request=None, responses=JournalPostResultSerializer, summary="Post a journal")
    @action(detail=True, methods=["post"])
    def post(self, request: Request, pk: str | None = None) -> Response:
        journal = get_object_or_404(journals_with_totals(), pk=pk)
        result = services.post_journal(
            journal=journal, posted_by=request.user, posted_at=timezone.now()
        )
        journal = journals_with_totals().get(pk=journal.pk)
        return Response(
            {
                "posted": result.posted,
                "posted_without_entry": result.posted_without_entry,
                "failed": result.failed,
                "journal": JournalSerializer(journal).data,
            }
        )


class JournalLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Journal lines; PATCH changes a draft line's tax groups and dimensions."""

    queryset = JournalLine.objects.prefetch_related("dimension_values")
    serializer_class = JournalLineSerializer
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_fields = ["journal", "status", "kind", "project"]
    ordering_fields = ["id", "line_date"]
    ordering = ["line_date"]

    def get_permissions(self) -> list[Any]:
        if self.action == "partial_update":
            return [requires("ledger.change_journalline")()]
        return [ModelPermissions()]

    @extend_schema(
        request=JournalLineUpdateSerializer,
        responses=JournalLineSerializer,
        summary="Change a draft line's tax groups and dimensions",
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        line = get_object_or_404(JournalLine, pk=pk)
        data = JournalLineUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        line = services.update_journal_line(
            line=line,
            # A group the request leaves out is kept (not re-sent: an invoice's own choice
            # made since stays).
            sales_tax_group=given.get("sales_tax_group", services.KEEP),
            item_sales_tax_group=given.get("item_sales_tax_group", services.KEEP),
            dimension_values=given.get(
                "dimension_values", list(line.dimension_values.values_list("pk", flat=True))
            ),
        )
        return Response(JournalLineSerializer(self.get_queryset().get(pk=line.pk)).data)
