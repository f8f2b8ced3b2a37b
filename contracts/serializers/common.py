"""Shared pieces of the serializers: dotted error paths, model validation, error shapes, and
the strict fields every serializer of the API uses.

Decisions on numbers in request bodies (one place, so a new serializer cannot forget them):

- An id or whole number is a JSON integer, or a string of the digits 0-9 (form posts send
  text). A float (``1.5``, also ``1.0``), ``"1.5"``, ``"1e0"`` and ``true`` are a 400 naming the
  field: DRF's own fields read ``1.5`` as id 1 and ``"1.0"`` as 1, which hides a client's bug
  and may touch the wrong row. :class:`IntegerField` and :class:`PrimaryKeyRelatedField` say
  so; :class:`ModelSerializer` generates them for model fields and relations
  (``serializer_field_mapping``, ``serializer_related_field``), and explicit fields and id
  lists (``ListField(child=strict.IntegerField())``) are declared with them.
- A date that no fiscal calendar bounds (a contract's start and end: a contract may run past
  the last fiscal year) lies between 1900-01-01 and 2999-12-31 (:class:`DateField`,
  ``contracts.fiscal_calendar``'s sane range): ``9999-12-31`` is a 400 naming the field. Dates
  the fiscal calendar bounds (entries, invoices, runs, milestones, schedules) are refused by
  their services with the calendar's own range, which says more.
- A decimal or whole number is written with the digits 0-9: Python's ``int`` and ``Decimal``
  read ``٣`` (Arabic-Indic three) as 3, so hours typed in another script would be booked
  unseen. :class:`IntegerField` and :class:`DecimalField` refuse them with the pages' message
  (:data:`contracts.numbers.DIGITS_0_9`). A decimal may still be a JSON number or a string
  with a point.
"""

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contracts.api_errors import django_errors
from contracts.fiscal_calendar import EARLIEST, LATEST
from contracts.numbers import DIGITS_0_9, has_foreign_digits, show_date

ZERO = Decimal("0")

# --- helpers --------------------------------------------------------------------------------


def dotted_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error structure into ``{"a[0].b": ["reason"]}``."""
    out: dict[str, list[str]] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if isinstance(key, int):
                    walk(value, f"{path}[{key}]")
                elif key in ("non_field_errors", "__all__"):
                    walk(value, path or "non_field_errors")
                else:
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list) and any(isinstance(v, Mapping | list) for v in node):
            for i, value in enumerate(node):
                if isinstance(value, Mapping | list):
                    walk(value, f"{path}[{i}]")
                else:
                    out.setdefault(path or "non_field_errors", []).append(str(value))
        elif isinstance(node, list):
            if node:
                out.setdefault(path or "non_field_errors", []).extend(str(v) for v in node)
        else:
            out.setdefault(path or "non_field_errors", []).append(str(node))

    walk(errors, prefix)
    return out


def not_negative(message: Any) -> Any:
    def check(value: Decimal | None) -> None:
        if value is not None and value < ZERO:
            raise serializers.ValidationError(message)

    return check


NOT_NEGATIVE_LIMIT = not_negative(_("A not-to-exceed limit may not be negative."))
NOT_NEGATIVE_PRICE = not_negative(_("A price may not be negative."))


# --- strict number fields --------------------------------------------------------------------

_WHOLE = re.compile(r"\s*[+-]?[0-9]+\s*")
NOT_WHOLE = _("A whole number is required (no fraction, exponent or true/false).")


def strict_whole(data: Any, max_length: int = 1000) -> int:
    """``data`` as an int if it is a JSON integer or a string of the digits 0-9 (see module)."""
    if isinstance(data, bool) or not isinstance(data, int | str):
        raise serializers.ValidationError(NOT_WHOLE, code="invalid")
    if isinstance(data, int):
        return data
    if has_foreign_digits(data):
        raise serializers.ValidationError(DIGITS_0_9, code="invalid")
    if len(data) > max_length or not _WHOLE.fullmatch(data):
        raise serializers.ValidationError(NOT_WHOLE, code="invalid")
    return int(data)


class IntegerField(serializers.IntegerField):
    """A whole number: a JSON integer or digits 0-9, never ``1.5``, ``"1.0"``, ``true``, ``٣``."""

    def to_internal_value(self, data: Any) -> int:
        return strict_whole(data, self.MAX_STRING_LENGTH)


class BigIntegerField(serializers.BigIntegerField):
    """A big whole number, as strict as :class:`IntegerField`."""

    def to_internal_value(self, data: Any) -> int:
        return strict_whole(data, self.MAX_STRING_LENGTH)


class DecimalField(serializers.DecimalField):
    """DRF's decimal, written with the digits 0-9 only."""

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str) and has_foreign_digits(data):
            raise serializers.ValidationError(DIGITS_0_9, code="invalid")
        return super().to_internal_value(data)  # type: ignore[no-any-return]


class DateField(serializers.DateField):
    """DRF's date, between :data:`~contracts.fiscal_calendar.EARLIEST` and ``LATEST``."""

    def to_internal_value(self, value: Any) -> Any:
        day = super().to_internal_value(value)
        if not EARLIEST <= day <= LATEST:
            raise serializers.ValidationError(
                _("Give a date from %(first)s to %(last)s.")
                % {"first": show_date(EARLIEST), "last": show_date(LATEST)},
                code="invalid",
            )
        return day


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """An object by its id: the id is a whole number (:func:`strict_whole`), never ``1.5``."""

    def to_internal_value(self, data: Any) -> Any:
        if self.pk_field is None:
            data = strict_whole(data)
        return super().to_internal_value(data)


class StrictFieldsMixin:
    """Refuse a body's keys the serializer does not know, 400 naming each ("Not a field that
    can be set here."): a client's typo (``invoce_date``) is an error, not silently lost.
    Read-only fields sent back are known, so an object read and written back passes."""

    IGNORED = frozenset({"csrfmiddlewaretoken"})  # the browsable API's own form field

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            fields = getattr(self, "fields", {})
            unknown = sorted(set(data) - set(fields) - self.IGNORED)
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("Not a field that can be set here.")] for name in unknown}
                )
        return super().to_internal_value(data)  # type: ignore[misc]


class Serializer(StrictFieldsMixin, serializers.Serializer):  # type: ignore[misc]
    """The API's serializer: strict about unknown fields."""


class ModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):  # type: ignore[misc]
    """The API's model serializer: strict about unknown fields, and its generated number and
    relation fields are the strict ones above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{
            model_field: IntegerField
            for model_field, field in serializers.ModelSerializer.serializer_field_mapping.items()
            if field is serializers.IntegerField
        },
        models.BigAutoField: BigIntegerField,
        models.BigIntegerField: BigIntegerField,
        models.DecimalField: DecimalField,
    }
    serializer_related_field = PrimaryKeyRelatedField


class DottedErrorsMixin:
    """Top-level serializers raise their errors with dotted field paths."""

    def is_valid(self, *, raise_exception: bool = False) -> bool:
        valid = super().is_valid(raise_exception=False)  # type: ignore[misc]
        if not valid and raise_exception:
            raise serializers.ValidationError(dotted_errors(self.errors))  # type: ignore[attr-defined]
        return bool(valid)


class ModelCleanMixin:
    """Run the model's own validation (choices, constraints, uniqueness) on the new values.

    ``clean_exclude`` names fields the serializer does not set (e.g. the parent of a nested
    row); constraints that involve them are left to the parent's write.
    """

    clean_exclude: tuple[str, ...] = ()
    #: ``(start, end)`` date fields: an end before the start is an error on the end field.
    date_order: tuple[str, str] | None = None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        model = self.Meta.model  # type: ignore[attr-defined]
        instance = getattr(self, "instance", None)
        if instance is not None and not isinstance(instance, model):
            instance = None
        if self.date_order:
            first, last = (
                attrs[f] if f in attrs else getattr(instance, f, None) for f in self.date_order
            )
            if first is not None and last is not None and last < first:
                raise serializers.ValidationError(
                    {self.date_order[1]: [_("The end date may not be before the start date.")]}
                )
        plain = {
            k: v
            for k, v in attrs.items()
            if not isinstance(self.fields.get(k), serializers.BaseSerializer)  # type: ignore[attr-defined]
        }
        if instance is None:
            candidate = model(**plain)
        else:
            candidate = model.objects.get(pk=instance.pk)
            for key, value in plain.items():
                setattr(candidate, key, value)
        try:
            candidate.full_clean(exclude=list(self.clean_exclude))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_errors(exc)) from exc
        return attrs


class TokenRequestSerializer(Serializer):
    username = serializers.CharField(help_text=_("Your user name."))
    password = serializers.CharField(
        help_text=_("Your password."), style={"input_type": "password"}
    )


class TokenSerializer(Serializer):
    token = serializers.CharField(help_text=_("Send as `Authorization: Token <token>`."))


class ErrorSerializer(Serializer):
    detail = serializers.CharField(help_text=_("What went wrong, in one sentence."))
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Reasons by field (dotted paths for nested fields)."),
    )
