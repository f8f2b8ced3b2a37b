"""``/api/v1/backlog/``: the T&M billing backlog and its bulk actions (DOMAIN.md §4–5), and
a milestone's ``mark-ready`` / ``mark-not-ready``.

Reading needs ``actuals.view_actual``; the bulk actions ``actuals.manage_backlog`` (project
managers). A project manager sees, and acts on, the items of their own contracts only; ids of
anything else are answered as unknown (400 naming them), never acted on.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import ngettext
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from actuals.models import Actual
from actuals.services.billing import (
    mark_milestones_not_ready,
    mark_milestones_ready,
    mark_not_ready,
    mark_ready,
    reverse_write_off,
    write_off,
)
from contracts.api.base import StableOrderingFilter, requires
from contracts.models import Milestone
from contracts.queries import milestones_visible_to
from contracts.serializers import MilestoneSerializer
from invoicing.filters import (
    BacklogFilter,
    backlog_rows,
    backlog_scope,
    backlog_totals,
    backlog_visible_to,
)
from invoicing.serializers import (
    BacklogActionResultSerializer,
    BacklogActionSerializer,
    BacklogItemSerializer,
    BacklogPageSerializer,
    BacklogTotalsSerializer,
)

from .base import CONFLICT, ERRORS


class BacklogPagination(LimitOffsetPagination):
    """Limit/offset pages whose count comes from the totals query (no second COUNT)."""

    known_count: int | None = None

    def get_count(self, queryset: Any) -> int:
        if self.known_count is not None:
            return self.known_count
        return super().get_count(queryset)


_ACTION = extend_schema(
    request=BacklogActionSerializer,
    responses={200: BacklogActionResultSerializer, **ERRORS, **CONFLICT},
)


class BacklogViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Unbilled chargeable T&M items still in the backlog (not ready, ready, on a draft).

    Filter by contract, customer, project, transaction class, resource, date range, billing
    status and ``nte_failed``; order by ``?ordering=`` (always ending in the id, so pages never
    shuffle). Each page carries ``totals``: the count and the hours and amount per currency
    of the whole filtered set (one aggregate query).

    The bulk actions take ``{"ids": [...]}`` (and ``reason`` for write-off) and change all the
    items or none: an item that cannot take the change (not-to-exceed failed, on an invoice,
    written off) refuses the whole request with 409 and the reason.
    """

    permission_classes = [requires("actuals.view_actual")]
    serializer_class = BacklogItemSerializer
    pagination_class = BacklogPagination
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_class = BacklogFilter
    ordering_fields = [
        "id",
        "transaction_date",
        "contract",
        "customer",
        "project",
        "resource",
        "transaction_class",
        "quantity",
        "amount",
        "billing_status",
    ]
    ordering = ["transaction_date"]
    queryset = Actual.objects.none()

    def get_queryset(self) -> QuerySet[Actual]:
        return backlog_visible_to(self.request.user)

    @extend_schema(responses={200: BacklogPageSerializer, **ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        items = self.filter_queryset(self.get_queryset())
        # Valid here: filter_queryset answered 400 otherwise.
        filterset = DjangoFilterBackend().get_filterset(request, self.get_queryset(), self)
        assert filterset is not None and filterset.is_valid()
        totals = backlog_totals(items, user=request.user, filters=filterset.form.cleaned_data)
        paginator = self.paginator
        assert isinstance(paginator, BacklogPagination)
        paginator.known_count = totals.count
        ids = self.paginate_queryset(items.values_list("pk", flat=True))
        page = backlog_rows(list(ids or []))
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.data["totals"] = BacklogTotalsSerializer(totals).data
        return response

    def _act(self, request: Request, verb: str) -> Response:
        payload = BacklogActionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ids = payload.validated_data["ids"]
        scope = backlog_scope(request.user)
        if verb == "ready":
            changed = mark_ready(actual_ids=ids, scope=scope)
            text = ngettext(
                "%(n)d item marked ready to invoice.",
                "%(n)d items marked ready to invoice.",
                changed,
            )
        elif verb == "not_ready":
            changed = mark_not_ready(actual_ids=ids, scope=scope)
            text = ngettext(
                "%(n)d item marked not ready.", "%(n)d items marked not ready.", changed
            )
        elif verb == "reverse_write_off":
            changed = reverse_write_off(
                actual_ids=ids, scope=scope, by=request.user, at=timezone.now()
            )
            text = ngettext(
                "%(n)d write-off reversed: the item is back in the backlog, not ready.",
                "%(n)d write-offs reversed: the items are back in the backlog, not ready.",
                changed,
            )
        else:
            changed = write_off(
                actual_ids=ids,
                reason=payload.validated_data.get("reason", ""),
                scope=scope,
                by=request.user,
                at=timezone.now(),
            )
            text = ngettext("%(n)d item written off.", "%(n)d items written off.", changed)
        return Response({"changed": changed, "detail": text % {"n": changed}})

    @_ACTION
    @action(
        detail=False,
        methods=["post"],
        url_path="mark-ready",
        permission_classes=[requires("actuals.view_actual", "actuals.manage_backlog")],
    )
    def mark_ready(self, request: Request) -> Response:
        """Mark the items ready to invoice (items already ready are left as they are)."""
        return self._act(request, "ready")

    @_ACTION
    @action(
        detail=False,
        methods=["post"],
        url_path="mark-not-ready",
        permission_classes=[requires("actuals.view_actual", "actuals.manage_backlog")],
    )
    def mark_not_ready(self, request: Request) -> Response:
        """Take the items back to not ready."""
        return self._act(request, "not_ready")

    @_ACTION
    @action(
        detail=False,
        methods=["post"],
        url_path="write-off",
        permission_classes=[requires("actuals.view_actual", "actuals.manage_backlog")],
    )
    def write_off(self, request: Request) -> Response:
        """Write the items off (never billed); ``reason`` is required and kept on each. What
        the journal had posted into WIP is posted out to the write-off account."""
        return self._act(request, "write_off")

    @_ACTION
    @action(
        detail=False,
        methods=["post"],
        url_path="reverse-write-off",
        permission_classes=[requires("actuals.view_actual", "actuals.manage_backlog")],
    )
    def reverse_write_off(self, request: Request) -> Response:
        """Bring written-off items back to the backlog (not ready), reversing their write-off
        posting; refused once the write-off's period is closed."""
        return self._act(request, "reverse_write_off")


class _MilestoneMove(APIView):
    """A milestone's move by the project manager (own contracts; others are 404)."""

    permission_classes = [requires("contracts.view_milestone", "contracts.mark_milestone_ready")]
    ready: bool

    def post(self, request: Request, pk: int) -> Response:
        milestone = get_object_or_404(milestones_visible_to(request.user), pk=pk)
        if self.ready:
            mark_milestones_ready(milestone_ids=[milestone.pk], by=request.user, at=timezone.now())
        else:
            mark_milestones_not_ready(milestone_ids=[milestone.pk], at=timezone.now())
        row = Milestone.objects.select_related("line", "line_customer__contract_customer")
        return Response(MilestoneSerializer(row.get(pk=milestone.pk)).data)


@extend_schema(
    summary="Mark a milestone ready to invoice (from not ready)",
    request=None,
    responses={200: MilestoneSerializer, **ERRORS, **CONFLICT},
)
class MilestoneMarkReadyView(_MilestoneMove):
    ready = True


@extend_schema(
    summary="Take a milestone back to not ready (from ready)",
    request=None,
    responses={200: MilestoneSerializer, **ERRORS, **CONFLICT},
)
class MilestoneMarkNotReadyView(_MilestoneMove):
    ready = False
