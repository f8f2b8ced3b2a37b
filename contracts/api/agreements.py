"""Contract endpoints: contracts, contract lines, invoice schedules and milestones.

Reading needs the model's view permission and is narrowed to what the caller may see
(:mod:`contracts.queries`: a project manager sees their own contracts only; anything else is
404). Writing needs the add/change/delete permission (administrators), except marking
milestones ready / not ready, which needs ``contracts.mark_milestone_ready`` (project
managers, on their own contracts). Every write goes through :mod:`contracts.services`.
"""

from typing import Any

from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from contracts.api.base import ModelPermissions, StableOrderingFilter
from contracts.api_errors import Conflict
from contracts.filters import (
    ContractFilter,
    ContractLineFilter,
    InvoiceScheduleFilter,
    MilestoneFilter,
)
from contracts.models import (
    Contract,
    ContractLine,
    InvoiceScheduleEntry,
    Milestone,
    MilestoneStatus,
    ScheduleStatus,
)
from contracts.queries import (
    contract_lines_visible_to,
    contracts_visible_to,
    contracts_with_details,
    lines_with_details,
    milestones_visible_to,
    schedule_entries_visible_to,
)
from contracts.serializers import (
    ContractCreateSerializer,
    ContractLineSerializer,
    ContractSerializer,
    ContractUpdateSerializer,
    ErrorSerializer,
    InvoiceScheduleEntrySerializer,
    MilestoneCreateSerializer,
    MilestoneSerializer,
    ScheduleGenerationSerializer,
)
from contracts.services import (
    create_contract,
    create_milestone,
    generate_invoice_schedule,
)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; reasons by field."),
    403: OpenApiResponse(ErrorSerializer, description="Your role may not do this."),
    404: OpenApiResponse(ErrorSerializer, description="Not found (or not yours to see)."),
}
CONFLICT = {409: OpenApiResponse(ErrorSerializer, description="The state forbids this.")}


class ScopedViewSet(viewsets.GenericViewSet):
    permission_classes = [ModelPermissions]
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]


def _refused(exc: IntegrityError) -> serializers.ValidationError:
    """A database constraint caught what validation did not: still a 400, never a 500."""
    return serializers.ValidationError(
        {"non_field_errors": [_("The data conflicts with existing records: %(e)s") % {"e": exc}]}
    )


@extend_schema_view(
    create=extend_schema(
        summary="Create a whole contract",
        request=ContractCreateSerializer,
        responses={201: ContractSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change header fields",
        request=ContractUpdateSerializer,
        responses={200: ContractSerializer, **ERRORS},
    ),
)
class ContractViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """Contracts with their customers (split) and lines, nested.

    POST takes the whole contract at once (header, customers, lines with coverage, line
    customers and billing rules) and writes it with ``create_contract``: all or nothing.
    PATCH changes header fields only (name, project manager, status, end date, NTE limit,
    sales tax group, customer reference, description), validated like a new contract;
    customers, lines, number, currency and start date are fixed once created. Contracts are
    not deleted (close them); there is no PUT.
    """

    queryset = Contract.objects.all()
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    ordering_fields = ["id", "number", "name", "start_date", "created_at"]
    ordering = ["number"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Contract]:
        return contracts_with_details(contracts_visible_to(self.request.user))

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "create":
            return ContractCreateSerializer
        if self.action in ("update", "partial_update"):
            return ContractUpdateSerializer
        return ContractSerializer

    def _read(self, pk: int) -> dict[str, Any]:
        contract = contracts_with_details(Contract.objects.filter(pk=pk)).get()
        return ContractSerializer(contract, context=self.get_serializer_context()).data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ContractCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            contract = create_contract(spec=serializer.to_spec())
        except IntegrityError as exc:
            raise _refused(exc) from exc
        return Response(self._read(contract.pk), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contract = self.get_object()
        serializer = ContractUpdateSerializer(
            contract, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(self._read(contract.pk))


@extend_schema_view(partial_update=extend_schema(responses={200: ContractLineSerializer, **ERRORS}))
class ContractLineViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """Contract lines: billing method, coverage, included classes, line customers and split,
    NTE limit and billing rules. Lines are created with their contract; PATCH changes
    ``name``, ``external_description`` and ``nte_limit`` only."""

    queryset = ContractLine.objects.all()
    serializer_class = ContractLineSerializer
    filterset_class = ContractLineFilter
    ordering_fields = ["id", "contract", "name"]
    ordering = ["contract", "pk"]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[ContractLine]:
        return lines_with_details(contract_lines_visible_to(self.request.user))


@extend_schema_view(
    create=extend_schema(
        summary="Generate run dates for a T&M line",
        request=ScheduleGenerationSerializer,
        responses={201: InvoiceScheduleEntrySerializer(many=True), **ERRORS},
    ),
    destroy=extend_schema(responses={204: None, **ERRORS, **CONFLICT}),
)
class InvoiceScheduleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """Invoice schedule entries of T&M lines (run date, cut-off = run date − 1, status).

    POST is a generation request ``{line, frequency, start_date, end_date, day,
    times_per_month}``: it adds the run dates of that frequency (dates the line already has
    are kept) and answers with the entries it created. DELETE removes an entry that has not
    run yet; one that ran is 409.
    """

    queryset = InvoiceScheduleEntry.objects.all()
    serializer_class = InvoiceScheduleEntrySerializer
    filterset_class = InvoiceScheduleFilter
    ordering_fields = ["id", "run_date", "line"]
    ordering = ["run_date", "line"]

    def get_queryset(self) -> QuerySet[InvoiceScheduleEntry]:
        return schedule_entries_visible_to(self.request.user).select_related("line")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "create":
            return ScheduleGenerationSerializer
        return InvoiceScheduleEntrySerializer

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context["lines"] = contract_lines_visible_to(self.request.user)
        return context

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ScheduleGenerationSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entries = generate_invoice_schedule(
            line=data["line"],
            frequency=data["frequency"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            day=data.get("day"),
            times_per_month=data.get("times_per_month"),
        )
        created = InvoiceScheduleEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by(
            "run_date", "pk"
        )
        out = InvoiceScheduleEntrySerializer(created.select_related("line"), many=True)
        return Response(out.data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: InvoiceScheduleEntry) -> None:
        if instance.status != ScheduleStatus.PENDING:
            raise Conflict(_("This run date has already run and cannot be removed."))
        instance.delete()


_MILESTONE_ACTION = extend_schema(
    request=None, responses={200: MilestoneSerializer, **ERRORS, **CONFLICT}
)


@extend_schema_view(
    create=extend_schema(
        summary="Create a milestone on a fixed-price line",
        request=MilestoneCreateSerializer,
        responses={201: MilestoneSerializer(many=True), **ERRORS},
    ),
    partial_update=extend_schema(responses={200: MilestoneSerializer, **ERRORS, **CONFLICT}),
    destroy=extend_schema(responses={204: None, **ERRORS, **CONFLICT}),
)
class MilestoneViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """Fixed-price milestones, one row per line customer (the amount is split when created).

    POST ``{line, name, milestone_date, amount, external_description}`` answers with the rows
    created. PATCH (name, date, invoice text) only before the milestone is on an invoice;
    DELETE only while not ready. Its billing moves (``mark-ready`` / ``mark-not-ready``) are
    the billing app's (:mod:`invoicing.api.backlog`), beside the backlog's.
    """

    queryset = Milestone.objects.all()
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter
    ordering_fields = ["id", "milestone_date", "name", "status"]
    ordering = ["milestone_date", "line"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Milestone]:
        return milestones_visible_to(self.request.user).select_related(
            "line", "line_customer__contract_customer"
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "create":
            return MilestoneCreateSerializer
        return MilestoneSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context["lines"] = contract_lines_visible_to(self.request.user).select_related("contract")
        return context

    def _rows(self, ids: list[int]) -> QuerySet[Milestone]:
        return (
            Milestone.objects.filter(pk__in=ids)
            .select_related("line", "line_customer__contract_customer")
            .order_by("pk")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = MilestoneCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        rows = create_milestone(**serializer.validated_data)
        out = MilestoneSerializer(self._rows([m.pk for m in rows]), many=True)
        return Response(out.data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        milestone = serializer.instance
        assert isinstance(milestone, Milestone)
        if milestone.status not in (MilestoneStatus.NOT_READY, MilestoneStatus.READY):
            raise Conflict(_("A milestone on an invoice cannot be changed."))
        serializer.save()

    def perform_destroy(self, instance: Milestone) -> None:
        if instance.status != MilestoneStatus.NOT_READY:
            raise Conflict(_("Only a milestone that is not ready can be deleted."))
        instance.delete()
