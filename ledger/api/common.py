"""Helpers shared by the ledger's report endpoints: money as the API writes it, and the
report parameters (dates and legal entity) with a 400 naming each bad one.
"""

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.request import Request

from contracts.models import LegalEntity
from contracts.numbers import ascii_id

# --- receivables: aging, customer statement, reconciliation -----------------------------------

_MONEY = serializers.DecimalField(max_digits=20, decimal_places=2)


def _money(value: Any) -> str:
    return str(_MONEY.to_representation(value))


def _report_params(
    request: Request,
    *,
    dates: tuple[str, ...] = ("date",),
    errors: dict[str, list[str]] | None = None,
) -> tuple[LegalEntity, dict[str, dt.date]]:
    """The report's dates (YYYY-MM-DD, required) and legal entity (default: the first by
    code); a 400 naming each bad parameter (with ``errors`` found before)."""
    errors = dict(errors or {})
    found: dict[str, dt.date] = {}
    for name in dates:
        try:
            found[name] = dt.date.fromisoformat(request.query_params.get(name, ""))
        except ValueError:
            errors[name] = [_("Give the date as YYYY-MM-DD.")]
    entity_id = request.query_params.get("legal_entity")
    entities = LegalEntity.objects.order_by("code", "pk")
    legal_entity = (
        entities.filter(pk=entity_id).first()
        if entity_id and ascii_id(entity_id) is not None
        else (None if entity_id else entities.first())
    )
    if legal_entity is None:
        errors["legal_entity"] = [_("Unknown legal entity.")]
    if errors or legal_entity is None:
        raise serializers.ValidationError(errors)
    return legal_entity, found
