"""Invoice schedule and milestone serializers."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contracts.fiscal_calendar import calendar_errors
from contracts.models import (
    ContractLine,
    InvoiceScheduleEntry,
    Milestone,
    ScheduleFrequency,
)
from contracts.serializers import common as strict
from contracts.serializers.common import (
    DottedErrorsMixin,
)

# --- invoice schedules and milestones -------------------------------------------------------


class InvoiceScheduleEntrySerializer(strict.ModelSerializer):
    contract = strict.IntegerField(
        source="line.contract_id", read_only=True, help_text=_("The contract (id).")
    )

    class Meta:
        model = InvoiceScheduleEntry
        fields = [
            "id",
            "line",
            "contract",
            "run_date",
            "cut_off_date",
            "status",
            "failure_reason",
            "ran_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "line": {"help_text": _("The time-and-material contract line (id).")},
            "run_date": {"help_text": _("The day the invoice run takes this line.")},
            "cut_off_date": {"help_text": _("Items dated up to this day are taken (run − 1).")},
            "status": {"help_text": _("pending (not run), done or failed.")},
            "failure_reason": {"help_text": _("Why the run failed, if it did.")},
            "ran_at": {"help_text": _("When the run happened.")},
        }


class ScheduleGenerationSerializer(DottedErrorsMixin, strict.Serializer):
    """Adds run dates to a T&M line's schedule; dates it already has are kept."""

    line = strict.PrimaryKeyRelatedField(
        queryset=ContractLine.objects.all(), help_text=_("A time-and-material line (id).")
    )
    frequency = serializers.ChoiceField(
        choices=ScheduleFrequency.choices, help_text=_("How often the line is invoiced.")
    )
    start_date = serializers.DateField(help_text=_("First possible run date."))
    end_date = serializers.DateField(help_text=_("Last possible run date."))
    day = strict.IntegerField(
        required=False,
        allow_null=True,
        help_text=_(
            "weekly / biweekly: weekday 0 (Monday) to 6, default the start date's; "
            "monthly: day of month 1–31 (clamped to the month's end), default 1."
        ),
    )
    times_per_month = strict.IntegerField(
        required=False,
        allow_null=True,
        help_text=_("n_per_month only: 2 to 28 runs spread evenly over each month."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lines = self.context.get("lines")
        if lines is not None:
            self.fields["line"].queryset = lines  # type: ignore[attr-defined]


class MilestoneSerializer(DottedErrorsMixin, strict.ModelSerializer):
    """A milestone row (one per line customer). PATCH changes name, date and invoice text."""

    contract = strict.IntegerField(
        source="line.contract_id", read_only=True, help_text=_("The contract (id).")
    )
    customer = strict.IntegerField(
        source="line_customer.contract_customer.customer_id",
        read_only=True,
        help_text=_("The customer this row bills (id)."),
    )

    class Meta:
        model = Milestone
        fields = [
            "id",
            "line",
            "contract",
            "line_customer",
            "customer",
            "name",
            "milestone_date",
            "amount",
            "currency",
            "external_description",
            "status",
        ]
        read_only_fields = ["line", "line_customer", "amount", "currency", "status"]
        extra_kwargs = {
            "line": {"help_text": _("The fixed-price line (id).")},
            "line_customer": {"help_text": _("The line customer billed (id).")},
            "name": {"help_text": _("Milestone name.")},
            "milestone_date": {"help_text": _("The day the milestone may be invoiced from.")},
            "amount": {"help_text": _("This customer's share of the milestone amount.")},
            "currency": {"help_text": _("The contract's currency.")},
            "external_description": {"help_text": _("Text printed on the invoice.")},
            "status": {"help_text": _("not_ready, ready, on_draft or invoiced.")},
        }

    def validate_milestone_date(self, value: dt.date) -> dt.date:
        """Within the fiscal calendar of the contract's legal entity (a PATCH; creating goes
        through :func:`contracts.services.create_milestone`, which checks the same)."""
        if self.instance is not None:
            errors = calendar_errors(
                {"milestone_date": (value, _("date"))},
                legal_entity=self.instance.line.contract.legal_entity,
            )
            if errors:
                raise serializers.ValidationError(errors["milestone_date"])
        return value


class MilestoneCreateSerializer(DottedErrorsMixin, strict.Serializer):
    """Creates a milestone on a fixed-price line: one row per line customer, amount split."""

    line = strict.PrimaryKeyRelatedField(
        queryset=ContractLine.objects.all(), help_text=_("A fixed-price line (id).")
    )
    name = serializers.CharField(max_length=200, help_text=_("Milestone name."))
    milestone_date = serializers.DateField(help_text=_("The day it may be invoiced from."))
    amount = strict.DecimalField(
        max_digits=20, decimal_places=2, help_text=_("Total amount, more than 0.")
    )
    external_description = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Text printed on the invoice."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lines = self.context.get("lines")
        if lines is not None:
            self.fields["line"].queryset = lines  # type: ignore[attr-defined]
