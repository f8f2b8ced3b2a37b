"""Invoice schedules generated from a frequency; each cut-off is the day before its run date."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from contracts.models import BillingMethod, ContractLine, InvoiceScheduleEntry, ScheduleFrequency
from contracts.services import generate_invoice_schedule, schedule_dates

D = dt.date


@pytest.mark.parametrize(
    "frequency, kwargs, expected",
    [
        (
            ScheduleFrequency.WEEKLY,
            {"day": 0},
            [D(2026, 1, 5), D(2026, 1, 12), D(2026, 1, 19), D(2026, 1, 26), D(2026, 2, 2)],
        ),
        (ScheduleFrequency.BIWEEKLY, {"day": 4}, [D(2026, 1, 2), D(2026, 1, 16), D(2026, 1, 30)]),
        (ScheduleFrequency.MONTHLY, {"day": 31}, [D(2026, 1, 31)]),
        (
            ScheduleFrequency.TIMES_A_MONTH,
            {"times_per_month": 2},
            [D(2026, 1, 1), D(2026, 1, 16), D(2026, 2, 1)],
        ),
    ],
)
def test_schedule_dates_by_frequency(frequency, kwargs, expected):
    assert (
        schedule_dates(
            frequency=frequency, start_date=D(2026, 1, 1), end_date=D(2026, 2, 4), **kwargs
        )
        == expected
    )


def test_monthly_on_the_31st_falls_on_the_last_day_of_short_months():
    dates = schedule_dates(
        frequency=ScheduleFrequency.MONTHLY,
        start_date=D(2026, 1, 1),
        end_date=D(2026, 4, 30),
        day=31,
    )
    assert dates == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30)]


def test_four_times_a_month_in_february():
    dates = schedule_dates(
        frequency=ScheduleFrequency.TIMES_A_MONTH,
        start_date=D(2026, 2, 1),
        end_date=D(2026, 2, 28),
        times_per_month=4,
    )
    assert dates == [D(2026, 2, 1), D(2026, 2, 8), D(2026, 2, 15), D(2026, 2, 22)]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"frequency": "yearly"}, "frequency"),
        ({"frequency": ScheduleFrequency.WEEKLY, "day": 7}, "day"),
        ({"frequency": ScheduleFrequency.MONTHLY, "day": 0}, "day"),
        ({"frequency": ScheduleFrequency.TIMES_A_MONTH, "times_per_month": 1}, "times_per_month"),
    ],
)
def test_bad_frequency_settings_name_their_field(kwargs, field):
    with pytest.raises(ValidationError) as excinfo:
        schedule_dates(start_date=D(2026, 1, 1), end_date=D(2026, 3, 1), **kwargs)
    assert list(excinfo.value.message_dict) == [field]


@pytest.fixture
def tm_line(db):
    from contracts.models import Contract
    from tests.factories import LegalEntityFactory, UserFactory

    contract = Contract.objects.create(
        number="C-1",
        name="T&M",
        legal_entity=LegalEntityFactory(),
        project_manager=UserFactory(),
        currency="EUR",
        start_date=D(2026, 1, 1),
    )
    return ContractLine.objects.create(
        contract=contract, name="Work", billing_method=BillingMethod.TIME_AND_MATERIAL
    )


def test_generating_a_two_weekly_schedule_writes_rows_with_cut_off_the_day_before(tm_line):
    created = generate_invoice_schedule(
        line=tm_line,
        frequency=ScheduleFrequency.BIWEEKLY,
        start_date=D(2026, 3, 2),
        end_date=D(2026, 4, 15),
    )

    rows = list(
        InvoiceScheduleEntry.objects.filter(line=tm_line)
        .order_by("run_date")
        .values_list("run_date", "cut_off_date", "status")
    )
    assert len(created) == 4
    assert rows == [
        (D(2026, 3, 2), D(2026, 3, 1), "pending"),
        (D(2026, 3, 16), D(2026, 3, 15), "pending"),
        (D(2026, 3, 30), D(2026, 3, 29), "pending"),
        (D(2026, 4, 13), D(2026, 4, 12), "pending"),
    ]


def test_generating_again_adds_only_new_dates(tm_line):
    generate_invoice_schedule(
        line=tm_line,
        frequency=ScheduleFrequency.MONTHLY,
        start_date=D(2026, 1, 1),
        end_date=D(2026, 3, 31),
    )
    again = generate_invoice_schedule(
        line=tm_line,
        frequency=ScheduleFrequency.MONTHLY,
        start_date=D(2026, 1, 1),
        end_date=D(2026, 5, 31),
    )
    assert [e.run_date for e in again] == [D(2026, 4, 1), D(2026, 5, 1)]
    assert InvoiceScheduleEntry.objects.filter(line=tm_line).count() == 5


def test_a_fixed_price_line_has_no_invoice_schedule(tm_line):
    tm_line.billing_method = BillingMethod.FIXED_PRICE
    tm_line.save()
    with pytest.raises(ValidationError) as excinfo:
        generate_invoice_schedule(
            line=tm_line,
            frequency=ScheduleFrequency.WEEKLY,
            start_date=D(2026, 1, 1),
            end_date=D(2026, 2, 1),
        )
    assert excinfo.value.message_dict == {
        "line": ["Only a time-and-material line has an invoice schedule."]
    }
    assert InvoiceScheduleEntry.objects.count() == 0


def test_the_database_keeps_cut_off_the_day_before_the_run_date(tm_line):
    with pytest.raises(IntegrityError, match="schedule_cut_off_day_before"), transaction.atomic():
        InvoiceScheduleEntry.objects.create(
            line=tm_line, run_date=D(2026, 5, 1), cut_off_date=D(2026, 5, 1)
        )
