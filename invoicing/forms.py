"""Forms of the billing pages: backlog and invoice filters, the backlog's bulk actions, create
invoice, the draft's header / detail / fee forms, correction, and starting a run.

Filter forms are GET forms that narrow a QuerySet (:class:`contracts.forms.ListFilterForm`);
choices offer only what the user may see. Write forms only check shapes; the services check the
rules and their messages are shown as they are.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from actuals.models import BillingStatus, BillingType
from contracts.forms import ListFilterForm, LookupField, NumberField, WholeNumberField
from contracts.models import (
    Contract,
    ContractLine,
    ContractLineScope,
    Customer,
    MilestoneStatus,
    Project,
    Resource,
    TransactionClass,
)
from contracts.numbers import ascii_id
from invoicing.filters import BACKLOG_STATUS_CHOICES, filter_backlog
from invoicing.models import InvoiceStatus

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _narrow(form: forms.Form, name: str, queryset: QuerySet[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


def _lookup(label: Any, key: str, search: tuple[str, ...], name: str) -> LookupField:
    return LookupField(
        label=label,
        required=False,
        key=key,
        search=search,
        suggest_url=reverse_lazy("invoicing:suggest", args=[name]),
    )


class BacklogFilterForm(ListFilterForm):
    """The backlog's filters. Contracts, customers, projects and resources are typed (number,
    code or name) with suggestions, never listed whole: a manager of 10,000 contracts would
    otherwise get every one of them, four times, in every page."""

    contract = _lookup(_("Contract"), "number", ("name",), "contract")
    customer = _lookup(_("Customer"), "code", ("name",), "customer")
    project = _lookup(_("Project"), "code", ("name",), "project")
    transaction_class = forms.ChoiceField(
        label=_("Class"),
        required=False,
        choices=[("", _("All classes")), *TransactionClass.choices],
    )
    resource = _lookup(_("Resource"), "name", (), "resource")
    date_from = forms.DateField(label=_("From"), required=False, widget=_DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=_DATE)
    billing_status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All statuses")),
            *BACKLOG_STATUS_CHOICES,
            (BillingStatus.WRITTEN_OFF.value, BillingStatus.WRITTEN_OFF.label),
        ],
    )
    nte_failed = forms.ChoiceField(
        label=_("Not-to-exceed"),
        required=False,
        choices=[("", _("All")), ("yes", _("Failed only")), ("no", _("Within limit only"))],
    )

    def __init__(self, *args: Any, contracts: QuerySet[Contract], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _narrow(self, "contract", contracts.order_by("number", "pk"))
        _narrow(
            self,
            "customer",
            Customer.objects.filter(contract_customers__contract__in=contracts.values("pk"))
            .distinct()
            .order_by("name", "pk"),
        )
        _narrow(
            self,
            "project",
            Project.objects.filter(
                pk__in=ContractLineScope.objects.filter(contract__in=contracts.values("pk")).values(
                    "project"
                )
            ).order_by("code", "pk"),
        )
        _narrow(self, "resource", Resource.objects.order_by("name", "pk"))

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        nte = self.value("nte_failed")
        values = {
            name: self.value(name)
            for name in (
                "contract",
                "customer",
                "project",
                "transaction_class",
                "resource",
                "date_from",
                "date_to",
                "billing_status",
            )
        }
        values["nte_failed"] = {"yes": True, "no": False}.get(nte or "")
        return filter_backlog(queryset, values)


class InvoiceFilterForm(ListFilterForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *InvoiceStatus.choices]
    )
    contract = forms.ModelChoiceField(
        label=_("Contract"),
        required=False,
        queryset=Contract.objects.none(),
        empty_label=_("All contracts"),
    )
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        required=False,
        queryset=Customer.objects.none(),
        empty_label=_("All customers"),
    )

    def __init__(self, *args: Any, contracts: QuerySet[Contract], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _narrow(self, "contract", contracts.order_by("number", "pk"))
        _narrow(
            self,
            "customer",
            Customer.objects.filter(contract_customers__contract__in=contracts.values("pk"))
            .distinct()
            .order_by("name", "pk"),
        )

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        for name in ("status", "contract", "customer"):
            if (value := self.value(name)) is not None:
                queryset = queryset.filter(**{name: value})
        return queryset


class MilestoneFilterForm(ListFilterForm):
    contract = forms.ModelChoiceField(
        label=_("Contract"),
        required=False,
        queryset=Contract.objects.none(),
        empty_label=_("All contracts"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Not invoiced yet")),
            *[
                (s.value, s.label)
                for s in (
                    MilestoneStatus.NOT_READY,
                    MilestoneStatus.READY,
                    MilestoneStatus.ON_DRAFT,
                )
            ],
        ],
    )

    def __init__(self, *args: Any, contracts: QuerySet[Contract], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _narrow(self, "contract", contracts.order_by("number", "pk"))

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if contract := self.value("contract"):
            queryset = queryset.filter(line__contract=contract)
        if status := self.value("status"):
            queryset = queryset.filter(status=status)
        return queryset


class BulkActionForm(forms.Form):
    """The backlog's (and the milestones page's) selection and action."""

    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    action = forms.ChoiceField(
        choices=[
            ("ready", _("Mark ready")),
            ("not_ready", _("Mark not ready")),
            ("write_off", _("Write off")),
            ("reverse_write_off", _("Reverse write-off")),
            ("invoice", _("Invoice selection")),
        ]
    )
    reason = forms.CharField(label=_("Write-off reason"), required=False, max_length=2000)
    invoice_date = forms.DateField(label=_("Invoice date"), required=False, widget=_DATE)
    #: Mark ready / not ready every item the page's filters select, not only those ticked.
    everything = forms.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any id is accepted here; the services check it against what the user may see.
        ids = self.fields["ids"]
        assert isinstance(ids, forms.TypedMultipleChoiceField)
        ids.valid_value = lambda value: ascii_id(value) is not None  # type: ignore[method-assign]


class CreateInvoiceForm(forms.Form):
    up_to = forms.DateField(
        label=_("Items up to"),
        required=False,
        widget=_DATE,
        help_text=_("Only T&M items dated on or before this day; empty: all ready items."),
    )
    invoice_date = forms.DateField(label=_("Invoice date"), required=False, widget=_DATE)


class VersionedForm(forms.Form):
    version = WholeNumberField(widget=forms.HiddenInput, min_value=1)


class HeaderForm(VersionedForm):
    invoice_date = forms.DateField(label=_("Invoice date"), widget=_DATE)
    customer_reference = forms.CharField(
        label=_("Customer reference / PO"), required=False, max_length=100
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=300)


class DetailForm(VersionedForm):
    quantity = NumberField(label=_("Quantity"), required=False, decimal_places=2, max_digits=12)
    unit_price = NumberField(label=_("Unit price"), required=False, decimal_places=4, max_digits=20)
    billing_type = forms.ChoiceField(
        label=_("Billing type"), required=False, choices=BillingType.choices
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    external_description = forms.CharField(
        label=_("Text on the invoice"), required=False, max_length=300
    )

    def changes(self, *, texts_only: bool) -> dict[str, Any]:
        """The values to pass to ``update_detail`` (texts only on a milestone's detail and on
        a credit note's)."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "description": data.get("description", ""),
            "external_description": data.get("external_description", ""),
        }
        if not texts_only:
            for name in ("quantity", "unit_price"):
                if data.get(name) is not None:
                    values[name] = data[name]
            if data.get("billing_type"):
                values["billing_type"] = data["billing_type"]
        return values


class FeeForm(VersionedForm):
    contract_line = forms.ModelChoiceField(
        label=_("Contract line"), queryset=ContractLine.objects.none(), empty_label=None
    )
    description = forms.CharField(label=_("Description"), max_length=300)
    quantity = NumberField(
        label=_("Quantity"), decimal_places=2, max_digits=12, initial=Decimal("1")
    )
    unit_price = NumberField(label=_("Unit price"), decimal_places=4, max_digits=20)
    transaction_date = forms.DateField(label=_("Date"), widget=_DATE)
    external_description = forms.CharField(
        label=_("Text on the invoice"), required=False, max_length=300
    )

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _narrow(
            self, "contract_line", ContractLine.objects.filter(contract=contract).order_by("pk")
        )


class RunForm(forms.Form):
    run_date = forms.DateField(label=_("Run date"), widget=_DATE)
