"""Forms of the accountant's ledger pages."""

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.models import ItemSalesTaxGroup, LegalEntity, SalesTaxGroup

from .models import Dimension, DimensionValue, JournalLine


class JournalLineForm(forms.Form):
    """A draft line's tax groups and one value per dimension (inline on the journal page)."""

    sales_tax_group = forms.ModelChoiceField(
        SalesTaxGroup.objects.order_by("code"), required=False, label=_("Sales tax group")
    )
    item_sales_tax_group = forms.ModelChoiceField(
        ItemSalesTaxGroup.objects.order_by("code"), required=False, label=_("Item sales tax group")
    )

    def __init__(
        self, *args: Any, line: JournalLine, dimensions: list[Dimension], **kwargs: Any
    ) -> None:
        current = {v.dimension_id: v.pk for v in line.dimension_values.all()}
        initial = {
            "sales_tax_group": line.sales_tax_group_id,
            "item_sales_tax_group": line.item_sales_tax_group_id,
            **{f"dimension_{d.code}": current.get(d.pk) for d in dimensions},
        }
        kwargs["initial"] = initial
        kwargs["prefix"] = f"line-{line.pk}"
        super().__init__(*args, **kwargs)
        self.line = line
        self.dimensions = dimensions
        for d in dimensions:
            self.fields[f"dimension_{d.code}"] = forms.ModelChoiceField(
                DimensionValue.objects.filter(dimension=d, is_active=True).order_by("code"),
                required=False,
                label=d.name,
            )

    def dimension_fields(self) -> list[forms.BoundField]:
        return [self[f"dimension_{d.code}"] for d in self.dimensions]

    def dimension_values(self) -> list[DimensionValue]:
        return [
            v
            for d in self.dimensions
            if (v := self.cleaned_data.get(f"dimension_{d.code}")) is not None
        ]


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
