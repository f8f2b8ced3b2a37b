"""Time and expense entries: create, edit, delete, submit and recall (team member); approve,
return and cancel the approval (project manager); import time entries from CSV/XLSX.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from actuals import queries, services
from actuals.api.actuals import ActualSerializer
from actuals.models import ExpenseEntry, TimeEntry
from actuals.models.entries import Entry
from contracts.api_parsers import JSONParser
from contracts.models import Resource
from contracts.serializers import common as strict

_ENTRY_READ_ONLY = (
    "id",
    "resource",
    "status",
    "return_comment",
    "billable_quantity",
    "created_at",
    "submitted_at",
    "approved_at",
    "approved_by",
    "returned_at",
    "returned_by",
)
_ENTRY_FIELDS = (
    *_ENTRY_READ_ONLY,
    "project",
    "task",
    "entry_date",
    "description",
    "external_description",
)


class TimeEntrySerializer(strict.ModelSerializer):
    class Meta:
        model = TimeEntry
        fields = (*_ENTRY_FIELDS, "role", "hours")
        read_only_fields = _ENTRY_READ_ONLY


class ExpenseEntrySerializer(strict.ModelSerializer):
    receipt = serializers.FileField(required=False, allow_null=True, use_url=False)

    class Meta:
        model = ExpenseEntry
        fields = (*_ENTRY_FIELDS, "category", "quantity", "amount", "currency", "receipt")
        read_only_fields = _ENTRY_READ_ONLY


class ApproveSerializer(strict.Serializer):
    billable_quantity = strict.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        min_value=Decimal("0"),
        help_text="Hours / units to bill; empty = as submitted.",
    )


class ReturnSerializer(strict.Serializer):
    comment = serializers.CharField(help_text="Why the entry goes back to its author.")


class CancelApprovalSerializer(strict.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ImportSerializer(strict.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8) or XLSX; see actuals.importing.")


def _today() -> dt.date:
    return timezone.localdate()


def _resource_of(user: Any) -> Resource:
    try:
        return Resource.objects.get(user=user)
    except Resource.DoesNotExist as exc:
        raise ValidationError(
            {"resource": _("You are not set up as a resource that books time.")}
        ) from exc


class _EntryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    model: type[TimeEntry] | type[ExpenseEntry]
    filterset_fields = ("status", "project", "entry_date")
    ordering_fields = ("entry_date", "id")

    def get_queryset(self):  # type: ignore[override]
        model: Any = self.model
        return queries.visible_entries(self.request.user, model).order_by("-entry_date", "-pk")

    def _require_perm(self, action_name: str) -> None:
        codename = f"actuals.{action_name}_{self.model._meta.model_name}"
        if not self.request.user.has_perm(codename):
            raise PermissionDenied

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        return fn(**kwargs)

    def _entry_response(self, entry: Entry, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(entry).data, status=code)

    def perform_destroy(self, instance: Entry) -> None:
        self._require_perm("delete")
        self._call(services.delete_entry, entry=instance, by=self.request.user)

    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        entry = self._call(
            services.submit_entry,
            entry=self.get_object(),
            by=request.user,
            submitted_at=timezone.now(),
            today=_today(),
        )
        return self._entry_response(entry)

    @action(detail=True, methods=["post"])
    def recall(self, request: Request, pk: str | None = None) -> Response:
        entry = self._call(services.recall_entry, entry=self.get_object(), by=request.user)
        return self._entry_response(entry)

    def _approver_entry(self) -> Entry:
        entry = self.get_object()
        if not queries.can_approve(self.request.user, entry):
            raise PermissionDenied
        return entry

    @extend_schema(request=ApproveSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        entry = self._approver_entry()
        body = ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fn = (
            services.approve_time_entry
            if isinstance(entry, TimeEntry)
            else services.approve_expense_entry
        )
        result = self._call(
            fn,
            entry=entry,
            approved_by=request.user,
            approved_at=timezone.now(),
            billable_quantity=body.validated_data.get("billable_quantity"),
        )
        return Response(
            {
                "entry": self.get_serializer(result.entry).data,
                "actuals": ActualSerializer(result.actuals, many=True).data,
                "warnings": result.warnings,
            }
        )

    @extend_schema(request=ReturnSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        entry = self._approver_entry()
        body = ReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = self._call(
            services.return_entry,
            entry=entry,
            comment=body.validated_data["comment"],
            returned_by=request.user,
            returned_at=timezone.now(),
        )
        return self._entry_response(entry)

    @extend_schema(request=CancelApprovalSerializer)
    @action(detail=True, methods=["post"], url_path="cancel-approval")
    def cancel_approval(self, request: Request, pk: str | None = None) -> Response:
        entry = self._approver_entry()
        body = CancelApprovalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = self._call(
            services.cancel_approval,
            entry=entry,
            by=request.user,
            at=timezone.now(),
            reason=body.validated_data["reason"],
        )
        return Response(
            {
                "entry": self.get_serializer(result.entry).data,
                "reversals": ActualSerializer(result.reversals, many=True).data,
            }
        )


class TimeEntryViewSet(_EntryViewSet):
    """Time entries: own drafts for team members; a project manager sees own projects'."""

    model = TimeEntry
    serializer_class = TimeEntrySerializer

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self._require_perm("add")
        d = serializer.validated_data
        serializer.instance = services.create_time_entry(
            resource=_resource_of(self.request.user),
            project=d["project"],
            task=d.get("task"),
            role=d["role"],
            entry_date=d["entry_date"],
            hours=d["hours"],
            description=d.get("description", ""),
            external_description=d.get("external_description", ""),
            created_at=timezone.now(),
            today=_today(),
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        self._require_perm("change")
        entry: Any = serializer.instance
        d = serializer.validated_data
        serializer.instance = self._call(
            services.update_time_entry,
            entry=entry,
            by=self.request.user,
            project=d.get("project", entry.project),
            task=d.get("task", entry.task),
            role=d.get("role", entry.role),
            entry_date=d.get("entry_date", entry.entry_date),
            hours=d.get("hours", entry.hours),
            description=d.get("description", entry.description),
            external_description=d.get("external_description", entry.external_description),
            today=_today(),
        )

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={
            201: inline_serializer(
                "TimeEntryImportResult",
                {"created": strict.IntegerField(), "ids": serializers.ListField()},
            )
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_(self, request: Request) -> Response:
        """Import time entries from CSV/XLSX: all rows as drafts, or none (400 with
        ``row N, field: reason`` errors)."""
        self._require_perm("add")
        body = ImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user

        def lookup(username: str) -> Resource | None:
            qs = Resource.objects.filter(user__username=username)
            assert user.is_authenticated
            if not (user.is_superuser or user.has_perm("contracts.change_resource")):
                qs = qs.filter(user=user)
            return qs.first()

        entries = services.import_time_entries(
            resource_lookup=lookup,
            file=body.validated_data["file"],
            created_by=user,
            today=_today(),
            created_at=timezone.now(),
        )
        return Response(
            {"created": len(entries), "ids": [e.pk for e in entries]},
            status=status.HTTP_201_CREATED,
        )


class ExpenseEntryViewSet(_EntryViewSet):
    """Expense entries (with a receipt file: PDF, PNG or JPEG, size-limited)."""

    model = ExpenseEntry
    serializer_class = ExpenseEntrySerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]  # the API's JSON (depth limit)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self._require_perm("add")
        d = serializer.validated_data
        serializer.instance = services.create_expense_entry(
            resource=_resource_of(self.request.user),
            project=d["project"],
            task=d.get("task"),
            category=d["category"],
            entry_date=d["entry_date"],
            quantity=d.get("quantity", Decimal("1")),
            amount=d["amount"],
            currency=d["currency"],
            description=d.get("description", ""),
            external_description=d.get("external_description", ""),
            receipt=d.get("receipt"),
            created_at=timezone.now(),
            today=_today(),
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        self._require_perm("change")
        entry: Any = serializer.instance
        d = serializer.validated_data
        serializer.instance = self._call(
            services.update_expense_entry,
            entry=entry,
            by=self.request.user,
            project=d.get("project", entry.project),
            task=d.get("task", entry.task),
            category=d.get("category", entry.category),
            entry_date=d.get("entry_date", entry.entry_date),
            quantity=d.get("quantity", entry.quantity),
            amount=d.get("amount", entry.amount),
            currency=d.get("currency", entry.currency),
            description=d.get("description", entry.description),
            external_description=d.get("external_description", entry.external_description),
            receipt=d.get("receipt"),
            today=_today(),
        )
