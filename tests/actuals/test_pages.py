"""The portal pages load for their roles and refuse (403 / 404) otherwise."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from actuals import queries, services
from actuals.models import Actual, EntryStatus, ExpenseEntry, TimeEntry
from tests.actuals.conftest import AT, make_contract
from tests.factories import ExpenseCategoryFactory, TaskFactory


def monday() -> dt.date:
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday())


def grid_post(world, week: dt.date, rows: list[dict], action: str = "save") -> dict:
    data = {
        "week": week.isoformat(),
        "action": action,
        "row-TOTAL_FORMS": str(len(rows)),
        "row-INITIAL_FORMS": str(len(rows)),
        "row-MIN_NUM_FORMS": "0",
        "row-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"row-{i}-{key}"] = value
    return data


def test_my_week_saves_and_submits_a_week(world, client):
    client.force_login(world.resource.user)
    week = monday()
    url = f"/time/week/?week={week.isoformat()}"
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        grid_post(
            world,
            week,
            [{"project": world.project.pk, "role": world.role.pk, "d0": "8", "d1": "7.5"}],
        ),
    )
    assert response.status_code == 302
    assert sorted(TimeEntry.objects.values_list("entry_date", "hours")) == [
        (week, Decimal("8.00")),
        (week + dt.timedelta(days=1), Decimal("7.50")),
    ]

    page = client.get(url)
    assert page.status_code == 200
    assert b'value="7.50"' in page.content

    # Change Monday, clear Tuesday, submit the week.
    response = client.post(
        url,
        grid_post(
            world,
            week,
            [{"project": world.project.pk, "role": world.role.pk, "d0": "6", "d1": ""}],
            action="submit",
        ),
    )
    assert response.status_code == 302
    assert list(TimeEntry.objects.values_list("entry_date", "hours", "status")) == [
        (week, Decimal("6.00"), EntryStatus.SUBMITTED)
    ]


def test_my_week_reads_hours_in_the_language_of_the_page(world, client):
    """Dutch 7,5 is seven and a half hours (it once became 75); Dutch 7.5 is refused, whole."""
    client.force_login(world.resource.user)
    client.cookies["django_language"] = "nl"
    week = monday()
    url = f"/time/week/?week={week.isoformat()}"
    row = {"project": world.project.pk, "role": world.role.pk}

    saved = client.post(url, grid_post(world, week, [{**row, "d0": "7,5", "d1": "1,25"}]))
    assert saved.status_code == 302
    assert sorted(TimeEntry.objects.values_list("entry_date", "hours")) == [
        (week, Decimal("7.50")),
        (week + dt.timedelta(days=1), Decimal("1.25")),
    ]
    page = client.get(url).content.decode()
    assert 'value="7,50"' in page and 'inputmode="decimal"' in page

    refused = client.post(url, grid_post(world, week, [{**row, "d0": "7.5", "d1": "1.500"}]))
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Gebruik “,” voor decimalen: 7,5." in text
    assert "“1.500” kan op twee manieren gelezen worden: schrijf 1500 of 1,500." in text
    assert sorted(TimeEntry.objects.values_list("entry_date", "hours")) == [
        (week, Decimal("7.50")),
        (week + dt.timedelta(days=1), Decimal("1.25")),
    ]

    client.cookies["django_language"] = "en"
    english = client.post(url, grid_post(world, week, [{**row, "d0": "7,5"}]))
    assert english.status_code == 400
    assert "Use “.” for decimals: 7.5." in english.content.decode()
    assert TimeEntry.objects.get(entry_date=week).hours == Decimal("7.50")


def test_my_week_rows_carry_a_description_that_becomes_the_actuals_text(world, client):
    client.force_login(world.resource.user)
    week = monday()
    url = f"/time/week/?week={week.isoformat()}"
    row = {"project": world.project.pk, "role": world.role.pk}

    response = client.post(
        url,
        grid_post(
            world,
            week,
            [
                {**row, "description": "Data migration", "d0": "6"},
                {**row, "description": "Workshop", "d0": "2", "d1": "4"},
            ],
        ),
    )

    assert response.status_code == 302
    assert sorted(TimeEntry.objects.values_list("description", "entry_date", "hours")) == [
        ("Data migration", week, Decimal("6.00")),
        ("Workshop", week, Decimal("2.00")),
        ("Workshop", week + dt.timedelta(days=1), Decimal("4.00")),
    ]
    page = client.get(url).content.decode()
    assert page.count('name="row-0-description"') == 1  # a saved row keeps its text
    assert ">Data migration<" in page and ">Workshop<" in page
    make_contract(project=world.project, manager=world.manager)
    entry = TimeEntry.objects.get(description="Data migration")
    services.submit_entry(entry=entry, by=world.resource.user, submitted_at=AT, today=week)
    services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)
    texts = set(Actual.objects.filter(time_entry=entry).values_list("description", flat=True))
    assert texts == {"Data migration"}


def test_saving_the_week_again_never_books_a_row_twice(world, client):
    """An entry whose description has a line break (from the API or an import) is the row it
    shows as: saving the page unchanged books nothing new."""
    client.force_login(world.resource.user)
    week = monday()
    services.create_time_entry(
        resource=world.resource,
        project=world.project,
        role=world.role,
        entry_date=week,
        hours=Decimal("3"),
        description="fix\nlogin ",
        created_at=AT,
        today=week,
    )
    url = f"/time/week/?week={week.isoformat()}"
    row = {"project": world.project.pk, "role": world.role.pk, "description": "fix login"}

    response = client.post(url, grid_post(world, week, [{**row, "d0": "3"}]))

    assert response.status_code == 302
    assert list(TimeEntry.objects.values_list("hours", flat=True)) == [Decimal("3.00")]


def test_my_week_copies_last_weeks_rows_without_hours(world, client):
    client.force_login(world.resource.user)
    week = monday()
    last = week - dt.timedelta(days=7)
    task = TaskFactory(project=world.project, code="MIG")
    other = TaskFactory(code="ELSE")  # another project's task
    services.create_time_entry(
        resource=world.resource,
        project=world.project,
        task=task,
        role=world.role,
        entry_date=last,
        hours=Decimal("8"),
        description="Data migration",
        created_at=AT,
        today=week,
    )

    page = client.get(f"/time/week/?week={week.isoformat()}&copy=last-week").content.decode()

    assert 'name="row-0-description" value="Data migration"' in page
    assert f'<option value="{task.pk}" selected data-project="{world.project.pk}">' in page
    assert f'data-project="{other.project_id}"' in page  # hidden by the script for this row
    assert 'name="row-0-d0"' in page and 'name="row-0-d0" value' not in page  # no hours copied
    assert TimeEntry.objects.filter(entry_date__gte=week).count() == 0


def test_my_week_refuses_a_bad_grid_whole(world, client):
    client.force_login(world.resource.user)
    week = monday()
    response = client.post(
        f"/time/week/?week={week.isoformat()}",
        grid_post(
            world,
            week,
            [
                {"project": world.project.pk, "role": world.role.pk, "d0": "16"},
                {"project": world.project.pk, "role": world.role.pk, "d0": "9", "task": ""},
            ],
        ),
    )
    # Both rows share project/role without a task: the second cell is a second entry that
    # takes the day past 24 hours, so nothing is saved.
    assert response.status_code == 400
    assert "at most 24 hours" in response.content.decode()
    assert TimeEntry.objects.count() == 0


def test_my_expenses_create_with_receipt(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    category = ExpenseCategoryFactory()
    client.force_login(world.resource.user)
    assert client.get("/time/expenses/").status_code == 200
    response = client.post(
        "/time/expenses/",
        {
            "project": world.project.pk,
            "category": category.pk,
            "entry_date": timezone.localdate().isoformat(),
            "quantity": "1",
            "amount": "19.99",
            "currency": "EUR",
            "receipt": SimpleUploadedFile("taxi.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 10),
        },
    )
    assert response.status_code == 302
    entry = ExpenseEntry.objects.get()
    assert entry.amount == Decimal("19.99")
    bad = client.post(
        "/time/expenses/",
        {
            "project": world.project.pk,
            "category": category.pk,
            "entry_date": timezone.localdate().isoformat(),
            "quantity": "1",
            "amount": "5",
            "currency": "EUR",
            "receipt": SimpleUploadedFile("taxi.png", b"GIF89a"),
        },
    )
    assert bad.status_code == 400
    assert "PDF, PNG or JPEG" in bad.content.decode()
    assert ExpenseEntry.objects.count() == 1
    assert client.get(f"/time/expenses/{entry.pk}/edit/").status_code == 200
    submit = client.post(f"/time/entries/expense/{entry.pk}/submit/")
    assert submit.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SUBMITTED


def _expense(world, category, amount):
    return services.create_expense_entry(
        resource=world.resource,
        project=world.project,
        category=category,
        entry_date=timezone.localdate(),
        amount=Decimal(amount),
        currency="EUR",
        created_at=AT,
        today=timezone.localdate(),
    )


def test_expenses_ticked_in_the_list_are_submitted_together_or_not_at_all(world, client):
    category = ExpenseCategoryFactory()
    taxi, hotel, lunch = (_expense(world, category, a) for a in ("19.99", "120.00", "12.50"))
    client.force_login(world.resource.user)
    page = client.get("/time/expenses/").content.decode()
    assert 'data-select-item="expenses"' in page and 'value="submit_selected"' in page
    assert 'data-confirm="Delete this expense? This cannot be undone."' in page

    refused = client.post(
        "/time/expenses/", {"action": "submit_selected", "ids": [taxi.pk, 999_999]}, follow=True
    ).content.decode()
    assert "Unknown expenses: 999999." in refused
    assert ExpenseEntry.objects.filter(status=EntryStatus.SUBMITTED).count() == 0

    done = client.post(
        "/time/expenses/", {"action": "submit_selected", "ids": [taxi.pk, hotel.pk]}, follow=True
    ).content.decode()

    assert "2 expenses submitted for approval." in done
    assert dict(ExpenseEntry.objects.values_list("pk", "status")) == {
        taxi.pk: EntryStatus.SUBMITTED,
        hotel.pk: EntryStatus.SUBMITTED,
        lunch.pk: EntryStatus.DRAFT,
    }


def test_returned_page_shows_the_reason(world, client):
    entry = world.entry("4")
    services.return_entry(
        entry=entry, comment="Book it on task T2", returned_by=world.manager, returned_at=AT
    )
    client.force_login(world.resource.user)
    response = client.get("/time/returned/")
    assert response.status_code == 200
    assert "Book it on task T2" in response.content.decode()


def test_approvals_page_bulk_approve_with_billable_quantity_and_return(world, client):
    make_contract(project=world.project, manager=world.manager)
    a = world.entry("8")
    b = world.entry("2", day=a.entry_date + dt.timedelta(days=1))
    client.force_login(world.manager)
    page = client.get("/time/approvals/", {"project": world.project.pk})
    assert page.status_code == 200
    assert f'value="{a.pk}"' in page.content.decode()

    response = client.post(
        "/time/approvals/",
        {"action": "approve", "time_ids": [a.pk], f"billable-time-{a.pk}": "6"},
    )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["1 entry approved."]
    assert sorted(
        Actual.objects.filter(time_entry=a, actual_type="unbilled_sales").values_list(
            "quantity", flat=True
        )
    ) == [Decimal("2.00"), Decimal("6.00")]

    refused = client.post("/time/approvals/", {"action": "return", "time_ids": [b.pk]})
    assert refused.status_code == 302
    b.refresh_from_db()
    assert b.status == EntryStatus.SUBMITTED  # no comment: nothing returned
    client.post("/time/approvals/", {"action": "return", "time_ids": [b.pk], "comment": "No"})
    b.refresh_from_db()
    assert (b.status, b.return_comment) == (EntryStatus.RETURNED, "No")


def test_approvals_page_every_entry_waiting_is_reachable_page_by_page(world, client, monkeypatch):
    """No silent cap: the entries waiting are paged (100 a page; 1 here), all reachable."""
    monkeypatch.setattr("actuals.views.approval.PAGE_SIZE", 1)
    a = world.entry("8")
    b = world.entry("2", day=a.entry_date + dt.timedelta(days=1))
    client.force_login(world.manager)
    first = client.get("/time/approvals/")
    second = client.get("/time/approvals/", {"t-page": 2})
    assert [e.pk for e in first.context["time_table"].rows] == [a.pk]
    assert [e.pk for e in second.context["time_table"].rows] == [b.pk]
    assert "2–2 of 2" in second.content.decode()


def test_a_receipt_opens_for_its_owner_approver_and_accountant_only(
    world, client, settings, tmp_path, accountant, other_project_manager
):
    settings.MEDIA_ROOT = tmp_path
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 10
    client.force_login(world.resource.user)
    client.post(
        "/time/expenses/",
        {
            "project": world.project.pk,
            "category": ExpenseCategoryFactory().pk,
            "entry_date": timezone.localdate().isoformat(),
            "quantity": "1",
            "amount": "19.99",
            "currency": "EUR",
            "receipt": SimpleUploadedFile("taxi.png", png),
        },
    )
    entry = ExpenseEntry.objects.get()
    url = f"/time/expenses/{entry.pk}/receipt/"
    assert url in client.get("/time/expenses/").content.decode()
    for reader in (world.resource.user, world.manager, accountant):
        client.force_login(reader)
        response = client.get(url)
        assert (response.status_code, response["Content-Type"]) == (200, "image/png")
        assert b"".join(response.streaming_content) == png
        assert response["Content-Disposition"].startswith("inline")
    for stranger in (other_project_manager,):
        client.force_login(stranger)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_project_actuals_page_with_totals(world, client, accountant):
    make_contract(project=world.project, manager=world.manager)
    services.approve_time_entry(entry=world.entry("8"), approved_by=world.manager, approved_at=AT)
    for user in (world.manager, accountant):
        client.force_login(user)
        response = client.get("/time/actuals/", {"actual_type": "unbilled_sales"})
        assert response.status_code == 200
        assert response.context["totals"] == [
            queries.ActualTotal("unbilled_sales", "EUR", "h", Decimal("8.00"), Decimal("1600.00"))
        ]


def test_other_managers_see_nothing_of_the_project(world, client, other_project_manager):
    make_contract(project=world.project, manager=world.manager)
    entry = world.entry("8")
    client.force_login(other_project_manager)
    page = client.get("/time/approvals/")
    assert page.status_code == 200
    assert page.context["time_table"].rows == []
    response = client.post("/time/approvals/", {"action": "approve", "time_ids": [entry.pk]})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SUBMITTED
    services.approve_time_entry(entry=entry, approved_by=world.manager, approved_at=AT)
    actuals = client.get("/time/actuals/")
    assert actuals.context["totals"] == []


@pytest.mark.parametrize(
    ("who", "url", "code"),
    [
        ("team_member", "/time/approvals/", 403),
        ("team_member", "/time/actuals/", 403),
        ("accountant", "/time/week/", 403),
        ("accountant", "/time/expenses/", 403),
        ("accountant", "/time/approvals/", 403),
        ("project_manager", "/time/week/", 403),
    ],
)
def test_pages_refuse_other_roles(world, client, request, who, url, code):
    user = world.resource.user if who == "team_member" else request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(url).status_code == code


def test_someone_elses_expense_is_404(world, client, db):
    from tests.factories import ExpenseEntryFactory, ResourceFactory

    other = ExpenseEntryFactory(resource=ResourceFactory())
    client.force_login(world.resource.user)
    assert client.get(f"/time/expenses/{other.pk}/edit/").status_code == 404
    assert client.post(f"/time/entries/expense/{other.pk}/delete/").status_code == 404
    assert ExpenseEntry.objects.filter(pk=other.pk).exists()


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/time/week/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_admin_lists_entries_and_actuals_read_only(world, client, django_user_model):
    make_contract(project=world.project, manager=world.manager)
    services.approve_time_entry(entry=world.entry("8"), approved_by=world.manager, approved_at=AT)
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(admin)
    for url in ("/admin/actuals/timeentry/", "/admin/actuals/actual/"):
        assert client.get(url).status_code == 200
    actual = Actual.objects.first()
    page = client.get(f"/admin/actuals/actual/{actual.pk}/change/")
    assert page.status_code == 200
    assert b'name="amount"' not in page.content


def test_project_actuals_total_hours_and_kilometres_apart(world, client, accountant):
    make_contract(project=world.project, manager=world.manager)
    mileage = ExpenseCategoryFactory(unit="km")
    services.approve_time_entry(entry=world.entry("8"), approved_by=world.manager, approved_at=AT)
    trip = _expense(world, mileage, "27.00")
    services.update_expense_entry(
        entry=trip,
        by=world.resource.user,
        today=timezone.localdate(),
        project=world.project,
        category=mileage,
        entry_date=trip.entry_date,
        quantity=Decimal("120"),
        amount=Decimal("27.00"),
        currency="EUR",
    )
    services.submit_entry(
        entry=trip, by=world.resource.user, submitted_at=AT, today=timezone.localdate()
    )
    services.approve_expense_entry(entry=trip, approved_by=world.manager, approved_at=AT)
    client.force_login(accountant)

    response = client.get("/time/actuals/", {"actual_type": "cost"})

    assert [(t.unit, t.quantity) for t in response.context["totals"]] == [
        ("h", Decimal("8.00")),
        ("km", Decimal("120.00")),
    ]
    assert "120.00 km" in response.content.decode()
