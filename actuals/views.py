"""Portal pages of the actuals app.

Team member: my week (a weekly timesheet grid), my expenses (list, form with receipt upload),
returned entries with the reason. Project manager: approvals waiting (filters, bulk approve /
return, billable quantity per entry) and project actuals (filters, totals). Pages check the
permission (403), scope to what the user may see (404 otherwise), call one service per action
and turn its errors into messages a person understands. No inline JS or CSS (strict CSP).

The grid: one row per project / task / role, one cell per day holding one entry. Rows of
existing entries keep their project / task / role (set the hours to 0 and use a new row to move
hours); a cell whose entry is submitted or approved, or that holds more than one entry (e.g.
from an import), is shown read-only. Emptying an editable cell deletes its entry. "Save" keeps
drafts; "Submit week" saves, then submits every draft or returned entry of the week. Any error
rolls the whole save back and is listed per cell.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from actuals import queries, services
from actuals.forms import (
    ActualFilterForm,
    ApprovalFilterForm,
    ExpenseForm,
    GridFormSet,
    week_start,
)
from actuals.journal import import_actuals, unbilled_wip_subledger
from actuals.models import EDITABLE_STATES, EntryStatus, ExpenseEntry, TimeEntry
from contracts.models import LegalEntity, Project, Resource
from ledger.forms import LegalEntityDateForm
from ledger.reports import wip_reconciliation

BLANK_ROWS = 3


def _require(request: HttpRequest, *perms: str) -> None:
    if not all(request.user.has_perm(p) for p in perms):
        raise PermissionDenied


def _own_resource(request: HttpRequest) -> Resource:
    user: Any = request.user
    resource = Resource.objects.filter(user=user).first()
    if resource is None:
        raise PermissionDenied
    return resource


def _error_text(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return [f"{field}: {m}" for field, msgs in exc.message_dict.items() for m in msgs]
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(exc)]


# --- my week -----------------------------------------------------------------------------


class _GridRefused(Exception):
    def __init__(self, errors: list[str]) -> None:
        self.errors = errors


def _week_entries(resource: Resource, start: dt.date) -> list[TimeEntry]:
    return list(
        TimeEntry.objects.filter(
            resource=resource, entry_date__range=(start, start + dt.timedelta(days=6))
        )
        .select_related("project", "task", "role")
        .order_by("project__code", "task__code", "role__name", "entry_date", "pk")
    )


def _cells(
    entries: list[TimeEntry], start: dt.date
) -> dict[tuple[Any, ...], list[list[TimeEntry]]]:
    cells: dict[tuple[Any, ...], list[list[TimeEntry]]] = {}
    for e in entries:
        key = (e.project_id, e.task_id, e.role_id)
        cells.setdefault(key, [[] for _ in range(7)])[(e.entry_date - start).days].append(e)
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
        if project is None or role is None:
            continue
        row_cells = cells.get(
            (project.pk, task.pk if task else None, role.pk), [[] for _ in range(7)]
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
                        created_at=now,
                        today=today,
                    )
            except (ValidationError, services.EntryStateError) as exc:
                errors.extend(
                    _("Row %(row)d, %(date)s: %(reason)s")
                    % {"row": index, "date": date.strftime("%a %d-%m"), "reason": reason}
                    for reason in _error_text(exc)
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
    by_key = {(e.project_id, e.task_id, e.role_id): e for e in entries}
    for key, day_cells in cells.items():
        e = by_key[key]
        row: dict[str, Any] = {"project": e.project, "task": e.task, "role": e.role}
        for i, cell in enumerate(day_cells):
            if cell and not _locked(cell):
                row[f"d{i}"] = cell[0].hours
        initial.append(row)
    initial += [{"role": resource.default_role}] * BLANK_ROWS
    status_code = 200
    if request.method == "POST":
        formset = GridFormSet(request.POST, initial=initial, prefix="row")
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
            except (ValidationError, services.EntryStateError) as exc:
                for error in _error_text(exc):
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
        formset = GridFormSet(initial=initial, prefix="row")
    totals = [sum((e.hours for e in entries if e.entry_date == d), Decimal("0")) for d in days]
    return render(
        request,
        "actuals/my_week.html",
        {
            "formset": formset,
            "rows": _grid_rows(formset, cells, days),
            "days": days,
            "totals": totals,
            "week_total": sum(totals, Decimal("0")),
            "start": start,
            "previous_week": start - dt.timedelta(days=7),
            "next_week": start + dt.timedelta(days=7),
        },
        status=status_code,
    )


# --- my expenses -------------------------------------------------------------------------


def _expense_kwargs(form: ExpenseForm) -> dict[str, Any]:
    d = form.cleaned_data
    return {
        "project": d["project"],
        "task": d.get("task"),
        "category": d["category"],
        "entry_date": d["entry_date"],
        "quantity": d["quantity"],
        "amount": d["amount"],
        "currency": d["currency"].upper(),
        "description": d.get("description", ""),
        "external_description": d.get("external_description", ""),
        "receipt": d.get("receipt") or None,
    }


def _form_errors(form: Any, exc: Exception) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            for m in msgs:
                form.add_error(field if field in form.fields else None, m)
    else:
        form.add_error(None, str(exc))


@login_required
def my_expenses(request: HttpRequest) -> HttpResponse:
    _require(request, "actuals.add_expenseentry")
    resource = _own_resource(request)
    status_code = 200
    if request.method == "POST":
        form = ExpenseForm(request.POST, request.FILES)
        if form.is_valid():
            now = timezone.now()
            try:
                services.create_expense_entry(
                    resource=resource,
                    created_at=now,
                    today=timezone.localdate(now),
                    **_expense_kwargs(form),
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Expense saved as a draft."))
                return redirect("actuals:my-expenses")
        status_code = 400
    else:
        form = ExpenseForm(initial={"entry_date": timezone.localdate()})
    expenses = queries.own_entries(request.user, ExpenseEntry).select_related("category")
    page = Paginator(expenses.order_by("-entry_date", "-pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "actuals/my_expenses.html",
        {"form": form, "page": page},
        status=status_code,
    )


@login_required
def expense_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "actuals.change_expenseentry")
    entry = get_object_or_404(queries.own_entries(request.user, ExpenseEntry), pk=pk)
    if not entry.is_editable:
        raise Http404
    status_code = 200
    if request.method == "POST":
        form = ExpenseForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.update_expense_entry(
                    entry=entry,
                    by=request.user,
                    today=timezone.localdate(),
                    **_expense_kwargs(form),
                )
            except (ValidationError, services.EntryStateError) as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Expense saved."))
                return redirect("actuals:my-expenses")
        status_code = 400
    else:
        form = ExpenseForm(
            initial={
                f: getattr(entry, f)
                for f in (
                    "project",
                    "task",
                    "category",
                    "entry_date",
                    "quantity",
                    "amount",
                    "currency",
                    "description",
                    "external_description",
                )
            }
        )
    return render(
        request, "actuals/expense_edit.html", {"form": form, "entry": entry}, status=status_code
    )


@login_required
@require_POST
def entry_action(request: HttpRequest, kind: str, pk: int, verb: str) -> HttpResponse:
    """Submit, recall or delete one own entry (a small POST form beside each row)."""
    model = {"time": TimeEntry, "expense": ExpenseEntry}.get(kind)
    if model is None or verb not in ("submit", "recall", "delete"):
        raise Http404
    _require(request, f"actuals.change_{model._meta.model_name}")
    entry = get_object_or_404(queries.own_entries(request.user, model), pk=pk)
    now = timezone.now()
    try:
        if verb == "submit":
            services.submit_entry(
                entry=entry, by=request.user, submitted_at=now, today=timezone.localdate(now)
            )
            messages.success(request, _("Submitted for approval."))
        elif verb == "recall":
            services.recall_entry(entry=entry, by=request.user)
            messages.success(request, _("Recalled; the entry is a draft again."))
        else:
            services.delete_entry(entry=entry, by=request.user)
            messages.success(request, _("Deleted."))
    except (ValidationError, services.EntryStateError) as exc:
        for error in _error_text(exc):
            messages.error(request, error)
    target = request.POST.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = reverse("actuals:my-expenses")
    return redirect(target)


@login_required
def returned(request: HttpRequest) -> HttpResponse:
    _require(request, "actuals.view_timeentry")
    _own_resource(request)
    time = queries.own_entries(request.user, TimeEntry).filter(status=EntryStatus.RETURNED)
    expenses = queries.own_entries(request.user, ExpenseEntry).filter(status=EntryStatus.RETURNED)
    return render(
        request,
        "actuals/returned.html",
        {
            "time_entries": time.select_related("role", "returned_by").order_by("entry_date", "pk"),
            "expense_entries": expenses.select_related("category", "returned_by").order_by(
                "entry_date", "pk"
            ),
        },
    )


# --- approvals (project manager) -----------------------------------------------------------


def _managed_projects(user: Any) -> Any:
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(project_manager=user)


def _ids(request: HttpRequest, name: str) -> list[int]:
    try:
        return sorted({int(v) for v in request.POST.getlist(name)})
    except ValueError as exc:
        raise Http404 from exc


def _billable(request: HttpRequest, kind: str, ids: list[int]) -> dict[int, Decimal]:
    quantities: dict[int, Decimal] = {}
    for pk in ids:
        raw = (request.POST.get(f"billable-{kind}-{pk}") or "").strip().replace(",", ".")
        if raw:
            try:
                quantities[pk] = Decimal(raw)
            except InvalidOperation as exc:
                raise ValidationError(
                    {"billable_quantity": _("%(v)s is not a number.") % {"v": raw}}
                ) from exc
    return quantities


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    _require(request, "actuals.approve_timeentry", "actuals.approve_expenseentry")
    user = request.user
    waiting_time = queries.approvals_waiting(user, TimeEntry).select_related("role")
    waiting_expenses = queries.approvals_waiting(user, ExpenseEntry).select_related("category")
    if request.method == "POST":
        verb = request.POST.get("action")
        time_ids, expense_ids = _ids(request, "time_ids"), _ids(request, "expense_ids")
        # Only entries waiting for this manager; anything else is as if it did not exist.
        if waiting_time.filter(pk__in=time_ids).count() != len(time_ids) or (
            waiting_expenses.filter(pk__in=expense_ids).count() != len(expense_ids)
        ):
            messages.error(request, _("Some of the selected entries are no longer waiting."))
            return redirect(request.get_full_path())
        if not time_ids and not expense_ids:
            messages.error(request, _("Select at least one entry."))
            return redirect(request.get_full_path())
        now = timezone.now()
        try:
            if verb == "approve":
                warnings: list[str] = []
                for model, ids, kind in (
                    (TimeEntry, time_ids, "time"),
                    (ExpenseEntry, expense_ids, "expense"),
                ):
                    if ids:
                        results = services.approve_entries(
                            model=model,
                            ids=ids,
                            approved_by=user,
                            approved_at=now,
                            billable_quantities=_billable(request, kind, ids),
                        )
                        warnings += [w for r in results for w in r.warnings]
                messages.success(
                    request,
                    _("%(n)d entries approved.") % {"n": len(time_ids) + len(expense_ids)},
                )
                for w in warnings:
                    messages.warning(request, w)
            elif verb == "return":
                comment = request.POST.get("comment", "")
                for model, ids in ((TimeEntry, time_ids), (ExpenseEntry, expense_ids)):
                    if ids:
                        services.return_entries(
                            model=model, ids=ids, comment=comment, returned_by=user, returned_at=now
                        )
                messages.success(
                    request,
                    _("%(n)d entries returned.") % {"n": len(time_ids) + len(expense_ids)},
                )
            else:
                raise Http404
        except (ValidationError, services.EntryStateError) as exc:
            for error in _error_text(exc):
                messages.error(request, error)
        return redirect(request.get_full_path())
    form = ApprovalFilterForm(request.GET or None, projects=_managed_projects(user))
    time = form.filtered(waiting_time).order_by("entry_date", "pk")[:500]
    expenses = form.filtered(waiting_expenses).order_by("entry_date", "pk")[:500]
    return render(
        request,
        "actuals/approvals.html",
        {"filter_form": form, "time_entries": time, "expense_entries": expenses},
    )


# --- project actuals -----------------------------------------------------------------------


@login_required
def project_actuals(request: HttpRequest) -> HttpResponse:
    _require(request, "actuals.view_actual")
    user = request.user
    projects = Project.objects.all() if user.is_superuser else None
    if projects is None:
        from contracts.roles import sees_everything

        projects = Project.objects.all() if sees_everything(user) else _managed_projects(user)
    form = ActualFilterForm(request.GET or None, projects=projects)
    qs = form.filtered(queries.visible_actuals(user))
    totals = queries.actual_totals(qs)
    rows = [
        {"type": t, "currency": cur, "quantity": q, "amount": a}
        for t, by_currency in totals.items()
        for cur, (q, a) in by_currency.items()
    ]
    page = Paginator(
        qs.select_related("customer", "role", "category", "resource").order_by(
            "-transaction_date", "-pk"
        ),
        50,
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "actuals/project_actuals.html",
        {"filter_form": form, "page": page, "totals": rows, "query": query.urlencode()},
    )


# --- integration journal (accountant) -------------------------------------------------------


@login_required
@require_POST
def journal_import(request: HttpRequest) -> HttpResponse:
    """The accountant's "Import actuals" button: back to the page it was pressed on."""
    _require(request, "ledger.import_journal")
    result = import_actuals(now=timezone.now())
    if result.lines:
        messages.success(
            request,
            _("Imported %(lines)s into %(journals)s.")
            % {
                "lines": ngettext("%(n)d actual", "%(n)d actuals", result.lines)
                % {"n": result.lines},
                "journals": ngettext("%(n)d journal", "%(n)d journals", result.journals)
                % {"n": result.journals},
            },
        )
    else:
        messages.info(request, _("Nothing to import: every approved actual is in a journal."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("ledger:journal-list")
    return redirect(target)


@login_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    """Project subledger (:func:`actuals.journal.unbilled_wip_subledger`) against the WIP –
    sales value account, per project (accountant only)."""
    _require(request, "ledger.view_reports")
    form = LegalEntityDateForm(request.GET or None)
    legal_entity = LegalEntity.objects.order_by("code", "pk").first()
    on_date = timezone.localdate()
    if form.is_bound and form.is_valid():
        legal_entity = form.cleaned_data["legal_entity"]
        on_date = form.cleaned_data["date"] or on_date
    rows = (
        wip_reconciliation(
            legal_entity=legal_entity,
            on_date=on_date,
            subledger=unbilled_wip_subledger(legal_entity=legal_entity, on_date=on_date),
        )
        if legal_entity
        else []
    )
    return render(
        request,
        "actuals/reconciliation.html",
        {
            "form": form,
            "rows": rows,
            "legal_entity": legal_entity,
            "on_date": on_date,
            "all_reconcile": all(r.reconciles for r in rows),
        },
    )
