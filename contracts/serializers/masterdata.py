"""Master data serializers: customers, projects, tasks, roles, resources, categories and
price lists (with nested role and category prices)."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contracts.models import (
    CategoryPrice,
    Customer,
    ExpenseCategory,
    PriceList,
    PricingMethod,
    Project,
    Resource,
    Role,
    RolePrice,
    Task,
)
from contracts.serializers import common as strict
from contracts.serializers.common import (
    NOT_NEGATIVE_PRICE,
    DottedErrorsMixin,
    ModelCleanMixin,
    not_negative,
)

# --- master data ----------------------------------------------------------------------------


class CustomerSerializer(DottedErrorsMixin, ModelCleanMixin, strict.ModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "code",
            "name",
            "address",
            "country",
            "vat_number",
            "email",
            "payment_terms_days",
            "sales_tax_group",
            "language",
        ]
        extra_kwargs = {
            "code": {"help_text": _("Unique customer code.")},
            "name": {"help_text": _("Legal name, as printed on the invoice.")},
            "address": {"help_text": _("Postal address, several lines.")},
            "vat_number": {"help_text": _("The customer's VAT identification number.")},
            "email": {"help_text": _("Where invoices are sent.")},
            "payment_terms_days": {"help_text": _("Days from invoice date to due date.")},
            "sales_tax_group": {"help_text": _("Default sales tax group (id).")},
            "language": {"help_text": _("Language of the printed invoice.")},
        }


class ProjectSerializer(DottedErrorsMixin, ModelCleanMixin, strict.ModelSerializer):
    date_order = ("start_date", "end_date")

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "customer",
            "project_manager",
            "legal_entity",
            "sales_tax_group",
            "start_date",
            "end_date",
            "is_active",
        ]
        extra_kwargs = {
            "code": {"help_text": _("Unique project code.")},
            "name": {"help_text": _("Project name.")},
            "customer": {"help_text": _("The customer the project is for (id).")},
            "project_manager": {"help_text": _("User id of the project manager.")},
            "legal_entity": {"help_text": _("Contracting unit (legal entity id).")},
            "start_date": {"help_text": _("First day of the project.")},
            "end_date": {"help_text": _("Last day of the project; empty: open-ended.")},
            "is_active": {"help_text": _("Inactive projects take no new time or expenses.")},
        }


class TaskSerializer(DottedErrorsMixin, ModelCleanMixin, strict.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "project", "code", "name", "chargeable"]
        extra_kwargs = {
            "project": {"help_text": _("The project the task belongs to (id).")},
            "code": {"help_text": _("Task code, unique within the project.")},
            "name": {"help_text": _("Task name.")},
            "chargeable": {"help_text": _("Whether work on this task is billed by default.")},
        }


class RoleSerializer(DottedErrorsMixin, ModelCleanMixin, strict.ModelSerializer):
    class Meta:
        model = Role
        fields = ["id", "code", "name", "chargeable", "item_sales_tax_group"]
        extra_kwargs = {
            "code": {"help_text": _("Unique role code.")},
            "name": {"help_text": _("Role name, e.g. Developer.")},
            "chargeable": {"help_text": _("Whether time in this role is billed by default.")},
            "item_sales_tax_group": {"help_text": _("Item sales tax group of time (id).")},
        }


class ResourceSerializer(DottedErrorsMixin, ModelCleanMixin, strict.ModelSerializer):
    class Meta:
        model = Resource
        fields = ["id", "user", "name", "legal_entity", "default_role"]
        extra_kwargs = {
            "user": {"help_text": _("The user who books the time (id).")},
            "name": {"help_text": _("Display name.")},
            "legal_entity": {"help_text": _("Resourcing unit (legal entity id).")},
            "default_role": {"help_text": _("Role proposed on new time entries (id).")},
        }


class ExpenseCategorySerializer(DottedErrorsMixin, ModelCleanMixin, strict.ModelSerializer):
    class Meta:
        model = ExpenseCategory
        fields = ["id", "code", "name", "unit", "chargeable", "item_sales_tax_group"]
        extra_kwargs = {
            "code": {"help_text": _("Unique category code.")},
            "name": {"help_text": _("Category name, e.g. Travel.")},
            "chargeable": {"help_text": _("Whether expenses of this category are billed.")},
            "item_sales_tax_group": {"help_text": _("Item sales tax group (id).")},
        }


# --- price lists ----------------------------------------------------------------------------


class RolePriceSerializer(ModelCleanMixin, strict.ModelSerializer):
    clean_exclude = ("price_list",)
    price = strict.DecimalField(
        max_digits=20,
        decimal_places=4,
        validators=[NOT_NEGATIVE_PRICE],
        help_text=_("Price per hour, 0 or more (decimal string)."),
    )

    class Meta:
        model = RolePrice
        fields = ["id", "role", "price"]
        extra_kwargs = {"role": {"help_text": _("The role priced (id).")}}


class CategoryPriceSerializer(ModelCleanMixin, strict.ModelSerializer):
    clean_exclude = ("price_list",)
    price = strict.DecimalField(
        max_digits=20,
        decimal_places=4,
        required=False,
        allow_null=True,
        validators=[NOT_NEGATIVE_PRICE],
        help_text=_("Price per unit (method per_unit only), 0 or more."),
    )
    markup_percent = strict.DecimalField(
        max_digits=7,
        decimal_places=4,
        required=False,
        allow_null=True,
        validators=[not_negative(_("A markup may not be negative."))],
        help_text=_("Markup % over cost (method markup only), 0 or more."),
    )

    class Meta:
        model = CategoryPrice
        fields = ["id", "category", "method", "price", "markup_percent"]
        extra_kwargs = {
            "category": {"help_text": _("The expense category priced (id).")},
            "method": {"help_text": _("per_unit: fixed price; at_cost: cost; markup: cost + %.")},
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Name the field the method needs (or does not take) before the model's check."""
        method = attrs.get("method")
        price, markup = attrs.get("price"), attrs.get("markup_percent")
        errors: dict[str, list[Any]] = {}
        if method == PricingMethod.PER_UNIT and price is None:
            errors["price"] = [_("Price per unit needs a price.")]
        if method == PricingMethod.MARKUP and markup is None:
            errors["markup_percent"] = [_("Markup needs a markup %.")]
        if method == PricingMethod.AT_COST:
            if price is not None:
                errors["price"] = [_("At cost takes no price.")]
            if markup is not None:
                errors["markup_percent"] = [_("At cost takes no markup %.")]
        if errors:
            raise serializers.ValidationError(errors)
        return super().validate(attrs)


class PriceListSerializer(DottedErrorsMixin, ModelCleanMixin, strict.ModelSerializer):
    """A price list with its role and category prices.

    Create writes the list and its prices in one transaction. An update that sends
    ``role_prices`` or ``category_prices`` replaces that whole set; leaving one out keeps it.
    """

    date_order = ("valid_from", "valid_to")
    role_prices = RolePriceSerializer(
        many=True, required=False, help_text=_("Prices per hour by role.")
    )
    category_prices = CategoryPriceSerializer(
        many=True, required=False, help_text=_("Prices by expense category.")
    )

    class Meta:
        model = PriceList
        fields = [
            "id",
            "name",
            "kind",
            "currency",
            "valid_from",
            "valid_to",
            "contract",
            "role_prices",
            "category_prices",
        ]
        extra_kwargs = {
            "name": {"help_text": _("Name of the list.")},
            "kind": {"help_text": _("sales or cost.")},
            "currency": {"help_text": _("ISO 4217 currency code of the prices.")},
            "valid_from": {"help_text": _("First day the list is effective.")},
            "valid_to": {"help_text": _("Last day the list is effective; empty: open-ended.")},
            "contract": {
                "help_text": _("A contract's own negotiated list (id); empty: a standard list.")
            },
        }

    def validate_currency(self, value: str) -> str:
        from contracts.money import is_currency

        if not is_currency(value):
            raise serializers.ValidationError(
                _("%(code)s is not a known ISO 4217 currency code.") % {"code": value}
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        for key, target in (("role_prices", "role"), ("category_prices", "category")):
            seen: set[int] = set()
            for i, row in enumerate(attrs.get(key) or []):
                if row[target].pk in seen:
                    raise serializers.ValidationError(
                        {f"{key}[{i}].{target}": [_("%(x)s is priced twice.") % {"x": row[target]}]}
                    )
                seen.add(row[target].pk)
        return attrs

    def _write_prices(self, price_list: PriceList, data: dict[str, Any]) -> None:
        if "role_prices" in data:
            price_list.role_prices.all().delete()
            RolePrice.objects.bulk_create(
                RolePrice(price_list=price_list, **row) for row in data["role_prices"]
            )
        if "category_prices" in data:
            price_list.category_prices.all().delete()
            CategoryPrice.objects.bulk_create(
                CategoryPrice(price_list=price_list, **row) for row in data["category_prices"]
            )

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> PriceList:
        nested: dict[str, Any] = {
            k: validated_data.pop(k)
            for k in ("role_prices", "category_prices")
            if k in validated_data
        }
        price_list = PriceList.objects.create(**validated_data)
        self._write_prices(price_list, nested)
        return price_list

    @transaction.atomic
    def update(self, instance: PriceList, validated_data: dict[str, Any]) -> PriceList:
        nested: dict[str, Any] = {
            k: validated_data.pop(k)
            for k in ("role_prices", "category_prices")
            if k in validated_data
        }
        instance = super().update(instance, validated_data)
        self._write_prices(instance, nested)
        return instance
