"""Finance setup: the chart of accounts and the accounting periods (close and reopen)."""

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from contracts.api.base import ModelPermissions, StableOrderingFilter, requires
from contracts.serializers import common as strict
from ledger import services
from ledger.models import Account, Period


class AccountSerializer(strict.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "legal_entity", "code", "name", "account_type", "is_active"]


class PeriodSerializer(strict.ModelSerializer):
    fiscal_year = strict.IntegerField(source="fiscal_year.year", read_only=True)
    legal_entity = strict.IntegerField(source="fiscal_year.legal_entity_id", read_only=True)

    class Meta:
        model = Period
        fields = [
            "id",
            "legal_entity",
            "fiscal_year",
            "number",
            "start_date",
            "end_date",
            "status",
            "status_changed_at",
            "status_changed_by",
        ]


class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    """The chart of accounts."""

    queryset = Account.objects.all()
    serializer_class = AccountSerializer
    permission_classes = [ModelPermissions]
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_fields = ["legal_entity", "account_type", "is_active", "code"]
    ordering_fields = ["id", "code", "name"]
    ordering = ["legal_entity", "code"]


class PeriodViewSet(viewsets.ReadOnlyModelViewSet):
    """Accounting periods; close and reopen them."""

    queryset = Period.objects.select_related("fiscal_year")
    serializer_class = PeriodSerializer
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_fields = {"status": ["exact"], "fiscal_year__legal_entity": ["exact"]}
    ordering_fields = ["id", "start_date"]
    ordering = ["fiscal_year__legal_entity", "start_date"]

    def get_permissions(self) -> list[Any]:
        if self.action in ("close", "reopen"):
            return [requires("ledger.close_period")()]
        return [ModelPermissions()]

    def _change(self, request: Request, pk: str | None, *, close: bool) -> Response:
        period = get_object_or_404(Period, pk=pk)
        now = timezone.now()
        if close:
            period = services.close_period(period=period, closed_by=request.user, closed_at=now)
        else:
            period = services.reopen_period(
                period=period, reopened_by=request.user, reopened_at=now
            )
        return Response(PeriodSerializer(period).data)

    @extend_schema(request=None, responses=PeriodSerializer, summary="Close a period")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._change(request, pk, close=True)

    @extend_schema(request=None, responses=PeriodSerializer, summary="Reopen a period")
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._change(request, pk, close=False)
