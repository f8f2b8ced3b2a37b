"""The time-entry, expense-entry and actuals API (API.md)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from actuals import services
from actuals.models import Actual, EntryStatus, TimeEntry
from tests.actuals.conftest import AT, make_contract
from tests.factories import ProjectFactory


@pytest.fixture
def today_entry_date():
    return timezone.localdate() - dt.timedelta(days=1)


def test_happy_path_create_submit_approve_then_409_on_second_approval(
    world, api_client, today_entry_date
):
    make_contract(project=world.project, manager=world.manager)
    api_client.force_authenticate(world.resource.user)

    created = api_client.post(
        "/api/v1/time-entries/",
        {
            "project": world.project.pk,
            "role": world.role.pk,
            "entry_date": today_entry_date.isoformat(),
            "hours": "8.00",
            "description": "Build",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    entry_id = created.json()["id"]
    assert created.json()["status"] == "draft"

    submitted = api_client.post(f"/api/v1/time-entries/{entry_id}/submit/")
    assert (submitted.status_code, submitted.json()["status"]) == (200, "submitted")

    # The author may not approve (no permission): 403.
    assert api_client.post(f"/api/v1/time-entries/{entry_id}/approve/").status_code == 403

    api_client.force_authenticate(world.manager)
    approved = api_client.post(
        f"/api/v1/time-entries/{entry_id}/approve/", {"billable_quantity": "6"}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["entry"]["status"] == "approved"
    assert [
        (a["actual_type"], a["billing_type"], a["quantity"], a["amount"]) for a in body["actuals"]
    ] == [
        ("cost", "chargeable", "8.00", "800.00"),
        ("unbilled_sales", "chargeable", "6.00", "1200.00"),
        ("unbilled_sales", "non_chargeable", "2.00", "400.00"),
    ]

    again = api_client.post(f"/api/v1/time-entries/{entry_id}/approve/")
    assert again.status_code == 409
    assert "only a submitted entry can be approved" in again.json()["detail"]
    assert Actual.objects.count() == 3

    actuals = api_client.get(
        "/api/v1/actuals/", {"type": "unbilled_sales", "project": world.project.pk}
    )
    assert actuals.status_code == 200
    assert [a["amount"] for a in actuals.json()["results"]] == ["1200.00", "400.00"]
    by_class = api_client.get("/api/v1/actuals/", {"class": "expense"})
    assert by_class.json()["count"] == 0

    cancelled = api_client.post(
        f"/api/v1/time-entries/{entry_id}/cancel-approval/", {"reason": "Oops"}, format="json"
    )
    assert cancelled.status_code == 200
    assert [r["amount"] for r in cancelled.json()["reversals"]] == [
        "-800.00",
        "-1200.00",
        "-400.00",
    ]
    assert cancelled.json()["entry"]["status"] == "returned"


def test_validation_error_is_400_naming_the_field(world, api_client, today_entry_date):
    api_client.force_authenticate(world.resource.user)
    response = api_client.post(
        "/api/v1/time-entries/",
        {
            "project": world.project.pk,
            "role": world.role.pk,
            "entry_date": today_entry_date.isoformat(),
            "hours": "0",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"hours": ["Hours must be more than 0."]}
    assert TimeEntry.objects.count() == 0


def test_return_needs_a_comment_and_other_managers_get_404(
    world, api_client, other_project_manager
):
    entry = world.entry("4")
    api_client.force_authenticate(other_project_manager)
    assert (
        api_client.post(f"/api/v1/time-entries/{entry.pk}/return/", {"comment": "x"}).status_code
        == 404
    )
    assert api_client.get(f"/api/v1/time-entries/{entry.pk}/").status_code == 404

    api_client.force_authenticate(world.manager)
    assert api_client.post(f"/api/v1/time-entries/{entry.pk}/return/", {}).status_code == 400
    returned = api_client.post(
        f"/api/v1/time-entries/{entry.pk}/return/", {"comment": "Wrong task"}, format="json"
    )
    assert (returned.status_code, returned.json()["return_comment"]) == (200, "Wrong task")


def test_team_member_sees_only_own_entries_and_cannot_list_actuals(world, api_client):
    entry = world.entry("4", submit=False)
    other = ProjectFactory()
    api_client.force_authenticate(world.resource.user)
    listed = api_client.get("/api/v1/time-entries/")
    assert [e["id"] for e in listed.json()["results"]] == [entry.pk]
    assert api_client.get("/api/v1/actuals/").status_code == 403
    patched = api_client.patch(f"/api/v1/time-entries/{entry.pk}/", {"hours": "5.5"}, format="json")
    assert (patched.status_code, patched.json()["hours"]) == (200, "5.50")
    assert other.pk  # another project exists but is not the team member's business


def test_editing_a_submitted_entry_is_409_and_deleting_a_draft_works(world, api_client):
    submitted = world.entry("4")
    draft = world.entry("2", submit=False)
    api_client.force_authenticate(world.resource.user)
    response = api_client.patch(
        f"/api/v1/time-entries/{submitted.pk}/", {"hours": "5"}, format="json"
    )
    assert response.status_code == 409
    recalled = api_client.post(f"/api/v1/time-entries/{submitted.pk}/recall/")
    assert recalled.json()["status"] == "draft"
    assert api_client.delete(f"/api/v1/time-entries/{draft.pk}/").status_code == 204
    assert list(TimeEntry.objects.values_list("pk", flat=True)) == [submitted.pk]


def test_accountant_reads_all_actuals_but_cannot_approve(world, api_client, accountant):
    make_contract(project=world.project, manager=world.manager)
    entry = world.entry("8")
    api_client.force_authenticate(accountant)
    assert api_client.post(f"/api/v1/time-entries/{entry.pk}/approve/").status_code == 403
    services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)
    response = api_client.get("/api/v1/actuals/", {"billing_status": "not_ready"})
    assert [a["amount"] for a in response.json()["results"]] == ["1600.00"]


def test_import_endpoint_refuses_bad_file_with_rows_and_accepts_good(world, api_client):
    api_client.force_authenticate(world.resource.user)
    u, p, r = world.resource.user.username, world.project.code, world.role.code
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    bad = SimpleUploadedFile(
        "h.csv", f"resource,project,role,date,hours\n{u},{p},{r},yesterday,8\n".encode()
    )
    response = api_client.post("/api/v1/time-entries/import/", {"file": bad}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "file": ["row 2, date: yesterday is not a date in the form YYYY-MM-DD."]
    }
    good = SimpleUploadedFile(
        "h.csv", f"resource,project,role,date,hours\n{u},{p},{r},{day},8\n".encode()
    )
    response = api_client.post("/api/v1/time-entries/import/", {"file": good}, format="multipart")
    assert response.status_code == 201
    assert response.json()["created"] == 1
    assert TimeEntry.objects.get().hours == Decimal("8.00")


def test_expense_entry_with_receipt_over_the_api(world, api_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from tests.factories import ExpenseCategoryFactory

    category = ExpenseCategoryFactory()
    api_client.force_authenticate(world.resource.user)
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    payload = {
        "project": world.project.pk,
        "category": category.pk,
        "entry_date": day,
        "amount": "12.50",
        "currency": "EUR",
    }
    bad = api_client.post(
        "/api/v1/expense-entries/",
        {**payload, "receipt": SimpleUploadedFile("r.pdf", b"not a pdf")},
        format="multipart",
    )
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["receipt"]
    good = api_client.post(
        "/api/v1/expense-entries/",
        {**payload, "receipt": SimpleUploadedFile("r.pdf", b"%PDF-1.4 receipt")},
        format="multipart",
    )
    assert good.status_code == 201, good.json()
    assert good.json()["status"] == EntryStatus.DRAFT
