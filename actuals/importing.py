"""Import of time entries from CSV or XLSX (for firms moving from another time tracker).

Columns (the first row names them; order free; case and surrounding spaces ignored):

=======================  ========  =================================================
column                   required  meaning
=======================  ========  =================================================
``resource``             yes       the user name of the person who worked
``project``              yes       project code
``task``                 no        task code within the project (empty: no task)
``role``                 yes       role code
``date``                 yes       the day worked, ``YYYY-MM-DD`` (XLSX: a date cell too)
``hours``                yes       decimal hours, ``7.5`` (a comma ``7,5`` is accepted)
``description``          no        internal description
``external_description`` no        the text for the invoice
=======================  ========  =================================================

Every row is validated like an entry typed in (:mod:`actuals.services.entries`), including
the 24-hour day counting the rows above it in the same file. If anything is wrong, the whole
file is refused with a list ``row N, field: reason`` (row 1 is the header, so the first entry
is row 2, as a spreadsheet numbers it) and nothing is imported: all rows are written in one
transaction. Imported entries are drafts of their resource.

``resource_lookup`` maps a user name to the :class:`Resource` the importer may book for, or
``None``: a team member's lookup knows only themself, an administrator's everybody.
"""

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from actuals.models import TimeEntry
from actuals.services.entries import _create_time_entry, validate_time_entry
from contracts.models import Project, Resource, Role, Task
from contracts.money import ZERO
from contracts.numbers import DIGITS_0_9, has_foreign_digits

COLUMNS = (
    "resource",
    "project",
    "task",
    "role",
    "date",
    "hours",
    "description",
    "external_description",
)
REQUIRED = ("resource", "project", "role", "date", "hours")
MAX_ROWS = 10_000


class ImportRefused(ValidationError):
    """The file was refused whole. ``row_errors`` lists ``(row, field, reason)``; as a
    ``ValidationError`` it reads ``{"file": ["row 3, date: …", …]}``."""

    def __init__(self, row_errors: list[tuple[int, str, str]]) -> None:
        self.row_errors = row_errors
        super().__init__(
            {
                "file": [
                    _("row %(row)d, %(field)s: %(reason)s")
                    % {"row": row, "field": field, "reason": reason}
                    if row
                    else f"{field}: {reason}"
                    for row, field, reason in row_errors
                ]
            }
        )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def _read_rows(file: IO[bytes] | Any) -> Iterator[list[str]]:
    name = (getattr(file, "name", "") or "").lower()
    file.seek(0)
    data = file.read()
    if isinstance(data, str):
        data = data.encode()
    if name.endswith(".xlsx") or (not name.endswith(".csv") and data[:4] == b"PK\x03\x04"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a damaged file
            raise ImportRefused([(0, "file", _("This is not a readable XLSX file."))]) from exc
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused([(0, "file", _("The CSV file must be UTF-8 text."))]) from exc
    try:
        dialect: Any = csv.Sniffer().sniff(text.splitlines()[0] if text else "", ",;\t")
    except csv.Error:
        dialect = csv.excel
    for row in csv.reader(io.StringIO(text), dialect):
        yield [c.strip() for c in row]


def _parse_date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _parse_hours(value: str) -> Decimal:
    """Hours with a point or comma (``InvalidOperation`` for NaN or infinity too)."""
    hours = Decimal(value.replace(",", "."))
    if not hours.is_finite():
        raise InvalidOperation(value)
    return hours


def import_time_entries(
    *,
    resource_lookup: Callable[[str], Resource | None],
    file: IO[bytes] | Any,
    created_by: Any,
    today: dt.date,
    created_at: dt.datetime | None = None,
) -> list[TimeEntry]:
    """Import a CSV/XLSX file of time entries as drafts: all rows or none (see module)."""
    stamp = created_at or dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    rows = list(_read_rows(file))
    errors: list[tuple[int, str, str]] = []
    if not rows or not any(rows[0]):
        raise ImportRefused([(0, "file", _("The file is empty."))])
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportRefused([(1, c, _("the column %(c)s is missing.") % {"c": c}) for c in missing])
    if len(rows) - 1 > MAX_ROWS:
        raise ImportRefused(
            [(0, "file", _("At most %(n)d rows can be imported at once.") % {"n": MAX_ROWS})]
        )
    index = {name: header.index(name) for name in COLUMNS if name in header}

    projects = {
        p.code: p
        for p in Project.objects.filter(
            code__in=[r[index["project"]] for r in rows[1:] if len(r) > index["project"]]
        )
    }
    roles = {r.code: r for r in Role.objects.all()}
    resources: dict[str, Resource | None] = {}
    parsed: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(rows[1:], start=2):
        if not any(raw):
            continue  # blank lines are skipped
        value = {name: (raw[i] if i < len(raw) else "") for name, i in index.items()}
        row_errors: list[tuple[str, str]] = []
        for name in REQUIRED:
            if not value.get(name):
                row_errors.append((name, _("a value is required.")))
        username = value.get("resource", "")
        if username and username not in resources:
            resources[username] = resource_lookup(username)
        resource = resources.get(username)
        if username and resource is None:
            row_errors.append(("resource", _("unknown user %(u)s.") % {"u": username}))
        project = projects.get(value.get("project", ""))
        if value.get("project") and project is None:
            row_errors.append(("project", _("unknown project %(p)s.") % {"p": value["project"]}))
        task = None
        if value.get("task") and project is not None:
            task = Task.objects.filter(project=project, code=value["task"]).first()
            if task is None:
                row_errors.append(
                    (
                        "task",
                        _("project %(p)s has no task %(t)s.")
                        % {"p": project.code, "t": value["task"]},
                    )
                )
        role = roles.get(value.get("role", ""))
        if value.get("role") and role is None:
            row_errors.append(("role", _("unknown role %(r)s.") % {"r": value["role"]}))
        entry_date = None
        if value.get("date"):
            try:
                entry_date = _parse_date(value["date"])
            except ValueError:
                row_errors.append(
                    (
                        "date",
                        _("%(v)s is not a date in the form YYYY-MM-DD.") % {"v": value["date"]},
                    )
                )
        hours = None
        if value.get("hours") and has_foreign_digits(value["hours"]):
            row_errors.append(("hours", str(DIGITS_0_9)))
        elif value.get("hours"):
            try:
                hours = _parse_hours(value["hours"])
            except InvalidOperation:
                row_errors.append(("hours", _("%(v)s is not a number.") % {"v": value["hours"]}))
        errors.extend((number, f, m) for f, m in row_errors)
        if not row_errors:
            parsed.append(
                (
                    number,
                    {
                        "resource": resource,
                        "project": project,
                        "task": task,
                        "role": role,
                        "entry_date": entry_date,
                        "hours": hours,
                        "description": value.get("description", "")[:300],
                        "external_description": value.get("external_description", "")[:300],
                    },
                )
            )
    if not parsed and not errors:
        raise ImportRefused([(0, "file", _("The file has no rows to import."))])

    # Business rules per row, counting earlier rows of the file for the 24-hour day.
    earlier: dict[tuple[int, dt.date], Decimal] = defaultdict(lambda: ZERO)
    for number, spec in parsed:
        try:
            validate_time_entry(
                resource=spec["resource"],
                project=spec["project"],
                task=spec["task"],
                role=spec["role"],
                entry_date=spec["entry_date"],
                hours=spec["hours"],
                today=today,
                extra_hours_that_day=earlier[(spec["resource"].pk, spec["entry_date"])],
            )
        except ValidationError as exc:
            errors.extend(
                (number, f, m) for f, messages in exc.message_dict.items() for m in messages
            )
        else:
            earlier[(spec["resource"].pk, spec["entry_date"])] += spec["hours"]
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: e[0]))

    with transaction.atomic():
        return [
            _create_time_entry(**spec, created_at=stamp, today=today, created_by=created_by)
            for _n, spec in parsed
        ]
