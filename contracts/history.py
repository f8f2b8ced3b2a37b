"""The audit trail: who changed what and when, read from django-pghistory's event tables.

PostgreSQL writes the history (pghistory triggers on the tracked tables, so no bulk
``.update()`` slips past) and keeps it: every event table is append-only (``PGHISTORY_APPEND_ONLY``,
a Protect trigger refuses UPDATE and DELETE), and the context of a change (the user and URL of a
request, the name of a Celery task or management command) is stored in the event row itself
(``PGHISTORY_CONTEXT_FIELD``), so it is sealed with the row. This module only reads.

Decisions:

- **One reader for every page.** The object pages (contract, invoice) and the accountant's
  audit page read through pghistory's ``MiddlewareEvents`` aggregate (one CTE over the event
  tables, with the per-event ``pgh_diff`` against the object's previous event and the context's
  ``user`` as a column), and turn its rows into :class:`HistoryRow` s with :func:`history_rows`.
- **The event models are found, not listed.** :func:`event_models` asks ``django.apps`` for every
  pghistory event model, so a model tracked tomorrow appears on the audit page and in the sealed-
  table tests without another edit here.
- **Readable, in the reader's language.** A change is shown as the tracked model's field label,
  old → new; choices by their label, related rows by their ``__str__`` (one query per related
  model and page), dates and numbers in the active language's formats, ``—`` for empty. The JSON
  of ``pgh_diff`` carries numbers as JSON numbers, so a decimal is shown from its shortest
  round-trip text at the field's places (exact for any amount below 10^15).
- **Who.** The context's user by full name (username if none); a change made by a task or
  command names it; a change with no context (a migration, the shell) shows as the system.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pghistory.models
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.numbers import show_date

EMPTY = "—"

#: What an event's label says, for people.
EVENT_KINDS = {
    "insert": gettext_lazy("Created"),
    "update": gettext_lazy("Changed"),
    "delete": gettext_lazy("Deleted"),
}


def event_models() -> list[type[pghistory.models.Event]]:
    """Every pghistory event model of the project, ordered by its label."""
    found = [
        model
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event)
        and getattr(model, "pgh_tracked_model", None) is not None
    ]
    return sorted(found, key=lambda m: m._meta.label)


def event_model_choices() -> list[tuple[str, str]]:
    """(event model label, the tracked model's name) for a filter, by name."""
    choices = [(model._meta.label, _type_name(model.pgh_tracked_model)) for model in event_models()]
    return sorted(choices, key=lambda c: c[1])


def events() -> Any:
    """All events of all tracked tables (pghistory's aggregate, with ``user`` and ``url``)."""
    return pghistory.models.MiddlewareEvents.objects.all()


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass
class HistoryRow:
    at: dt.datetime
    who: str
    kind: str
    object_type: str
    object_id: str
    object_text: str
    changes: list[Change] = field(default_factory=list)


def _tracked(label: str) -> type[models.Model]:
    return apps.get_model(label)


def _type_name(model: Any) -> str:
    """A model's name as a heading: "Contract line", "Factuur"."""
    return str(model._meta.verbose_name).capitalize()


def _fields_by_column(model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
    return {str(f.column): f for f in model._meta.concrete_fields}


def _decimal_text(value: Any, places: int) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return formats.number_format(number, places, use_l10n=True, force_grouping=True)


def _value_text(
    model_field: models.Field[Any, Any] | None,
    value: Any,
    related: dict[tuple[type[models.Model], str], str],
) -> str:
    """One stored value (as JSON gives it) as a person reads it."""
    if value is None or value == "":
        return EMPTY
    if model_field is None:
        return str(value)
    if model_field.is_relation and model_field.related_model is not None:
        target: Any = model_field.related_model
        return related.get((target, str(value)), f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return _("Yes") if value else _("No")
    if isinstance(model_field, models.DateTimeField):
        moment = parse_datetime(str(value))
        if moment is None:
            return str(value)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, dt.UTC)
        return show_date(moment)
    if isinstance(model_field, models.DateField):
        day = parse_date(str(value))
        return show_date(day) if day else str(value)
    if isinstance(model_field, models.DecimalField):
        return _decimal_text(value, model_field.decimal_places or 0)
    return str(value)


def _who(context: dict[str, Any] | None, users: dict[str, str]) -> str:
    context = context or {}
    if context.get("user") is not None:
        return users.get(str(context["user"]), f"#{context['user']}")
    if context.get("task"):
        return _("Task %(name)s") % {"name": context["task"]}
    if context.get("command"):
        return _("Command %(name)s") % {"name": context["command"]}
    return _("System")


def history_rows(events: Iterable[Any]) -> list[HistoryRow]:
    """People's rows for ``events`` (``MiddlewareEvents``), in the order given.

    Reads the users, the related rows the changes name and the objects themselves in bulk:
    one query per model, however many events.
    """
    events = list(events)
    wanted: dict[type[models.Model], set[str]] = defaultdict(set)
    user_model = get_user_model()
    for event in events:
        context = event.pgh_context or {}
        if context.get("user") is not None:
            wanted[user_model].add(str(context["user"]))
        tracked = _tracked(event.pgh_obj_model)
        if event.pgh_obj_id is not None:
            wanted[tracked].add(str(event.pgh_obj_id))
        columns = _fields_by_column(tracked)
        for column, (old, new) in (event.pgh_diff or {}).items():
            model_field = columns.get(column)
            if model_field is not None and model_field.is_relation and model_field.related_model:
                target: Any = model_field.related_model
                wanted[target].update(str(v) for v in (old, new) if v is not None)
    texts: dict[tuple[type[models.Model], str], str] = {}
    for model, pks in wanted.items():
        for obj in model._default_manager.filter(pk__in=pks):
            person: Any = obj
            is_user = model is user_model
            texts[(model, str(obj.pk))] = (
                (person.get_full_name() or person.get_username()) if is_user else str(obj)
            )
    users = {pk: text for (model, pk), text in texts.items() if model is user_model}

    rows = []
    for event in events:
        tracked = _tracked(event.pgh_obj_model)
        columns = _fields_by_column(tracked)
        changes = []
        for column, (old, new) in sorted((event.pgh_diff or {}).items()):
            model_field = columns.get(column)
            label = str(model_field.verbose_name) if model_field is not None else column
            changes.append(
                Change(
                    field=label[:1].upper() + label[1:],
                    old=_value_text(model_field, old, texts),
                    new=_value_text(model_field, new, texts),
                )
            )
        changes.sort(key=lambda c: c.field)
        obj_id = str(event.pgh_obj_id) if event.pgh_obj_id is not None else ""
        rows.append(
            HistoryRow(
                at=event.pgh_created_at,
                who=_who(event.pgh_context, users),
                kind=str(EVENT_KINDS.get(event.pgh_label, _("Changed"))),
                object_type=_type_name(tracked),
                object_id=obj_id,
                object_text=texts.get((tracked, obj_id), f"#{obj_id}" if obj_id else EMPTY),
                changes=changes,
            )
        )
    return rows


def history_of(
    obj: models.Model, *, also: Iterable[type[models.Model]] = (), limit: int = 50
) -> list[HistoryRow]:
    """The latest ``limit`` events of ``obj``, newest first, and of the rows of the ``also``
    models that refer to it (a contract's customers, lines and price lists)."""
    tracked = [type(obj), *also]
    across = [m for m in event_models() if m.pgh_tracked_model in tracked]
    found = events().across(*across)
    # Only the object's own events (not, say, a credit note's that names the invoice), unless
    # rows of other models that refer to it are asked for too.
    found = found.references(obj) if also else found.tracks(obj)
    return history_rows(found.order_by("-pgh_created_at", "-pgh_slug")[:limit])
