"""CSV / XLSX import of time entries: refused whole with row numbers, or imported whole."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from actuals import services
from actuals.models import EntryStatus, TimeEntry
from tests.actuals.conftest import AT, TODAY

HEADER = "resource,project,task,role,date,hours,description,external_description\n"


def lookup_for(world):
    return lambda username: world.resource if username == world.resource.user.username else None


def run(world, text, name="hours.csv"):
    return services.import_time_entries(
        resource_lookup=lookup_for(world),
        file=SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text),
        created_by=world.resource.user,
        today=TODAY,
        created_at=AT,
    )


def test_a_good_file_is_imported_as_drafts(world):
    u, p, r = world.resource.user.username, world.project.code, world.role.code
    entries = run(
        world,
        HEADER
        + f"{u},{p},,{r},2026-03-02,7.5,Build,Development\n"
        + f'{u},{p},,{r},2026-03-03,"8,25",Test,\n',
    )

    assert [(e.entry_date.isoformat(), e.hours, e.status) for e in entries] == [
        ("2026-03-02", Decimal("7.50"), EntryStatus.DRAFT),
        ("2026-03-03", Decimal("8.25"), EntryStatus.DRAFT),
    ]
    assert TimeEntry.objects.count() == 2
    assert entries[0].external_description == "Development"
    assert entries[0].created_by == world.resource.user


def test_a_bad_file_is_refused_whole_with_row_numbers(world):
    u, p, r = world.resource.user.username, world.project.code, world.role.code
    text = (
        HEADER
        + f"{u},{p},,{r},2026-03-02,8,ok,\n"
        + f"{u},{p},,{r},02-03-2026,8,bad date,\n"
        + f"{u},NOPE,,{r},2026-03-02,8,unknown project,\n"
        + f"{u},{p},,{r},2026-03-02,17,too many hours that day,\n"
        + f"someone,{p},,{r},2026-03-02,1,not me,\n"
    )

    with pytest.raises(services.ImportRefused) as exc:
        run(world, text)

    assert exc.value.row_errors == [
        (3, "date", "02-03-2026 is not a date in the form YYYY-MM-DD."),
        (4, "project", "unknown project NOPE."),
        (
            5,
            "hours",
            f"{world.resource} would have 25 hours on 2026-03-02; at most 24 hours a day can be booked.",
        ),
        (6, "resource", "unknown user someone."),
    ]
    assert exc.value.message_dict["file"][0] == (
        "row 3, date: 02-03-2026 is not a date in the form YYYY-MM-DD."
    )
    assert TimeEntry.objects.count() == 0


def test_a_missing_column_is_named(world):
    with pytest.raises(services.ImportRefused) as exc:
        run(world, "resource,project,role,hours\nx,y,z,1\n")
    assert exc.value.row_errors == [(1, "date", "the column date is missing.")]
    assert TimeEntry.objects.count() == 0


def test_xlsx_is_imported_too(world):
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Resource", "Project", "Role", "Date", "Hours"])
    ws.append(
        [
            world.resource.user.username,
            world.project.code,
            world.role.code,
            dt.date(2026, 3, 4),
            6.5,
        ]
    )
    buf = io.BytesIO()
    wb.save(buf)

    entries = run(world, buf.getvalue(), name="hours.xlsx")

    assert [(e.entry_date, e.hours) for e in entries] == [(dt.date(2026, 3, 4), Decimal("6.50"))]


def test_hours_in_other_digits_than_0_9_or_not_finite_are_refused(world):
    u, p, r = world.resource.user.username, world.project.code, world.role.code
    text = (
        HEADER + f"{u},{p},,{r},2026-03-02,٨,Arabic-Indic,\n" + f"{u},{p},,{r},2026-03-03,NaN,,\n"
    )

    with pytest.raises(services.ImportRefused) as exc:
        run(world, text)

    assert exc.value.row_errors == [
        (2, "hours", "Use the digits 0-9."),
        (3, "hours", "NaN is not a number."),
    ]
    assert TimeEntry.objects.count() == 0
