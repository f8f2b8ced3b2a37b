"""Ids and numbers in request bodies are read strictly (security issue: ``project: 1.5`` was
project 1, Arabic-Indic digits were hours): ``contracts.serializers.common``'s strict fields."""

import datetime as dt

import pytest

from actuals.models import TimeEntry

DAY = dt.date(2026, 3, 2)


def post_entry(api_client, world, **changes):
    api_client.force_authenticate(world.resource.user)
    body = {
        "project": world.project.pk,
        "role": world.role.pk,
        "entry_date": DAY.isoformat(),
        "hours": "8.00",
        "description": "Build",
        **changes,
    }
    return api_client.post("/api/v1/time-entries/", body, format="json")


@pytest.mark.parametrize("project", [1.5, 1.0, "1.5", "1e0", True])
def test_an_id_that_is_not_a_whole_number_is_a_400_naming_the_field(world, api_client, project):
    if isinstance(project, float):  # beside the real id, so only the fraction is wrong
        project = world.project.pk + (project - 1)
    response = post_entry(api_client, world, project=project)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "project": ["A whole number is required (no fraction, exponent or true/false)."]
    }
    assert TimeEntry.objects.count() == 0


def test_an_id_as_a_string_of_digits_is_still_read(world, api_client):
    response = post_entry(api_client, world, project=str(world.project.pk))

    assert response.status_code == 201, response.json()
    assert TimeEntry.objects.get().project_id == world.project.pk


@pytest.mark.parametrize("hours", ["٣", "٨.٥", "３", "8.٥"])
def test_hours_in_other_digits_than_0_9_are_a_400_naming_the_field(world, api_client, hours):
    response = post_entry(api_client, world, hours=hours)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "hours: Use the digits 0-9.",
        "errors": {"hours": ["Use the digits 0-9."]},
    }
    assert TimeEntry.objects.count() == 0


def test_an_id_in_arabic_indic_digits_is_a_400(world, api_client):
    arabic = str(world.project.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))

    response = post_entry(api_client, world, project=arabic)

    assert response.status_code == 400
    assert response.json()["errors"] == {"project": ["Use the digits 0-9."]}
