"""The ``Idempotency-Key`` header of every mutating API call (API.md; contracts.idempotency):
the same key and body within 24 h answers the first response again and runs nothing; another
request with the key is a 409; keys are per user; a 5xx frees the key; 24 h later it runs again.
Real API clients with tokens, on PostgreSQL."""

import datetime as dt
import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import encode_multipart
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from actuals import services as actuals_services
from actuals.models import ExpenseEntry, TimeEntry
from contracts.idempotency import KEY_LIFETIME, BodyHash
from contracts.models import IdempotencyKey
from contracts.roles import Role
from contracts.tasks import purge_idempotency_keys
from invoicing.models import Invoice, PostingBatch, RunStatus
from tests.factories import ExpenseCategoryFactory, ResourceFactory, user_with_role
from tests.invoicing import conftest as billing_world
from tests.invoicing.test_api import create_draft
from tests.invoicing.test_posting import confirmed

pytestmark = pytest.mark.django_db
billing = billing_world.billing  # the billing world's fixture (tests/invoicing/conftest.py)

TIME_ENTRIES = "/api/v1/time-entries/"
KEY = "3f1c9a52-0c4e-4d1e-9d6b-2f7a0e8b1c11"
IN_PROGRESS = (
    "A request with this Idempotency-Key is still in progress. Try again when it has finished."
)
USED = (
    "This Idempotency-Key was already used with another request (another method, path or "
    "body). Send a new key with a new request."
)
BAD_KEY = "The key must be 1 to 255 characters long."
#: A day in the fixtures' fiscal calendar (2026), in the past whenever the suite runs.
ENTRY_DAY = dt.date(2026, 3, 2)


def token_client(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def entry_body(billing, hours="8.00", **extra):
    day = ENTRY_DAY
    return {
        "project": billing.project.pk,
        "role": billing.role.pk,
        "entry_date": day.isoformat(),
        "hours": hours,
        **extra,
    }


def post_entry(client, body, key=KEY):
    return client.post(TIME_ENTRIES, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.fixture
def member(billing):
    return token_client(billing.resource.user)


@pytest.fixture
def no_accrual(billing):
    from ledger.models import PostingProfile

    PostingProfile.objects.filter(is_default=True).update(accrue_tm_revenue=False)


def kept():
    return list(IdempotencyKey.objects.order_by("pk").values_list("key", "method", "status"))


# --- the same request again -------------------------------------------------------------------


def test_the_same_key_and_body_creates_once_and_answers_the_first_response(billing, member):
    first = post_entry(member, entry_body(billing))
    second = post_entry(member, entry_body(billing))

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert (second.status_code, second.content) == (201, first.content)
    assert (second["Content-Type"], second["Idempotent-Replayed"]) == ("application/json", "true")
    [entry] = TimeEntry.objects.all()
    assert (second.json()["id"], entry.hours, entry.resource) == (
        entry.pk,
        8,
        billing.resource,
    )
    assert kept() == [(KEY, "POST", 201)]


def test_confirming_twice_with_one_key_confirms_once_and_answers_200_twice(billing):
    billing.approve_ready("8")
    invoice = create_draft(billing)
    manager = token_client(billing.manager)
    url = f"/api/v1/invoices/{invoice.pk}/confirm/"
    body = {"version": invoice.version}

    first = manager.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    after_first = Invoice.objects.values_list("status", "version", "confirmed_at").get()
    second = manager.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    without_key = manager.post(url, body, format="json")

    assert (first.status_code, first.json()["status"]) == (200, "confirmed")
    assert (second.status_code, second.content, second["Idempotent-Replayed"]) == (
        200,
        first.content,
        "true",
    )
    assert Invoice.objects.values_list("status", "version", "confirmed_at").get() == after_first
    # Without the key the same call runs, and the state refuses it, as before.
    assert without_key.status_code == 409
    assert kept() == [(KEY, "POST", 200)]


def test_a_multipart_import_with_one_key_imports_once(billing, member):
    user, project, role = billing.resource.user.username, billing.project.code, billing.role.code
    day = ENTRY_DAY.isoformat()
    csv = f"resource,project,role,date,hours\n{user},{project},{role},{day},7.5\n".encode()

    def upload():
        return member.post(
            f"{TIME_ENTRIES}import/",
            {"file": SimpleUploadedFile("hours.csv", csv)},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY=KEY,
        )

    first, second = upload(), upload()

    [entry] = TimeEntry.objects.all()
    assert (first.status_code, first.json()) == (201, {"created": 1, "ids": [entry.pk]})
    assert (second.status_code, second.content, second["Idempotent-Replayed"]) == (
        201,
        first.content,
        "true",
    )


def test_a_retried_upload_under_a_new_random_boundary_is_the_same_body(billing, member):
    """curl and requests draw a new boundary for every request: the hash masks it, and only
    it (other bytes in a part are another body)."""
    user, project, role = billing.resource.user.username, billing.project.code, billing.role.code
    day = ENTRY_DAY.isoformat()

    def upload(boundary, hours="7.5"):
        csv = f"resource,project,role,date,hours\n{user},{project},{role},{day},{hours}\n"
        body = encode_multipart(boundary, {"file": SimpleUploadedFile("h.csv", csv.encode())})
        return member.post(
            f"{TIME_ENTRIES}import/",
            body,
            content_type=f"multipart/form-data; boundary={boundary}",
            HTTP_IDEMPOTENCY_KEY=KEY,
        )

    first = upload("----a1b2c3d4e5")
    retried = upload("------------------------f00dfeed0123")
    other_file = upload("----a1b2c3d4e5", hours="6")

    assert first.status_code == 201
    assert (retried.status_code, retried.content, retried["Idempotent-Replayed"]) == (
        201,
        first.content,
        "true",
    )
    assert (other_file.status_code, other_file.json()["detail"]) == (409, USED)
    assert TimeEntry.objects.count() == 1


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 11, 64])
def test_the_body_hash_masks_a_boundary_split_across_chunks(chunk):
    body = b"--xyz\r\nA\r\n--xy--xyz\r\nB--xyz--x\r\n--xyz--\r\n"
    expected = hashlib.sha256(body.replace(b"--xyz", b"--BOUNDARY")).hexdigest()
    digest = BodyHash("xyz")

    for start in range(0, len(body), chunk):
        digest.update(body[start : start + chunk])

    assert digest.hexdigest() == expected


def test_an_upload_larger_than_djangos_memory_limit_is_hashed_and_taken(
    billing, member, settings, tmp_path
):
    """The body is read in chunks (to a temporary file past 2.5 MB), not as ``request.body``,
    which refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE: a 3 MB receipt is still taken."""
    settings.MEDIA_ROOT = str(tmp_path)
    receipt = b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024)
    assert len(receipt) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    category = ExpenseCategoryFactory()

    def upload():
        return member.post(
            "/api/v1/expense-entries/",
            {
                "project": billing.project.pk,
                "category": category.pk,
                "entry_date": ENTRY_DAY.isoformat(),
                "amount": "12.50",
                "currency": "EUR",
                "receipt": SimpleUploadedFile("r.pdf", receipt),
            },
            format="multipart",
            HTTP_IDEMPOTENCY_KEY=KEY,
        )

    first, second = upload(), upload()

    assert first.status_code == 201, first.content
    [entry] = ExpenseEntry.objects.all()
    assert entry.receipt.size == len(receipt)
    assert (second.status_code, second.content, second["Idempotent-Replayed"]) == (
        201,
        first.content,
        "true",
    )


def test_a_delete_replayed_is_204_with_no_body_and_deletes_nothing_else(billing, member):
    entry = post_entry(member, entry_body(billing), key="create").json()
    url = f"{TIME_ENTRIES}{entry['id']}/"

    first = member.delete(url, HTTP_IDEMPOTENCY_KEY=KEY)
    second = member.delete(url, HTTP_IDEMPOTENCY_KEY=KEY)

    assert (first.status_code, first.content, first.has_header("Content-Type")) == (
        204,
        b"",
        False,
    )
    assert (second.status_code, second.content, second.has_header("Content-Type")) == (
        204,
        b"",
        False,
    )
    assert second["Idempotent-Replayed"] == "true"
    assert TimeEntry.objects.count() == 0
    assert member.delete(url).status_code == 404  # without the key it runs: gone


# --- another request with a used key, another user, no key -------------------------------------


def test_the_same_key_with_another_body_or_path_is_a_409_naming_the_header(billing, member):
    first = post_entry(member, entry_body(billing))

    other_body = post_entry(member, entry_body(billing, hours="4.00"))
    other_path = member.post(
        "/api/v1/expense-entries/", {"amount": "1"}, format="json", HTTP_IDEMPOTENCY_KEY=KEY
    )
    other_method = member.patch(
        f"{TIME_ENTRIES}{first.json()['id']}/",
        entry_body(billing),
        format="json",
        HTTP_IDEMPOTENCY_KEY=KEY,
    )

    for response in (other_body, other_path, other_method):
        assert response.status_code == 409
        assert response.json() == {"detail": USED, "errors": {"Idempotency-Key": [USED]}}
    assert list(TimeEntry.objects.values_list("hours", flat=True)) == [8]
    assert ExpenseEntry.objects.count() == 0
    assert kept() == [(KEY, "POST", 201)]


def test_another_users_same_key_is_another_key(billing, member):
    colleague = user_with_role(Role.TEAM_MEMBER, username="colleague")
    ResourceFactory(user=colleague, legal_entity=billing.resource.legal_entity)

    mine = post_entry(member, entry_body(billing))
    theirs = post_entry(token_client(colleague), entry_body(billing))

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs
    assert sorted(TimeEntry.objects.values_list("resource__user__username", flat=True)) == [
        "colleague",
        "teammember",
    ]
    assert IdempotencyKey.objects.filter(key=KEY).count() == 2


def test_without_a_key_every_call_runs_as_before(billing, member):
    first = member.post(TIME_ENTRIES, entry_body(billing), format="json")
    second = member.post(TIME_ENTRIES, entry_body(billing), format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert TimeEntry.objects.count() == 2
    assert IdempotencyKey.objects.count() == 0


def test_a_session_user_is_scoped_like_a_token_user(billing, api_client):
    api_client.force_login(billing.resource.user)

    first = post_entry(api_client, entry_body(billing))
    second = post_entry(api_client, entry_body(billing))

    assert (first.status_code, second.status_code, second.content) == (201, 201, first.content)
    assert TimeEntry.objects.count() == 1


# --- the key itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_an_empty_or_too_long_key_is_a_400_naming_the_header(billing, member, key):
    response = post_entry(member, entry_body(billing), key=key)

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Idempotency-Key: {BAD_KEY}",
        "errors": {"Idempotency-Key": [BAD_KEY]},
    }
    assert (TimeEntry.objects.count(), IdempotencyKey.objects.count()) == (0, 0)


def test_a_key_of_255_characters_is_taken(billing, member):
    assert post_entry(member, entry_body(billing), key="k" * 255).status_code == 201
    assert kept() == [("k" * 255, "POST", 201)]


def test_a_get_and_the_token_endpoint_ignore_the_key(billing, member):
    assert member.get(TIME_ENTRIES, HTTP_IDEMPOTENCY_KEY="").status_code == 200
    billing.resource.user.set_password("pw-123456!")
    billing.resource.user.save()
    token = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "teammember", "password": "pw-123456!"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=KEY,
    )
    assert token.status_code == 200
    assert IdempotencyKey.objects.count() == 0


# --- what is kept and what is not --------------------------------------------------------------


def test_a_400_is_kept_so_the_corrected_body_needs_a_new_key(billing, member):
    """Decision (contracts.idempotency): 4xx answers are kept, except 401, 403 and 429."""
    bad = entry_body(billing, hours="25.00")

    first = post_entry(member, bad)
    second = post_entry(member, bad)
    corrected = post_entry(member, entry_body(billing))

    assert first.status_code == 400
    assert (second.status_code, second.content, second["Idempotent-Replayed"]) == (
        400,
        first.content,
        "true",
    )
    assert corrected.status_code == 409
    assert TimeEntry.objects.count() == 0
    assert post_entry(member, entry_body(billing), key="new key").status_code == 201


def test_a_403_is_not_kept(billing, member):
    """A refusal about the caller is not kept: once allowed, the same request may run."""
    billing.approve_ready("8")
    invoice = create_draft(billing)
    url = f"/api/v1/invoices/{invoice.pk}/confirm/"

    first = member.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    second = member.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY=KEY)

    assert (first.status_code, second.status_code) == (403, 403)
    assert "Idempotent-Replayed" not in second
    assert IdempotencyKey.objects.count() == 0
    assert Invoice.objects.get().status == "draft"


def test_a_bad_token_passes_to_the_view_and_nothing_is_kept(billing):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = post_entry(client, entry_body(billing))

    assert response.status_code in (401, 403)
    assert (TimeEntry.objects.count(), IdempotencyKey.objects.count()) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_503_with_the_queue_down_frees_the_key_and_the_retry_runs(
    billing, accountant, no_accrual, monkeypatch
):
    """A real commit (no test transaction), so the task is sent inside the request."""
    from kombu.exceptions import OperationalError

    from invoicing.tasks import post_invoice_batch

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    sent = []
    invoice = confirmed(billing, "8")
    client = token_client(accountant)

    def post_selected():
        return client.post(
            "/api/v1/invoices/post-selected/",
            {"invoice_ids": [invoice.pk]},
            format="json",
            HTTP_IDEMPOTENCY_KEY=KEY,
        )

    monkeypatch.setattr(post_invoice_batch, "delay", unreachable)
    down = post_selected()
    assert (down.status_code, down["Retry-After"]) == (503, "30")
    assert IdempotencyKey.objects.count() == 0

    monkeypatch.setattr(post_invoice_batch, "delay", lambda pk: sent.append(pk))
    retry = post_selected()
    again = post_selected()

    assert retry.status_code == 202
    assert (again.status_code, again.content, again["Idempotent-Replayed"]) == (
        202,
        retry.content,
        "true",
    )
    assert list(PostingBatch.objects.order_by("pk").values_list("status", flat=True)) == [
        RunStatus.FAILED,
        RunStatus.RUNNING,
    ]
    assert sent == [retry.json()["id"]]
    assert kept() == [(KEY, "POST", 202)]


# --- 24 hours ---------------------------------------------------------------------------------


def test_a_key_older_than_24_hours_runs_again(billing, member):
    first = post_entry(member, entry_body(billing))
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))

    again = post_entry(member, entry_body(billing))

    assert (first.status_code, again.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in again
    assert again.json()["id"] != first.json()["id"]
    assert TimeEntry.objects.count() == 2
    row = IdempotencyKey.objects.get()
    assert (row.status, bytes(row.body)) == (201, again.content)
    assert timezone.now() - row.created_at < dt.timedelta(minutes=1)


def test_the_beat_task_purges_keys_older_than_24_hours(billing, member, settings):
    post_entry(member, entry_body(billing), key="old")
    post_entry(member, entry_body(billing, hours="1.00"), key="fresh")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - KEY_LIFETIME - dt.timedelta(minutes=1)
    )

    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    entry = settings.CELERY_BEAT_SCHEDULE["purge-idempotency-keys"]
    assert entry["task"] == "contracts.tasks.purge_idempotency_keys"
    assert entry["schedule"].hour == set(range(24))


# --- at the same time -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_key_at_once_run_once(billing, monkeypatch):
    """Both threads start together; the one that claimed the key holds its action until the
    other has its answer, so they truly overlap. Exactly one runs; the other is refused."""
    token = Token.objects.create(user=billing.resource.user)
    start = threading.Barrier(2)
    one_answered = threading.Event()
    ran = []
    create = actuals_services.create_time_entry

    def held_create(**kwargs):
        ran.append(threading.get_ident())
        one_answered.wait(timeout=10)
        return create(**kwargs)

    monkeypatch.setattr(actuals_services, "create_time_entry", held_create)
    body = entry_body(billing)

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        try:
            start.wait(timeout=10)
            return post_entry(client, body)
        finally:
            one_answered.set()
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = [f.result() for f in [pool.submit(post), pool.submit(post)]]

    refused, created = sorted(responses, key=lambda r: -r.status_code)
    assert (created.status_code, refused.status_code) == (201, 409)
    assert refused.json() == {"detail": IN_PROGRESS, "errors": {"Idempotency-Key": [IN_PROGRESS]}}
    assert refused["Retry-After"] == "1"
    assert len(ran) == 1
    assert TimeEntry.objects.count() == 1
    replay = post_entry(token_client(billing.resource.user), body)
    assert (replay.status_code, replay.content) == (201, created.content)


# --- the schema -------------------------------------------------------------------------------


def test_the_schema_documents_the_header_on_mutating_operations_only(billing, member):
    paths = member.get("/api/schema/", {"format": "json"}).json()["paths"]

    def header(path, method):
        return [
            p for p in paths[path][method].get("parameters", []) if p["name"] == "Idempotency-Key"
        ]

    [confirm] = header("/api/v1/invoices/{id}/confirm/", "post")
    assert (confirm["in"], confirm["required"], confirm["schema"]) == (
        "header",
        False,
        {"type": "string", "minLength": 1, "maxLength": 255},
    )
    assert header("/api/v1/time-entries/import/", "post")
    assert header("/api/v1/time-entries/{id}/", "patch")
    assert header("/api/v1/time-entries/{id}/", "delete")
    assert header("/api/v1/time-entries/", "get") == []
    assert header("/api/v1/auth/token/", "post") == []
