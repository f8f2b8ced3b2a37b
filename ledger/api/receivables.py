"""The customer subledger: customer transactions (open items)."""

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, viewsets

from contracts.api.base import ModelPermissions, StableOrderingFilter
from contracts.serializers import common as strict
from ledger.models import CustomerTransaction


class CustomerTransactionSerializer(strict.ModelSerializer):
    voucher_number = serializers.CharField(source="entry.voucher_number", read_only=True)

    class Meta:
        model = CustomerTransaction
        fields = [
            "id",
            "legal_entity",
            "customer",
            "entry",
            "voucher_number",
            "document_number",
            "document_date",
            "due_date",
            "currency",
            "amount",
            "accounting_amount",
            "open_amount",
            "settles",
        ]


class CustomerTransactionViewSet(viewsets.ReadOnlyModelViewSet):
    """The customer subledger: open items (``?all=1`` includes settled ones)."""

    serializer_class = CustomerTransactionSerializer
    permission_classes = [ModelPermissions]
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_fields = ["legal_entity", "customer", "currency"]
    ordering_fields = ["id", "document_date", "due_date"]
    ordering = ["due_date"]

    def get_queryset(self) -> QuerySet[CustomerTransaction]:
        qs = CustomerTransaction.objects.select_related("entry")
        if getattr(self, "swagger_fake_view", False) or self.request.query_params.get("all"):
            return qs
        return qs.exclude(open_amount=0)
