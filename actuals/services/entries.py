"""Writes for time and expense entries: create, edit, delete, submit, recall, return.

Every write validates first and raises ``ValidationError({"field": [reason]})`` before it
touches the database, so a refused entry changes nothing. The rules (DOMAIN.md §4, issue 3):

- hours more than 0, and at most 24 on one day for one resource, counting the resource's
  entries of that date that are not *returned* (a returned entry is being reworked; it is
  counted again when resubmitted, since submit re-validates);
- the date no further in the future than ``settings.FUTURE_ENTRY_DAYS`` days after ``today``
  (passed in by the caller: services never read the clock), and within the fiscal calendar of
  the project's legal entity (:mod:`contracts.fiscal_calendar`: time dated 0001-01-01 would never be
  imported into the journal, since no period covers it);
- a role (time) or expense category (expenses) is required; a task must belong to the project;
- receipts: see :mod:`actuals.receipts`.

The resource row is locked (``select_for_update``) while the day's total is checked, so two
saves at once cannot together pass 24 hours.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from actuals.models import EntryStatus, ExpenseEntry, TimeEntry
from actuals.models.entries import Entry
from actuals.receipts import validate_receipt
from contracts.fiscal_calendar import calendar_errors
from contracts.models import ExpenseCategory, Project, Resource, Role, Task
from contracts.money import ZERO, is_currency
from contracts.numbers import show_date

from .errors import EntryStateError, NotAuthorError

E = TypeVar("E", bound=Entry)
MAX_HOURS_PER_DAY = Decimal("24")


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = defaultdict(list)

    def add(self, name: str, message: str) -> None:
        self.by_field[name].append(message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(dict(self.by_field))


def _check_common(
    errors: _Errors,
    *,
    project: Project | None,
    task: Task | None,
    entry_date: dt.date | None,
    today: dt.date,
) -> None:
    if project is None:
        errors.add("project", _("Choose a project."))
    elif not project.is_active:
        errors.add("project", _("Project %(p)s is closed for new entries.") % {"p": project.code})
    if task is not None and project is not None and task.project_id != project.pk:
        errors.add("task", _("Task %(t)s belongs to another project.") % {"t": task.code})
    if entry_date is None:
        errors.add("entry_date", _("Enter a date."))
    else:
        latest = today + dt.timedelta(days=settings.FUTURE_ENTRY_DAYS)
        if entry_date > latest:
            errors.add(
                "entry_date",
                _("The date may be at most %(n)d days ahead (until %(latest)s).")
                % {"n": settings.FUTURE_ENTRY_DAYS, "latest": show_date(latest)},
            )
        elif project is not None:
            refused = calendar_errors(
                {"entry_date": (entry_date, _("date"))}, legal_entity=project.legal_entity
            )
            for message in refused.get("entry_date", []):
                errors.add("entry_date", message)


def hours_booked(
    *, resource: Resource, entry_date: dt.date, exclude_pk: int | None = None
) -> Decimal:
    """The resource's hours on a date, over entries that are not returned."""
    qs = TimeEntry.objects.filter(resource=resource, entry_date=entry_date).exclude(
        status=EntryStatus.RETURNED
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.aggregate(total=Sum("hours"))["total"] or ZERO


def validate_time_entry(
    *,
    resource: Resource,
    project: Project | None,
    task: Task | None,
    role: Role | None,
    entry_date: dt.date | None,
    hours: Decimal | None,
    today: dt.date,
    exclude_pk: int | None = None,
    extra_hours_that_day: Decimal = ZERO,
) -> None:
    """Raise ``ValidationError`` naming each wrong field. ``extra_hours_that_day`` counts hours
    not yet in the database (rows earlier in the same import file)."""
    errors = _Errors()
    _check_common(errors, project=project, task=task, entry_date=entry_date, today=today)
    if role is None:
        errors.add("role", _("Choose a role."))
    if hours is None:
        errors.add("hours", _("Enter the hours."))
    elif hours <= 0:
        errors.add("hours", _("Hours must be more than 0."))
    elif entry_date is not None:
        total = (
            hours_booked(resource=resource, entry_date=entry_date, exclude_pk=exclude_pk)
            + extra_hours_that_day
            + hours
        )
        if total > MAX_HOURS_PER_DAY:
            errors.add(
                "hours",
                _(
                    "%(resource)s would have %(total)s hours on %(date)s; at most 24 hours "
                    "a day can be booked."
                )
                % {"resource": resource, "total": total, "date": show_date(entry_date)},
            )
    errors.raise_if_any()


def validate_expense_entry(
    *,
    project: Project | None,
    task: Task | None,
    category: ExpenseCategory | None,
    entry_date: dt.date | None,
    quantity: Decimal | None,
    amount: Decimal | None,
    currency: str,
    receipt: Any,
    today: dt.date,
) -> None:
    errors = _Errors()
    _check_common(errors, project=project, task=task, entry_date=entry_date, today=today)
    if category is None:
        errors.add("category", _("Choose an expense category."))
    if quantity is None or quantity <= 0:
        errors.add("quantity", _("The quantity must be more than 0."))
    if amount is None or amount <= 0:
        errors.add("amount", _("The amount must be more than 0."))
    if not is_currency(currency or ""):
        errors.add(
            "currency",
            _("%(code)s is not a known ISO 4217 currency code.") % {"code": currency or "—"},
        )
    if receipt:
        try:
            validate_receipt(receipt)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    errors.add(field, message)
    errors.raise_if_any()


def _lock_resource(resource: Resource) -> None:
    Resource.objects.select_for_update().filter(pk=resource.pk).first()


def _lock_entry(entry: E) -> E:
    manager: Any = type(entry)._default_manager
    return manager.select_for_update().get(pk=entry.pk)


def _require_author(entry: Entry, user: Any) -> None:
    if entry.resource.user_id != user.pk:
        raise NotAuthorError(_("Only the author of an entry may do this."))


def _require_editable(entry: Entry) -> None:
    if not entry.is_editable:
        raise EntryStateError(
            _("Entry %(pk)s is %(status)s; only draft or returned entries can be changed.")
            % {"pk": entry.pk, "status": entry.get_status_display()}  # type: ignore[attr-defined]
        )


# --- time entries ------------------------------------------------------------------------


def _create_time_entry(
    *,
    resource: Resource,
    project: Project,
    role: Role,
    entry_date: dt.date,
    hours: Decimal,
    created_at: dt.datetime,
    today: dt.date,
    task: Task | None = None,
    description: str = "",
    external_description: str = "",
    created_by: Any = None,
) -> TimeEntry:
    _lock_resource(resource)
    validate_time_entry(
        resource=resource,
        project=project,
        task=task,
        role=role,
        entry_date=entry_date,
        hours=hours,
        today=today,
    )
    return TimeEntry.objects.create(
        resource=resource,
        project=project,
        task=task,
        role=role,
        entry_date=entry_date,
        hours=hours,
        description=description,
        external_description=external_description,
        created_at=created_at,
        created_by=created_by,
    )


def create_time_entry(
    *,
    resource: Resource,
    project: Project,
    role: Role,
    entry_date: dt.date,
    hours: Decimal,
    created_at: dt.datetime,
    today: dt.date,
    task: Task | None = None,
    description: str = "",
    external_description: str = "",
) -> TimeEntry:
    """Create a draft time entry."""
    with transaction.atomic():
        return _create_time_entry(
            resource=resource,
            project=project,
            role=role,
            entry_date=entry_date,
            hours=hours,
            created_at=created_at,
            today=today,
            task=task,
            description=description,
            external_description=external_description,
        )


def update_time_entry(
    *,
    entry: TimeEntry,
    by: Any,
    project: Project,
    role: Role,
    entry_date: dt.date,
    hours: Decimal,
    today: dt.date,
    task: Task | None = None,
    description: str = "",
    external_description: str = "",
) -> TimeEntry:
    """Change a draft or returned time entry (its author only)."""
    with transaction.atomic():
        entry = _lock_entry(entry)
        _require_author(entry, by)
        _require_editable(entry)
        _lock_resource(entry.resource)
        validate_time_entry(
            resource=entry.resource,
            project=project,
            task=task,
            role=role,
            entry_date=entry_date,
            hours=hours,
            today=today,
            exclude_pk=entry.pk,
        )
        entry.project, entry.task, entry.role = project, task, role
        entry.entry_date, entry.hours = entry_date, hours
        entry.description, entry.external_description = description, external_description
        entry.save()
        return entry


# --- expense entries ---------------------------------------------------------------------


def create_expense_entry(
    *,
    resource: Resource,
    project: Project,
    category: ExpenseCategory,
    entry_date: dt.date,
    amount: Decimal,
    currency: str,
    created_at: dt.datetime,
    today: dt.date,
    quantity: Decimal = Decimal("1"),
    task: Task | None = None,
    description: str = "",
    external_description: str = "",
    receipt: UploadedFile | None = None,
) -> ExpenseEntry:
    """Create a draft expense entry (with its receipt file, if given)."""
    validate_expense_entry(
        project=project,
        task=task,
        category=category,
        entry_date=entry_date,
        quantity=quantity,
        amount=amount,
        currency=currency,
        receipt=receipt,
        today=today,
    )
    with transaction.atomic():
        entry = ExpenseEntry(
            resource=resource,
            project=project,
            task=task,
            category=category,
            entry_date=entry_date,
            quantity=quantity,
            amount=amount,
            currency=currency,
            description=description,
            external_description=external_description,
            created_at=created_at,
        )
        if receipt:
            entry.receipt.save(receipt.name or "receipt", receipt, save=False)
        entry.save()
        return entry


def update_expense_entry(
    *,
    entry: ExpenseEntry,
    by: Any,
    project: Project,
    category: ExpenseCategory,
    entry_date: dt.date,
    amount: Decimal,
    currency: str,
    today: dt.date,
    quantity: Decimal = Decimal("1"),
    task: Task | None = None,
    description: str = "",
    external_description: str = "",
    receipt: UploadedFile | None = None,
) -> ExpenseEntry:
    """Change a draft or returned expense entry (its author only); ``receipt=None`` keeps the
    current receipt file."""
    with transaction.atomic():
        entry = _lock_entry(entry)
        _require_author(entry, by)
        _require_editable(entry)
        validate_expense_entry(
            project=project,
            task=task,
            category=category,
            entry_date=entry_date,
            quantity=quantity,
            amount=amount,
            currency=currency,
            receipt=receipt,
            today=today,
        )
        entry.project, entry.task, entry.category = project, task, category
        entry.entry_date, entry.quantity, entry.amount = entry_date, quantity, amount
        entry.currency = currency
        entry.description, entry.external_description = description, external_description
        if receipt:
            entry.receipt.save(receipt.name or "receipt", receipt, save=False)
        entry.save()
        return entry


# --- both kinds ----------------------------------------------------------------------------


def delete_entry(*, entry: Entry, by: Any) -> None:
    """Delete a draft or returned entry (its author only)."""
    with transaction.atomic():
        entry = _lock_entry(entry)
        _require_author(entry, by)
        _require_editable(entry)
        entry.delete()


def submit_entry(*, entry: E, by: Any, submitted_at: dt.datetime, today: dt.date) -> E:
    """Submit a draft or returned entry for approval (its author only); re-validates it."""
    with transaction.atomic():
        entry = _lock_entry(entry)
        _require_author(entry, by)
        if not can_proceed(entry.submit):
            raise EntryStateError(
                _("Entry %(pk)s is %(status)s; only draft or returned entries can be submitted.")
                % {"pk": entry.pk, "status": entry.get_status_display()}  # type: ignore[attr-defined]
            )
        if isinstance(entry, TimeEntry):
            _lock_resource(entry.resource)
            validate_time_entry(
                resource=entry.resource,
                project=entry.project,
                task=entry.task,
                role=entry.role,
                entry_date=entry.entry_date,
                hours=entry.hours,
                today=today,
                exclude_pk=entry.pk,
            )
        else:
            entry_date_errors = _Errors()
            _check_common(
                entry_date_errors,
                project=entry.project,
                task=entry.task,
                entry_date=entry.entry_date,
                today=today,
            )
            entry_date_errors.raise_if_any()
        entry.submit()
        entry.submitted_at = submitted_at
        entry.save()
        return entry


def submit_entries(
    *, model: type[E], ids: list[int], by: Any, submitted_at: dt.datetime, today: dt.date
) -> list[E]:
    """Submit several entries at once (a week of the timesheet): all or none."""
    with transaction.atomic():
        manager: Any = model._default_manager
        entries = list(manager.filter(pk__in=ids).order_by("pk"))
        if len(entries) != len(set(ids)):
            raise ValidationError({"ids": _("Some entries do not exist.")})
        return [
            submit_entry(entry=e, by=by, submitted_at=submitted_at, today=today) for e in entries
        ]


def recall_entry(*, entry: E, by: Any) -> E:
    """Take a submitted entry back to draft (its author only)."""
    with transaction.atomic():
        entry = _lock_entry(entry)
        _require_author(entry, by)
        if not can_proceed(entry.recall):
            raise EntryStateError(
                _("Entry %(pk)s is %(status)s; only a submitted entry can be recalled.")
                % {"pk": entry.pk, "status": entry.get_status_display()}  # type: ignore[attr-defined]
            )
        entry.recall()
        entry.save()
        return entry


def _return_locked(*, entry: E, comment: str, returned_by: Any, returned_at: dt.datetime) -> E:
    if not can_proceed(entry.return_to_author):
        raise EntryStateError(
            _("Entry %(pk)s is %(status)s; only a submitted entry can be returned.")
            % {"pk": entry.pk, "status": entry.get_status_display()}  # type: ignore[attr-defined]
        )
    entry.return_to_author()
    entry.return_comment = comment.strip()
    entry.returned_by = returned_by
    entry.returned_at = returned_at
    entry.save()
    return entry


def _require_comment(comment: str) -> None:
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say why the entry is returned.")})


def return_entry(*, entry: E, comment: str, returned_by: Any, returned_at: dt.datetime) -> E:
    """Return a submitted entry to its author with a comment (editable, may be resubmitted)."""
    _require_comment(comment)
    with transaction.atomic():
        return _return_locked(
            entry=_lock_entry(entry),
            comment=comment,
            returned_by=returned_by,
            returned_at=returned_at,
        )


def return_entries(
    *, model: type[E], ids: list[int], comment: str, returned_by: Any, returned_at: dt.datetime
) -> list[E]:
    """Return several submitted entries with one comment: all or none."""
    _require_comment(comment)
    with transaction.atomic():
        manager: Any = model._default_manager
        entries = list(manager.select_for_update().filter(pk__in=ids).order_by("pk"))
        if len(entries) != len(set(ids)):
            raise ValidationError({"ids": _("Some entries do not exist.")})
        return [
            _return_locked(
                entry=e, comment=comment, returned_by=returned_by, returned_at=returned_at
            )
            for e in entries
        ]
