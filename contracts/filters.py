"""django-filter FilterSets for the contracts API's list endpoints."""

from typing import Any

import django_filters as df
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from contracts.models import (
    BillingMethod,
    Contract,
    ContractLine,
    ContractStatus,
    Customer,
    InvoiceScheduleEntry,
    Milestone,
    MilestoneStatus,
    PriceList,
    PriceListKind,
    Project,
    ScheduleStatus,
    Task,
)
from contracts.queries import effective_on


class CustomerFilter(df.FilterSet):
    name = df.CharFilter(lookup_expr="icontains", help_text=_("Name contains (any case)."))
    code = df.CharFilter(help_text=_("Exact customer code."))
    country = df.CharFilter(help_text=_("ISO 3166 country code."))

    class Meta:
        model = Customer
        fields = ["code", "name", "country", "sales_tax_group", "language"]


class ProjectFilter(df.FilterSet):
    customer = df.NumberFilter(help_text=_("Projects of this customer (id)."))
    project_manager = df.NumberFilter(help_text=_("Projects of this project manager (user id)."))
    is_active = df.BooleanFilter(help_text=_("Active or inactive projects only."))

    class Meta:
        model = Project
        fields = ["customer", "project_manager", "legal_entity", "is_active"]


class TaskFilter(df.FilterSet):
    project = df.NumberFilter(help_text=_("Tasks of this project (id)."))

    class Meta:
        model = Task
        fields = ["project", "chargeable"]


class PriceListFilter(df.FilterSet):
    kind = df.ChoiceFilter(choices=PriceListKind.choices, help_text=_("sales or cost."))
    currency = df.CharFilter(help_text=_("ISO 4217 currency code."))
    contract = df.NumberFilter(help_text=_("A contract's own lists (contract id)."))
    standard = df.BooleanFilter(
        field_name="contract", lookup_expr="isnull", help_text=_("true: standard lists only.")
    )
    effective_on = df.DateFilter(
        method="filter_effective_on", help_text=_("Lists in effect on this date (YYYY-MM-DD).")
    )

    class Meta:
        model = PriceList
        fields = ["kind", "currency", "contract", "standard", "effective_on"]

    def filter_effective_on(
        self, queryset: QuerySet[PriceList], name: str, value: Any
    ) -> QuerySet[PriceList]:
        return effective_on(queryset, value)


class ContractFilter(df.FilterSet):
    customer = df.NumberFilter(
        field_name="contract_customers__customer",
        distinct=True,
        help_text=_("Contracts with this customer (id)."),
    )
    project = df.NumberFilter(
        field_name="lines__scopes__project",
        distinct=True,
        help_text=_("Contracts with a line covering this project (id)."),
    )
    status = df.ChoiceFilter(choices=ContractStatus.choices, help_text=_("Contract status."))
    project_manager = df.NumberFilter(help_text=_("The project manager (user id)."))
    currency = df.CharFilter(help_text=_("ISO 4217 currency code."))
    active_on = df.DateFilter(
        method="filter_active_on", help_text=_("Contracts running on this date (YYYY-MM-DD).")
    )

    class Meta:
        model = Contract
        fields = ["customer", "project", "status", "project_manager", "legal_entity", "currency"]

    def filter_active_on(
        self, queryset: QuerySet[Contract], name: str, value: Any
    ) -> QuerySet[Contract]:
        return queryset.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=value), start_date__lte=value
        )


class ContractLineFilter(df.FilterSet):
    contract = df.NumberFilter(help_text=_("Lines of this contract (id)."))
    billing_method = df.ChoiceFilter(choices=BillingMethod.choices, help_text=_("tm or fp."))
    project = df.NumberFilter(
        field_name="scopes__project", distinct=True, help_text=_("Lines covering this project.")
    )

    class Meta:
        model = ContractLine
        fields = ["contract", "billing_method", "project"]


class InvoiceScheduleFilter(df.FilterSet):
    line = df.NumberFilter(help_text=_("Entries of this contract line (id)."))
    contract = df.NumberFilter(
        field_name="line__contract", help_text=_("Entries of this contract (id).")
    )
    status = df.ChoiceFilter(choices=ScheduleStatus.choices, help_text=_("Run status."))
    run_date_from = df.DateFilter(
        field_name="run_date", lookup_expr="gte", help_text=_("Run date on or after.")
    )
    run_date_to = df.DateFilter(
        field_name="run_date", lookup_expr="lte", help_text=_("Run date on or before.")
    )

    class Meta:
        model = InvoiceScheduleEntry
        fields = ["line", "contract", "status", "run_date_from", "run_date_to"]


class MilestoneFilter(df.FilterSet):
    line = df.NumberFilter(help_text=_("Milestones of this contract line (id)."))
    contract = df.NumberFilter(
        field_name="line__contract", help_text=_("Milestones of this contract (id).")
    )
    customer = df.NumberFilter(
        field_name="line_customer__contract_customer__customer",
        help_text=_("Milestones billed to this customer (id)."),
    )
    status = df.ChoiceFilter(choices=MilestoneStatus.choices, help_text=_("Milestone status."))
    date_from = df.DateFilter(
        field_name="milestone_date", lookup_expr="gte", help_text=_("Dated on or after.")
    )
    date_to = df.DateFilter(
        field_name="milestone_date", lookup_expr="lte", help_text=_("Dated on or before.")
    )

    class Meta:
        model = Milestone
        fields = ["line", "contract", "customer", "status", "date_from", "date_to"]
