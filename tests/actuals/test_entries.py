"""Entry validation and lifecycle: each refusal names the field and changes nothing."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from actuals import services
from actuals.models import EntryStatus, ExpenseEntry, TimeEntry
from tests.actuals.conftest import AT, DAY, TODAY
from tests.factories import ExpenseCategoryFactory, TaskFactory

D = Decimal
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def create(world, **kw):
    args = {
        "resource": world.resource,
        "project": world.project,
        "role": world.role,
        "entry_date": DAY,
        "hours": D("8"),
        "created_at": AT,
        "today": TODAY,
    }
    args.update(kw)
    return services.create_time_entry(**args)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hours": D("0")}, "hours", "Hours must be more than 0."),
        ({"hours": D("-1")}, "hours", "Hours must be more than 0."),
        ({"role": None}, "role", "Choose a role."),
        (
            {"entry_date": TODAY + dt.timedelta(days=8)},
            "entry_date",
            "The date may be at most 7 days ahead (until 2026-03-13).",
        ),
    ],
)
def test_invalid_time_entry_is_refused_naming_the_field(world, changes, field, message):
    with pytest.raises(ValidationError) as exc:
        create(world, **changes)
    assert exc.value.message_dict == {field: [message]}
    assert TimeEntry.objects.count() == 0


def test_a_date_exactly_at_the_future_limit_is_accepted(world):
    entry = create(world, entry_date=TODAY + dt.timedelta(days=7))
    assert entry.status == EntryStatus.DRAFT


def test_more_than_24_hours_a_day_is_refused_but_returned_entries_do_not_count(world):
    first = create(world, hours=D("16"))
    world.entry("8", submit=False)

    with pytest.raises(ValidationError) as exc:
        create(world, hours=D("0.5"))
    assert list(exc.value.message_dict) == ["hours"]
    assert "would have 24.50 hours on 2026-03-02" in exc.value.message_dict["hours"][0]
    assert TimeEntry.objects.count() == 2

    services.submit_entry(entry=first, by=world.resource.user, submitted_at=AT, today=TODAY)
    services.return_entry(
        entry=first, comment="Split it", returned_by=world.manager, returned_at=AT
    )
    third = create(world, hours=D("16"))
    assert third.hours == D("16")
    # The returned entry is counted again when it is resubmitted.
    with pytest.raises(ValidationError) as exc:
        services.submit_entry(entry=first, by=world.resource.user, submitted_at=AT, today=TODAY)
    assert list(exc.value.message_dict) == ["hours"]
    first.refresh_from_db()
    assert first.status == EntryStatus.RETURNED


def test_task_of_another_project_is_refused(world):
    other = TaskFactory()
    with pytest.raises(ValidationError) as exc:
        create(world, task=other)
    assert list(exc.value.message_dict) == ["task"]


def test_lifecycle_submit_recall_return_resubmit(world):
    entry = create(world)
    author = world.resource.user

    entry = services.submit_entry(entry=entry, by=author, submitted_at=AT, today=TODAY)
    assert (entry.status, entry.submitted_at) == (EntryStatus.SUBMITTED, AT)
    with pytest.raises(services.NotAuthorError):
        services.recall_entry(entry=entry, by=world.manager)
    entry = services.recall_entry(entry=entry, by=author)
    assert (entry.status, entry.submitted_at) == (EntryStatus.DRAFT, None)
    entry = services.submit_entry(entry=entry, by=author, submitted_at=AT, today=TODAY)
    with pytest.raises(ValidationError) as exc:
        services.return_entry(entry=entry, comment=" ", returned_by=world.manager, returned_at=AT)
    assert list(exc.value.message_dict) == ["comment"]
    entry = services.return_entry(
        entry=entry, comment="Wrong task", returned_by=world.manager, returned_at=AT
    )
    assert (entry.status, entry.return_comment, entry.returned_by) == (
        EntryStatus.RETURNED,
        "Wrong task",
        world.manager,
    )
    entry = services.update_time_entry(
        entry=entry,
        by=author,
        project=world.project,
        role=world.role,
        entry_date=DAY,
        hours=D("7.5"),
        today=TODAY,
    )
    assert entry.hours == D("7.5")
    entry = services.submit_entry(entry=entry, by=author, submitted_at=AT, today=TODAY)
    assert entry.status == EntryStatus.SUBMITTED
    with pytest.raises(services.EntryStateError, match="only draft or returned entries"):
        services.update_time_entry(
            entry=entry,
            by=author,
            project=world.project,
            role=world.role,
            entry_date=DAY,
            hours=D("1"),
            today=TODAY,
        )
    with pytest.raises(services.EntryStateError):
        services.delete_entry(entry=entry, by=author)
    entry.refresh_from_db()
    assert entry.hours == D("7.5")


def test_delete_a_draft(world):
    entry = create(world)
    services.delete_entry(entry=entry, by=world.resource.user)
    assert TimeEntry.objects.count() == 0


def expense(world, **kw):
    args = {
        "resource": world.resource,
        "project": world.project,
        "category": ExpenseCategoryFactory(),
        "entry_date": DAY,
        "amount": D("42.50"),
        "currency": "EUR",
        "created_at": AT,
        "today": TODAY,
    }
    args.update(kw)
    return services.create_expense_entry(**args)


@pytest.mark.django_db
@override_settings(MEDIA_ROOT="/tmp/test_actuals_media")
def test_expense_with_a_pdf_receipt_is_stored(world):
    entry = expense(world, receipt=SimpleUploadedFile("ticket.pdf", PDF))
    assert entry.receipt.name.startswith(f"receipts/{world.resource.pk}/ticket")
    assert entry.receipt.read() == PDF


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "notes.txt",
            b"hello",
            "A receipt must be a PDF, PNG or JPEG file; this file is none of those.",
        ),
        (
            "fake.pdf",
            b"MZ\x90\x00 not a pdf",
            "A receipt must be a PDF, PNG or JPEG file; this file is none of those.",
        ),
        ("image.pdf", PNG, "The file's name does not match its content (a PNG file)."),
    ],
)
def test_a_receipt_that_is_not_pdf_png_or_jpeg_is_refused(world, name, content, message):
    with pytest.raises(ValidationError) as exc:
        expense(world, receipt=SimpleUploadedFile(name, content))
    assert exc.value.message_dict == {"receipt": [message]}
    assert ExpenseEntry.objects.count() == 0


@override_settings(RECEIPT_MAX_BYTES=100)
def test_a_receipt_too_large_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        expense(world, receipt=SimpleUploadedFile("big.pdf", PDF + b"\0" * 200))
    assert exc.value.message_dict == {
        "receipt": ["The receipt is 235 bytes; at most 100 bytes are allowed."]
    }
    assert ExpenseEntry.objects.count() == 0


def test_expense_missing_category_and_bad_amount(world):
    with pytest.raises(ValidationError) as exc:
        expense(world, category=None, amount=D("0"), currency="XXY")
    assert set(exc.value.message_dict) == {"category", "amount", "currency"}
    assert ExpenseEntry.objects.count() == 0


def test_receipt_sniffing_reads_only_the_start():
    from actuals.receipts import sniff_receipt_type

    assert sniff_receipt_type(io.BytesIO(PDF).read(16)) == "PDF"
    assert sniff_receipt_type(b"\xff\xd8\xff\xe0") == "JPEG"
    assert sniff_receipt_type(b"GIF89a") is None
