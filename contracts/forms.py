"""Forms of the contract pages, and the filter-form base the portal's list pages share.

A list page's filters are a GET form that narrows a QuerySet: subclass :class:`ListFilterForm`,
declare the fields (all optional) and implement :meth:`ListFilterForm.apply`. Invalid input
(an unknown status, a customer the user may not see) is ignored field by field, so a stale
bookmark still shows a page, with the error beside the field.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, ContractStatus, Customer
from contracts.numbers import NumberRefused, parse_number


class NumberField(forms.DecimalField):
    """A decimal typed in the page's language (:mod:`contracts.numbers`): a text box with the
    decimal keyboard, shown and read with the language's separators. Every portal form uses
    it rather than ``DecimalField``, whose number box the browser reads in its own locale."""

    def __init__(self, **kwargs: Any) -> None:
        attrs = kwargs.pop("attrs", {})
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", **attrs}),
        )
        super().__init__(localize=True, **kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return parse_number(str(value))
        except NumberRefused as exc:
            raise ValidationError(str(exc), code="invalid") from exc


class ListFilterForm(forms.Form):
    """Base of a list page's filter form (bound to ``request.GET``)."""

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def filtered(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset`` narrowed by every field that holds a valid value."""
        self.is_valid()
        return self.apply(queryset)

    def value(self, name: str) -> Any:
        """The cleaned value of one field, or None when it is empty or invalid."""
        if name in self.errors:
            return None
        return getattr(self, "cleaned_data", {}).get(name) or None

    @property
    def is_filtered(self) -> bool:
        return any(self.value(name) is not None for name in self.fields)


class ContractFilterForm(ListFilterForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Number, name or customer")}
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *ContractStatus.choices],
    )
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        required=False,
        queryset=Customer.objects.none(),
        empty_label=_("All customers"),
    )

    def __init__(self, *args: Any, contracts: QuerySet[Contract], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only customers of contracts the user may see are offered (and accepted).
        customer_field = self.fields["customer"]
        assert isinstance(customer_field, forms.ModelChoiceField)
        customer_field.queryset = (
            Customer.objects.filter(contract_customers__contract__in=contracts.values("pk"))
            .distinct()
            .order_by("name", "pk")
        )

    def apply(self, queryset: QuerySet[Contract]) -> QuerySet[Contract]:
        if status := self.value("status"):
            queryset = queryset.filter(status=status)
        if customer := self.value("customer"):
            queryset = queryset.filter(contract_customers__customer=customer)
        if text := self.value("q"):
            text = text.strip()
            queryset = queryset.filter(
                Q(number__icontains=text)
                | Q(name__icontains=text)
                | Q(contract_customers__customer__name__icontains=text)
                | Q(contract_customers__customer__code__iexact=text)
            ).distinct()
        return queryset
