"""Time and expense entries are dated within the fiscal calendar of the project's legal entity
(contracts.fiscal_calendar), on every way in: the API, My week and the CSV import. The
existing rule stays: at most FUTURE_ENTRY_DAYS ahead."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from actuals import services
from actuals.models import ExpenseEntry, TimeEntry
from contracts.numbers import show_date
from ledger.services import create_fiscal_year
from tests.actuals.conftest import AT
from tests.factories import ExpenseCategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def calendar(world):
    """Fiscal years from last year to this one: the calendar around today."""
    this_year = timezone.localdate().year
    for year in (this_year - 1, this_year):
        create_fiscal_year(legal_entity=world.project.legal_entity, year=year)
    return dt.date(this_year - 1, 1, 1), dt.date(this_year, 12, 31)


def outside(calendar) -> str:
    first, last = calendar
    return f"Date must fall within the fiscal calendar: {show_date(first)} – {show_date(last)}."


def time_payload(world, day: str) -> dict:
    return {"project": world.project.pk, "role": world.role.pk, "entry_date": day, "hours": "8"}


def test_the_api_refuses_time_dated_before_the_calendar(world, api_client, calendar):
    api_client.force_authenticate(world.resource.user)

    response = api_client.post(
        "/api/v1/time-entries/", time_payload(world, "0001-01-01"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"entry_date": [outside(calendar)]}
    assert TimeEntry.objects.count() == 0


def test_the_api_refuses_time_dated_9999_12_31(world, api_client, calendar):
    """Far ahead, the older rule (FUTURE_ENTRY_DAYS) already says why."""
    api_client.force_authenticate(world.resource.user)

    response = api_client.post(
        "/api/v1/time-entries/", time_payload(world, "9999-12-31"), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["entry_date"]
    assert TimeEntry.objects.count() == 0


def test_the_api_still_takes_time_dated_within_the_calendar(world, api_client, calendar):
    api_client.force_authenticate(world.resource.user)
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    response = api_client.post(
        "/api/v1/time-entries/", time_payload(world, yesterday.isoformat()), format="json"
    )

    assert response.status_code == 201, response.json()
    assert list(TimeEntry.objects.values_list("entry_date", flat=True)) == [yesterday]


def test_the_api_refuses_an_expense_dated_before_the_calendar(world, api_client, calendar):
    api_client.force_authenticate(world.resource.user)

    response = api_client.post(
        "/api/v1/expense-entries/",
        {
            "project": world.project.pk,
            "category": ExpenseCategoryFactory().pk,
            "entry_date": "0001-01-01",
            "amount": "12.50",
            "currency": "EUR",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"entry_date": [outside(calendar)]}
    assert ExpenseEntry.objects.count() == 0


def test_editing_an_entry_to_a_date_outside_the_calendar_is_refused(world, calendar):
    first, _last = calendar
    entry = world.entry(day=first, submit=False)

    with pytest.raises(ValidationError) as refused:
        services.update_time_entry(
            entry=entry,
            by=world.resource.user,
            project=world.project,
            role=world.role,
            hours=entry.hours,
            today=first,
            entry_date=first - dt.timedelta(days=1),
        )

    assert refused.value.message_dict == {"entry_date": [outside(calendar)]}
    entry.refresh_from_db()
    assert entry.entry_date == first


def test_the_import_refuses_a_file_with_a_row_outside_the_calendar(world, calendar):
    u, p, r = world.resource.user.username, world.project.code, world.role.code
    text = (
        "resource,project,task,role,date,hours,description,external_description\n"
        f"{u},{p},,{r},{calendar[0].isoformat()},8,Build,\n"
        f"{u},{p},,{r},0001-01-01,8,Build,\n"
    )

    with pytest.raises(ValidationError) as refused:
        services.import_time_entries(
            resource_lookup=lambda name: world.resource if name == u else None,
            file=SimpleUploadedFile("hours.csv", text.encode()),
            created_by=world.resource.user,
            today=calendar[0],
            created_at=AT,
        )

    assert refused.value.message_dict == {"file": [f"row 3, entry_date: {outside(calendar)}"]}
    assert TimeEntry.objects.count() == 0


def test_without_a_fiscal_year_only_the_sane_range_holds(world):
    with pytest.raises(ValidationError) as refused:
        world.entry(day=dt.date(1, 1, 1), submit=False)

    assert refused.value.message_dict == {
        "entry_date": ["Date must fall within the fiscal calendar: 1900-01-01 – 2999-12-31."]
    }
    assert TimeEntry.objects.count() == 0


def test_my_week_refuses_hours_on_a_week_outside_the_calendar(world, client, calendar):
    client.force_login(world.resource.user)
    monday = calendar[0] - dt.timedelta(days=7 + calendar[0].weekday())
    data = {
        "week": monday.isoformat(),
        "action": "save",
        "row-TOTAL_FORMS": "1",
        "row-INITIAL_FORMS": "1",
        "row-MIN_NUM_FORMS": "0",
        "row-MAX_NUM_FORMS": "1000",
        "row-0-project": str(world.project.pk),
        "row-0-role": str(world.role.pk),
        "row-0-d0": "8",
    }

    response = client.post(f"/time/week/?week={monday.isoformat()}", data)

    assert response.status_code == 400
    assert outside(calendar) in response.content.decode()
    assert TimeEntry.objects.count() == 0


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01"])
def test_my_week_of_an_absurd_date_shows_this_week(world, client, week):
    """The week of 9999-12-31 has no next week: the page shows today's week instead."""
    client.force_login(world.resource.user)
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())

    response = client.get(f"/time/week/?week={week}")

    assert response.status_code == 200
    assert f"?week={(monday + dt.timedelta(days=7)).isoformat()}" in response.content.decode()
