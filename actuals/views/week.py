"""My week: the team member's weekly timesheet grid (see :mod:`actuals.views`)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from actuals import services
from actuals.forms import GridFormSet, week_start
from actuals.models import EDITABLE_STATES, TimeEntry
from actuals.views.common import _own_resource, _require
from contracts.errors import EXPECTED_ERRORS, error_texts
from contracts.models import Resource
from contracts.numbers import show_date

BLANK_ROWS = 3


class _GridRefused(Exception):
    def __init__(self, errors: list[str]) -> None:
        self.errors = errors


def _week_entries(resource: Resource, start: dt.date) -> list[TimeEntry]:
    return list(
        TimeEntry.objects.filter(
            resource=resource, entry_date__range=(start, start + dt.timedelta(days=6))
        )
        .select_related("project", "task", "role")
        .order_by("project__code", "task__code", "role__name", "description", "entry_date", "pk")
    )


def _text(description: str) -> str:
    """A description as a grid row knows it: white space (line breaks from the API or an
    import, a trailing space) squeezed, as the row's text box sends it back."""
    return " ".join(description.split())


def _key(entry: TimeEntry) -> tuple[Any, ...]:
    """A grid row: project, task, role and description."""
    return (entry.project_id, entry.task_id, entry.role_id, _text(entry.description))


def _cells(
    entries: list[TimeEntry], start: dt.date
) -> dict[tuple[Any, ...], list[list[TimeEntry]]]:
    cells: dict[tuple[Any, ...], list[list[TimeEntry]]] = {}
    for e in entries:
        cells.setdefault(_key(e), [[] for _ in range(7)])[(e.entry_date - start).days].append(e)
    return cells


def _locked(cell: list[TimeEntry]) -> bool:
    return len(cell) > 1 or any(e.status not in EDITABLE_STATES for e in cell)


def _save_grid(
    *, formset: Any, resource: Resource, start: dt.date, user: Any, now: dt.datetime
) -> None:
    today = timezone.localdate(now)
    cells = _cells(_week_entries(resource, start), start)
    errors: list[str] = []
    for index, form in enumerate(formset.forms, start=1):
        data = form.cleaned_data
        project, task, role = data.get("project"), data.get("task"), data.get("role")
        description = _text(data.get("description") or "")
        if project is None or role is None:
            continue
        row_cells = cells.get(
            (project.pk, task.pk if task else None, role.pk, description), [[] for _ in range(7)]
        )
        for day in range(7):
            cell = row_cells[day]
            if _locked(cell):
                continue
            hours = data.get(f"d{day}") or Decimal("0")
            date = start + dt.timedelta(days=day)
            try:
                if cell:
                    if hours == 0:
                        services.delete_entry(entry=cell[0], by=user)
                    elif hours != cell[0].hours:
                        e = cell[0]
                        services.update_time_entry(
                            entry=e,
                            by=user,
                            project=project,
                            task=task,
                            role=role,
                            entry_date=date,
                            hours=hours,
                            description=e.description,
                            external_description=e.external_description,
                            today=today,
                        )
                elif hours > 0:
                    services.create_time_entry(
                        resource=resource,
                        project=project,
                        task=task,
                        role=role,
                        entry_date=date,
                        hours=hours,
                        description=description,
                        created_at=now,
                        today=today,
                    )
            except EXPECTED_ERRORS as exc:
                errors.extend(
                    _("Row %(row)d, %(date)s: %(reason)s")
                    % {"row": index, "date": show_date(date), "reason": reason}
                    for reason in error_texts(exc)
                )
    if errors:
        raise _GridRefused(errors)


def _grid_rows(
    formset: Any, cells: dict[tuple[Any, ...], list[list[TimeEntry]]], days: list[dt.date]
) -> list[dict[str, Any]]:
    rows = []
    for form in formset.forms:
        initial = form.initial
        key = (
            getattr(initial.get("project"), "pk", None),
            getattr(initial.get("task"), "pk", None),
            getattr(initial.get("role"), "pk", None),
            _text(initial.get("description", "")),
        )
        row_cells = cells.get(key) if initial.get("project") else None
        rows.append(
            {
                "form": form,
                "fixed": row_cells is not None,
                "initial": initial,
                "cells": [
                    {
                        "field": field,
                        "date": days[day],
                        "locked": bool(row_cells and _locked(row_cells[day])),
                        "entries": row_cells[day] if row_cells else [],
                        "hours": sum((e.hours for e in row_cells[day]), Decimal("0"))
                        if row_cells
                        else None,
                    }
                    for day, field in enumerate(form.day_fields())
                ],
            }
        )
    return rows


def _last_weeks_rows(
    resource: Resource, start: dt.date, *, known: set[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """*Copy last week*: the rows (project, task, role, description) of the week before that
    this week does not have yet, without hours: the person types this week's."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for e in _week_entries(resource, start - dt.timedelta(days=7)):
        if _key(e) not in known and _key(e) not in rows:
            rows[_key(e)] = {
                "project": e.project,
                "task": e.task,
                "role": e.role,
                "description": _text(e.description),
            }
    return list(rows.values())


@login_required
def my_week(request: HttpRequest) -> HttpResponse:
    _require(request, "actuals.add_timeentry")
    resource = _own_resource(request)
    now = timezone.now()
    start = week_start(request.GET.get("week") or request.POST.get("week"), timezone.localdate(now))
    days = [start + dt.timedelta(days=i) for i in range(7)]
    entries = _week_entries(resource, start)
    cells = _cells(entries, start)
    initial = []
    by_key = {_key(e): e for e in entries}
    for key, day_cells in cells.items():
        e = by_key[key]
        row: dict[str, Any] = {
            "project": e.project,
            "task": e.task,
            "role": e.role,
            "description": _text(e.description),
        }
        for i, cell in enumerate(day_cells):
            if cell and not _locked(cell):
                row[f"d{i}"] = cell[0].hours
        initial.append(row)
    if request.GET.get("copy") == "last-week":
        initial += _last_weeks_rows(resource, start, known=set(cells))
    blank = {"role": resource.default_role}
    initial += [blank] * BLANK_ROWS
    status_code = 200
    if request.method == "POST":
        formset = GridFormSet(request.POST, initial=initial, prefix="row", blank=blank)
        submitted: list[int] = []
        if formset.is_valid():
            try:
                with transaction.atomic():
                    _save_grid(
                        formset=formset, resource=resource, start=start, user=request.user, now=now
                    )
                    if request.POST.get("action") == "submit":
                        submitted = ids = list(
                            TimeEntry.objects.filter(
                                resource=resource,
                                entry_date__range=(days[0], days[-1]),
                                status__in=EDITABLE_STATES,
                            ).values_list("pk", flat=True)
                        )
                        services.submit_entries(
                            model=TimeEntry,
                            ids=ids,
                            by=request.user,
                            submitted_at=now,
                            today=timezone.localdate(now),
                        )
            except _GridRefused as exc:
                for error in exc.errors:
                    messages.error(request, error)
                status_code = 400
            except EXPECTED_ERRORS as exc:
                for error in error_texts(exc):
                    messages.error(request, error)
                status_code = 400
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(n)d entry submitted for approval.",
                        "%(n)d entries submitted for approval.",
                        len(submitted),
                    )
                    % {"n": len(submitted)}
                    if request.POST.get("action") == "submit"
                    else _("Week saved."),
                )
                return redirect(f"{reverse('actuals:my-week')}?week={start.isoformat()}")
        else:
            status_code = 400
    else:
        formset = GridFormSet(initial=initial, prefix="row", blank=blank)
    totals = [sum((e.hours for e in entries if e.entry_date == d), Decimal("0")) for d in days]
    return render(
        request,
        "actuals/my_week.html",
        {
            "formset": formset,
            "rows": _grid_rows(formset, cells, days),
            "blank_row": (blank_form := formset.empty_form),
            "blank_days": list(zip(blank_form.day_fields(), days, strict=True)),
            "days": days,
            "totals": totals,
            "week_total": sum(totals, Decimal("0")),
            "start": start,
            "previous_week": start - dt.timedelta(days=7),
            "next_week": start + dt.timedelta(days=7),
        },
        status=status_code,
    )
