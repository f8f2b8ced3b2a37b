"""Forms of the accountant's ledger pages."""

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from contracts.forms import ListFilterForm, LookupField
from contracts.models import ItemSalesTaxGroup, LegalEntity, Project, SalesTaxGroup
from contracts.numbers import ascii_id

from .models import Dimension, DimensionValue, JournalLineKind, JournalLineStatus


class JournalLineFilterForm(ListFilterForm):
    """The journal page's filters: text, project (typed, with suggestions), kind, status,
    error."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Description or source")}),
    )
    project = LookupField(
        label=_("Project"),
        required=False,
        key="code",
        search=("name",),
        suggest_url=reverse_lazy("ledger:suggest", args=["project"]),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *JournalLineKind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *JournalLineStatus.choices],
    )
    error = forms.ChoiceField(
        label=_("Error"),
        required=False,
        choices=[("", _("With or without")), ("yes", _("With an error")), ("no", _("Without"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        project = self.fields["project"]
        assert isinstance(project, LookupField)
        project.queryset = Project.objects.all()

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if text := self.value("q"):
            text = text.strip()
            queryset = queryset.filter(
                Q(description__icontains=text) | Q(source_key__istartswith=text)
            )
        if project := self.value("project"):
            queryset = queryset.filter(project=project)
        if kind := self.value("kind"):
            queryset = queryset.filter(kind=kind)
        if status := self.value("status"):
            queryset = queryset.filter(status=status)
        if (error := self.value("error")) == "yes":
            queryset = queryset.exclude(error_reason="")
        elif error == "no":
            queryset = queryset.filter(error_reason="")
        return queryset


#: The choice that leaves a field of the selected lines as it is, and the one that empties it.
KEEP_CHOICE, EMPTY_CHOICE = "keep", "empty"


class JournalBulkEditForm(forms.Form):
    """Tax groups and dimension values for the ticked draft lines, or for every line the
    filters select (``everything``). Each field defaults to *keep as it is*."""

    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    everything = forms.BooleanField(required=False)

    def __init__(self, *args: Any, dimensions: list[Dimension], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = self.fields["ids"]
        assert isinstance(ids, forms.TypedMultipleChoiceField)
        ids.valid_value = lambda value: ascii_id(value) is not None  # type: ignore[method-assign]
        keep = [(KEEP_CHOICE, _("Keep as it is")), (EMPTY_CHOICE, _("Empty"))]
        self.fields["sales_tax_group"] = forms.ChoiceField(
            label=_("Sales tax group"),
            required=False,
            initial=KEEP_CHOICE,
            choices=keep
            + [(str(g.pk), f"{g.code} · {g.name}") for g in SalesTaxGroup.objects.order_by("code")],
        )
        self.fields["item_sales_tax_group"] = forms.ChoiceField(
            label=_("Item sales tax group"),
            required=False,
            initial=KEEP_CHOICE,
            choices=keep
            + [
                (str(g.pk), f"{g.code} · {g.name}")
                for g in ItemSalesTaxGroup.objects.order_by("code")
            ],
        )
        self.dimensions = dimensions
        values = DimensionValue.objects.filter(is_active=True).order_by("code")
        for d in dimensions:
            self.fields[f"dimension_{d.pk}"] = forms.ChoiceField(
                label=d.name,
                required=False,
                initial=KEEP_CHOICE,
                choices=keep
                + [(str(v.pk), f"{v.code} · {v.name}") for v in values if v.dimension_id == d.pk],
            )

    def changes(self) -> dict[str, Any]:
        """Keyword arguments of :func:`ledger.services.edit_journal_lines` (what to set); a
        field left out of the request keeps its value."""
        data = {name: value or KEEP_CHOICE for name, value in self.cleaned_data.items()}
        changes: dict[str, Any] = {}
        for name, model in (
            ("sales_tax_group", SalesTaxGroup),
            ("item_sales_tax_group", ItemSalesTaxGroup),
        ):
            if data[name] == EMPTY_CHOICE:
                changes[name] = None
            elif data[name] != KEEP_CHOICE:
                changes[name] = model.objects.get(pk=int(data[name]))
        changes["dimensions"] = {
            d.pk: None
            if data[f"dimension_{d.pk}"] == EMPTY_CHOICE
            else int(data[f"dimension_{d.pk}"])
            for d in self.dimensions
            if data[f"dimension_{d.pk}"] != KEEP_CHOICE
        }
        return changes


class LegalEntityDateForm(forms.Form):
    legal_entity = forms.ModelChoiceField(
        LegalEntity.objects.order_by("code"), required=False, label=_("Legal entity")
    )
    date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("legal_entity"):
            data["legal_entity"] = LegalEntity.objects.order_by("code", "pk").first()
        return data


class DateRangeForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date may not be before the start date."))
        return data


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
