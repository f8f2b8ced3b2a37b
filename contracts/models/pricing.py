"""Price lists: sales and cost, with role prices and expense-category prices.

A price list is either a standard list (``contract`` empty) or a contract's own negotiated
list. Two lists of the same kind and currency for the same contract (or two standard ones)
may not overlap in time; PostgreSQL refuses it with an exclusion constraint. Resolution
(:mod:`contracts.pricing`) prefers the contract's own sales list over the standard one.
"""

import pghistory
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from contracts.money import percent_field, price_field

from .masterdata import ExpenseCategory, Role


class PriceListKind(models.TextChoices):
    SALES = "sales", _("Sales")
    COST = "cost", _("Cost")


class DateRange(Func):
    function = "daterange"
    output_field = models.Field()


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class PriceList(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=PriceListKind.choices)
    currency = models.CharField(_("currency"), max_length=3)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(
        _("valid to"), null=True, blank=True, help_text=_("Empty: open-ended.")
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        models.CASCADE,
        verbose_name=_("contract"),
        null=True,
        blank=True,
        related_name="price_lists",
        help_text=_("Empty for a standard list; a contract's own list overrides the standard one."),
    )

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PriceListKind.values), name="pricelist_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="pricelist_valid_to_after_from",
                violation_error_message=_("The end date may not be before the start date."),
            ),
            ExclusionConstraint(
                name="pricelist_no_overlap",
                expressions=[
                    (Coalesce("contract", Value(0)), RangeOperators.EQUAL),
                    ("kind", RangeOperators.EQUAL),
                    ("currency", RangeOperators.EQUAL),
                    (DateRange("valid_from", "valid_to", Value("[]")), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_(
                    "Another price list of the same kind and currency is effective in these dates."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}, {self.currency})"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RolePrice(models.Model):
    price_list = models.ForeignKey(
        PriceList, models.CASCADE, verbose_name=_("price list"), related_name="role_prices"
    )
    role = models.ForeignKey(Role, models.PROTECT, verbose_name=_("role"), related_name="+")
    price = price_field(_("price per hour"))

    class Meta:
        verbose_name = _("role price")
        verbose_name_plural = _("role prices")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "role"], name="roleprice_unique"),
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="roleprice_not_negative",
                violation_error_message=_("A price may not be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role_id}@{self.price_list_id}: {self.price}"


class PricingMethod(models.TextChoices):
    PER_UNIT = "per_unit", _("Price per unit")
    AT_COST = "at_cost", _("At cost")
    MARKUP = "markup", _("Markup % over cost")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class CategoryPrice(models.Model):
    price_list = models.ForeignKey(
        PriceList, models.CASCADE, verbose_name=_("price list"), related_name="category_prices"
    )
    category = models.ForeignKey(
        ExpenseCategory, models.PROTECT, verbose_name=_("expense category"), related_name="+"
    )
    method = models.CharField(_("method"), max_length=10, choices=PricingMethod.choices)
    price = price_field(
        _("price per unit"), null=True, blank=True, help_text=_("For price per unit.")
    )
    markup_percent = percent_field(
        _("markup %"), null=True, blank=True, help_text=_("For markup over cost.")
    )

    class Meta:
        verbose_name = _("category price")
        verbose_name_plural = _("category prices")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "category"], name="categoryprice_unique"),
            models.CheckConstraint(
                condition=Q(method__in=PricingMethod.values), name="categoryprice_method_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(method=PricingMethod.PER_UNIT, price__isnull=False, price__gte=0)
                    | Q(
                        method=PricingMethod.AT_COST,
                        price__isnull=True,
                        markup_percent__isnull=True,
                    )
                    | Q(
                        method=PricingMethod.MARKUP,
                        markup_percent__isnull=False,
                        markup_percent__gte=0,
                    )
                ),
                name="categoryprice_method_fields",
                violation_error_message=_(
                    "Price per unit needs a price of 0 or more; markup needs a markup %% of 0 or more; "
                    "at cost takes neither."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category_id}@{self.price_list_id}: {self.method}"
