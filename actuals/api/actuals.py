"""Project actuals (read only), with their filters."""

import django_filters
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from actuals import queries
from actuals.models import Actual, ActualType, BillingStatus
from contracts.models import TransactionClass
from contracts.serializers import common as strict


class BillingStateFields(strict.Serializer):
    """An unbilled actual's billing state (``ActualBilling``), as fields of the actual; empty
    on actuals that have none (cost, billed sales, reversals)."""

    billing_status = serializers.CharField(
        source="billing.status",
        read_only=True,
        default="",
        help_text=_("not_ready, ready, on_draft, invoiced, written_off, cancelled, or empty."),
    )
    nte_status = serializers.CharField(
        source="billing.nte_status",
        read_only=True,
        default="",
        help_text=_("ok, failed (not-to-exceed), or empty."),
    )
    nte_failed_level = serializers.CharField(
        source="billing.nte_failed_level",
        read_only=True,
        default="",
        help_text=_("The limit that failed, when it failed."),
    )
    nte_message = serializers.CharField(
        source="billing.nte_message",
        read_only=True,
        default="",
        help_text=_("Why the not-to-exceed check failed."),
    )
    write_off_reason = serializers.CharField(
        source="billing.write_off_reason",
        read_only=True,
        default="",
        help_text=_("Why it was written off."),
    )


class ActualSerializer(BillingStateFields, strict.ModelSerializer):
    class Meta:
        model = Actual
        fields = (
            "id",
            "actual_type",
            "transaction_class",
            "project",
            "task",
            "contract",
            "contract_line",
            "line_customer",
            "customer",
            "resource",
            "role",
            "category",
            "transaction_date",
            "quantity",
            "unit_price",
            "amount",
            "currency",
            "billing_type",
            "billing_status",
            "nte_status",
            "nte_failed_level",
            "nte_message",
            "write_off_reason",
            "reverses",
            "time_entry",
            "expense_entry",
            "price_warning",
            "description",
            "external_description",
            "created_at",
        )
        read_only_fields = fields


class ActualFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(field_name="actual_type", choices=ActualType.choices)
    transaction_class = django_filters.ChoiceFilter(choices=TransactionClass.choices)
    billing_status = django_filters.ChoiceFilter(
        field_name="billing__status", choices=BillingStatus.choices
    )
    date_from = django_filters.DateFilter(field_name="transaction_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="transaction_date", lookup_expr="lte")

    class Meta:
        model = Actual
        fields = ("project", "contract", "customer", "time_entry", "expense_entry")


# ``class`` is a Python keyword; the API names the filter so all the same (API.md).
ActualFilter.base_filters["class"] = django_filters.ChoiceFilter(
    field_name="transaction_class", choices=TransactionClass.choices
)


class ActualViewSet(viewsets.ReadOnlyModelViewSet):
    """Project actuals (read only): filter by project, contract, customer, type, class,
    billing_status, date_from / date_to. A project manager sees own projects' actuals."""

    serializer_class = ActualSerializer
    filterset_class = ActualFilter
    ordering_fields = ("transaction_date", "id")

    def get_queryset(self):  # type: ignore[override]
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema generator
            return Actual.objects.none()
        if not self.request.user.has_perm("actuals.view_actual"):
            raise PermissionDenied
        return queries.visible_actuals(self.request.user).order_by("transaction_date", "pk")
