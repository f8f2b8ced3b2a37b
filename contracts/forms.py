"""Forms of the contract pages, and the filter-form base the portal's list pages share.

A list page's filters are a GET form that narrows a QuerySet: subclass :class:`ListFilterForm`,
declare the fields (all optional) and implement :meth:`ListFilterForm.apply`. Invalid input
(an unknown status, a customer the user may not see) is ignored field by field, so a stale
bookmark still shows a page, with the error beside the field.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from contracts.history import event_model_choices
from contracts.models import Contract, ContractStatus, Customer
from contracts.numbers import (
    DIGITS_0_9,
    NumberRefused,
    ascii_id,
    has_foreign_digits,
    parse_number,
)


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


class WholeNumberField(forms.IntegerField):
    """A whole number written with the digits 0-9 (``int`` would read ``٣`` as 3); the
    portal's forms use it rather than ``IntegerField`` (:mod:`contracts.numbers`)."""

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and has_foreign_digits(value):
            raise ValidationError(str(DIGITS_0_9), code="invalid")
        return super().to_python(value)  # type: ignore[no-any-return]


class LookupInput(forms.TextInput):
    """A text box with a ``<datalist>`` that htmx fills as the user types (``suggest_url``,
    given the box's own value under its name)."""

    def __init__(self, suggest_url: Any = "", attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"autocomplete": "off", **(attrs or {})})
        self.suggest_url = suggest_url

    @staticmethod
    def _options_id(name: str, attrs: dict[str, Any] | None) -> str:
        return f"{(attrs or {}).get('id') or name}-options"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        options = self._options_id(name, context["widget"]["attrs"])
        context["widget"]["attrs"].update(
            {
                "list": options,
                "hx-get": str(self.suggest_url),
                "hx-trigger": "input changed delay:250ms, focus once",
                "hx-target": f"#{options}",
                "hx-swap": "innerHTML",
            }
        )
        return context

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        box = super().render(name, value, attrs, renderer)
        options = self._options_id(name, self.build_attrs(self.attrs, attrs))
        return format_html('{}<datalist id="{}"></datalist>', box, options)


class LookupField(forms.ModelChoiceField):
    """One of many objects (thousands of contracts), chosen by typing its key: a contract
    number, a project or customer code, a resource's name. The page never lists every object;
    the box suggests as the user types (:meth:`suggestions`, served by a small view). A key that
    names no object of the queryset, or more than one, is refused with the text typed."""

    default_error_messages = {
        "invalid_choice": _("Nothing matches “%(value)s”: pick one of the suggestions."),
    }

    def __init__(
        self, *, key: str, search: tuple[str, ...] = ("name",), suggest_url: Any = "", **kwargs: Any
    ) -> None:
        self.key, self.search = key, search
        kwargs.setdefault("queryset", None)
        super().__init__(to_field_name=key, widget=LookupInput(suggest_url), **kwargs)

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values or not str(value).strip():
            return None
        assert self.queryset is not None  # set by the form (the objects the user may see)
        found = list(self.queryset.filter(**{self.key: str(value).strip()})[:2])
        if len(found) != 1:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": str(value).strip()},
            )
        return found[0]

    def prepare_value(self, value: Any) -> Any:
        return getattr(value, self.key) if hasattr(value, "_meta") else value

    def suggestions(self, text: str, limit: int = 20) -> list[tuple[str, str]]:
        """(key, label) of up to ``limit`` objects whose key starts with, or whose searched
        fields contain, ``text``; in key order."""
        text = text.strip()
        if not text:
            return []
        assert self.queryset is not None
        match = Q(**{f"{self.key}__istartswith": text})
        for name in self.search:
            match |= Q(**{f"{name}__icontains": text})
        return [
            (getattr(obj, self.key), str(obj))
            for obj in self.queryset.filter(match).order_by(self.key, "pk")[:limit]
        ]


def form_error_texts(form: forms.Form) -> list[str]:
    """A form's errors as messages for the page: "<label>: <error>" (the error alone when it
    is not a field's)."""
    return [
        (f"{form.fields[name].label}: {error}" if name in form.fields else str(error))
        for name, errors in form.errors.items()
        for error in errors
    ]


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


_DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditFilterForm(ListFilterForm):
    """The audit trail's filters: the kind of object, who, when (the day in the firm's time
    zone, both ends included) and the object (its id, or text in its recorded values)."""

    type = forms.ChoiceField(label=_("Object type"), required=False)
    user = forms.ModelChoiceField(
        label=_("User"),
        required=False,
        queryset=get_user_model().objects.order_by("username", "pk"),
        empty_label=_("All users"),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=_DATE_INPUT)
    date_to = forms.DateField(label=_("To"), required=False, widget=_DATE_INPUT)
    q = forms.CharField(
        label=_("Object"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Id or text")}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        type_field = self.fields["type"]
        assert isinstance(type_field, forms.ChoiceField)
        type_field.choices = [("", _("All object types")), *event_model_choices()]

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if event_type := self.value("type"):
            queryset = queryset.across(event_type)  # type: ignore[attr-defined]
        if user := self.value("user"):
            queryset = queryset.filter(user=user)
        if date_from := self.value("date_from"):
            queryset = queryset.filter(pgh_created_at__date__gte=date_from)
        if date_to := self.value("date_to"):
            queryset = queryset.filter(pgh_created_at__date__lte=date_to)
        if text := (self.value("q") or "").strip():
            queryset = queryset.annotate(recorded=Cast("pgh_data", TextField()))
            match = Q(recorded__icontains=text)
            if ascii_id(text) is not None:  # an id written 0-9 (isdigit takes ٣ and ²)
                match |= Q(pgh_obj_id=text)
            queryset = queryset.filter(match)
        return queryset
