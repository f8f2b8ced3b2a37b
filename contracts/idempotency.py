"""The ``Idempotency-Key`` header of the API (API.md): the same key and body within 24 hours
returns the first response and does nothing again; the same key with another request is a 409.

One place: :class:`IdempotencyMiddleware` (``MIDDLEWARE``) guards every ``POST``, ``PUT``,
``PATCH`` and ``DELETE`` under ``/api/v1/`` that carries the header, whatever view answers it:
creates, updates, deletes, actions (``/confirm/``, ``/post/``…) and multipart imports alike.
A request without the header is not touched. The rules:

- **Scope.** A key belongs to the user who sends it (another user's same key is another key)
  and to the first request's method, path (with its query string) and body, compared by a
  SHA-256 of the raw request bytes. In a multipart body the boundary is masked first
  (:class:`BodyHash`): curl and ``requests`` draw a new random one for every request, so a
  retried upload would otherwise never match; the parts themselves count byte for byte.
- **Who.** The caller is found as the API's views find them, by ``REST_FRAMEWORK``'s
  authentication classes in their order: the session's user (as ``AuthenticationMiddleware``
  gives it; the view still checks its CSRF token), then the token. A request with no
  authenticated caller, or a bad token, passes untouched: the view refuses it and nothing is
  kept.
- **The key.** 1 to 255 characters, else 400 naming the header. ``POST /api/v1/auth/token/`` is
  exempt: nobody is logged in to own the key, it changes nothing a retry could double (the
  same token comes back), and its answer is a credential we do not copy into another table.
- **The claim.** Before the view runs, the key's row (:class:`~contracts.models.IdempotencyKey`)
  is inserted in a transaction of its own and committed, under the unique constraint on
  (user, key): so every other process sees it at once, and of two requests with one key at
  the same time PostgreSQL lets exactly one insert it. The other is **refused** at once with
  409 "still in progress" and ``Retry-After: 1`` (it does not wait: no web process is held on a
  lock for as long as a posting may take). No Python lock is involved, so this holds across
  processes and containers.
- **What is kept.** When the view has answered, its status, content type, body and the headers
  of :data:`KEPT_HEADERS` (``Location``, ``Retry-After``…) are stored on the row. A replay
  answers those, plus ``Idempotent-Replayed: true``, without running anything. Kept: every
  answer below 500, 4xx included (a 400 or 409 says the same thing again, as most APIs do),
  **except** 401, 403 and 429: those are about the caller (logged in, role, CSRF token,
  throttling), nothing ran, and the same request may succeed once that is fixed. Not kept,
  so the key is free again and the client may retry: any 5xx (a 503 when the task queue is
  down), an exception, and a streaming or file response (only ``GET`` gives those).
- **Another request with a used key** (other method, path or body): 409 naming the header;
  it wins over "in progress".
- **24 hours.** A row older than :data:`KEY_LIFETIME` is ignored when read (the next request
  with that key takes it over and runs) and deleted by the beat task
  ``contracts.tasks.purge_idempotency_keys``.
- **A process that dies** between the claim and the answer leaves the claim in progress: we
  cannot tell whether its action ran, so the key is refused (409) until it expires; the
  client checks the result and sends a new key. Equally when storing the answer fails.

The claim and its answer are written outside the view's own transactions (``ATOMIC_REQUESTS``
is off; services own theirs), so the claim commits before the action starts. The body is read
once, in chunks, for its hash (an upload beyond ``FILE_UPLOAD_MAX_MEMORY_SIZE`` goes to a
temporary file, never whole into memory), then handed back to the request for the view's
parsers.
"""

import datetime as dt
import hashlib
import logging
import tempfile
from copy import deepcopy
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.views import APIView

from contracts.models import IdempotencyKey

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
#: How long a key holds (API.md: 24 h); older rows are ignored and purged.
KEY_LIFETIME = dt.timedelta(hours=24)
API_PREFIX = "/api/v1/"
#: Paths under the prefix that the header does not apply to (see the module docstring).
EXEMPT_PATHS = frozenset({"/api/v1/auth/token/"})
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The response headers stored with the first answer and sent again on a replay.
KEPT_HEADERS = ("Location", "Retry-After", "Content-Disposition", "Allow")
#: Answers about the caller rather than the request: never kept (see the module docstring).
NOT_KEPT_STATUSES = frozenset({401, 403, 429})
#: Seconds a request refused as "still in progress" is told to wait.
IN_PROGRESS_RETRY_AFTER = 1
_CHUNK = 64 * 1024
_CLAIM_ATTEMPTS = 3


@dataclass(frozen=True)
class Fingerprint:
    """What a key is bound to: the first request's method, path and body."""

    method: str
    path: str
    body_sha256: str

    def matches(self, row: IdempotencyKey) -> bool:
        return (row.method, row.path, row.body_sha256) == (
            self.method,
            self.path,
            self.body_sha256,
        )


class BodyHash:
    """SHA-256 of a body fed in chunks, with every ``--<boundary>`` of a multipart body
    replaced by ``--BOUNDARY``, so the same parts under another random boundary hash alike.
    An occurrence split across two chunks is found: the last ``len(delimiter) - 1`` bytes wait
    for the next chunk."""

    MASK = b"--BOUNDARY"

    def __init__(self, boundary: str = "") -> None:
        self._sha = hashlib.sha256()
        self._delimiter = b"--" + boundary.encode("latin-1", "replace") if boundary else b""
        self._pending = b""

    def update(self, chunk: bytes) -> None:
        if not self._delimiter:
            self._sha.update(chunk)
            return
        data, start = self._pending + chunk, 0
        while (found := data.find(self._delimiter, start)) != -1:
            self._sha.update(data[start:found])
            self._sha.update(self.MASK)
            start = found + len(self._delimiter)
        cut = max(start, len(data) - len(self._delimiter) + 1)
        self._sha.update(data[start:cut])
        self._pending = data[cut:]

    def hexdigest(self) -> str:
        self._sha.update(self._pending)
        self._pending = b""
        return self._sha.hexdigest()


# --- the service: claim, keep, release, purge -------------------------------------------------


def claim_key(
    *, user: Any, key: str, fingerprint: Fingerprint, now: dt.datetime
) -> tuple[IdempotencyKey | None, bool]:
    """Claim ``key`` for this request: ``(row, True)`` when this request is the first (the row
    is committed, in progress), ``(row, False)`` with the row of the request that came first
    (finished, or still in progress), ``(None, False)`` when the key kept changing hands."""
    expired = now - KEY_LIFETIME
    claim = {
        "method": fingerprint.method,
        "path": fingerprint.path,
        "body_sha256": fingerprint.body_sha256,
        "created_at": now,
        "status": None,
        "content_type": "",
        "headers": {},
        "body": b"",
    }
    rows = IdempotencyKey.objects.filter(user=user, key=key)
    for _attempt in range(_CLAIM_ATTEMPTS):
        # An expired row is ignored (the purge may not have run yet): this request takes it
        # over. The WHERE is checked again on the locked row, so only one request can.
        if rows.filter(created_at__lte=expired).update(**claim):
            return rows.get(), True
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(user=user, key=key, **claim), True
        except IntegrityError:
            pass  # another request has the key
        first = rows.filter(created_at__gt=expired).first()
        if first is not None:
            return first, False
        # Released (its request failed) or expired in between: try to claim it again.
    return None, False


def keep_response(*, row: IdempotencyKey, response: HttpResponseBase) -> None:
    """Store the first request's answer on its claim."""
    assert isinstance(response, HttpResponse)  # not streaming (the caller checks)
    IdempotencyKey.objects.filter(pk=row.pk).update(
        status=response.status_code,
        content_type=response.get("Content-Type", ""),
        headers={name: response[name] for name in KEPT_HEADERS if response.has_header(name)},
        body=response.content,
    )


def release_key(*, row: IdempotencyKey) -> None:
    """Give the key back (its request failed): the next request with it runs."""
    IdempotencyKey.objects.filter(pk=row.pk, status__isnull=True).delete()


def purge_expired_keys(*, now: dt.datetime) -> int:
    """Delete the keys older than :data:`KEY_LIFETIME`; returns how many."""
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lte=now - KEY_LIFETIME).delete()
    return deleted


def keeps(response: HttpResponseBase) -> bool:
    """Is this answer stored for replays (see the module docstring)?"""
    status = response.status_code
    return not response.streaming and status < 500 and status not in NOT_KEPT_STATUSES


# --- the middleware ---------------------------------------------------------------------------


class IdempotencyMiddleware:
    """Replays the first answer to a mutating API request that repeats its ``Idempotency-Key``
    (the rules: the module docstring)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        if key is None or not guarded(request.method or "", request.path_info):
            return self.get_response(request)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            return _refusal(
                400,
                _("The key must be 1 to %(max)d characters long.") % {"max": MAX_KEY_LENGTH},
                summary=True,
            )
        user = _caller(request)
        if user is None:
            return self.get_response(request)  # the view refuses it; nothing to keep
        body_sha256, body = _spool_body(request)
        with body:
            fingerprint = Fingerprint(
                request.method or "", request.get_full_path_info(), body_sha256
            )
            return self._once(request, user=user, key=key, fingerprint=fingerprint)

    def _once(
        self, request: HttpRequest, *, user: Any, key: str, fingerprint: Fingerprint
    ) -> HttpResponseBase:
        row, claimed = claim_key(user=user, key=key, fingerprint=fingerprint, now=timezone.now())
        if row is not None and not claimed and not fingerprint.matches(row):
            return _refusal(
                409,
                _(
                    "This Idempotency-Key was already used with another request (another "
                    "method, path or body). Send a new key with a new request."
                ),
            )
        if row is None or (not claimed and row.status is None):
            response = _refusal(
                409,
                _(
                    "A request with this Idempotency-Key is still in progress. Try again when "
                    "it has finished."
                ),
            )
            response["Retry-After"] = str(IN_PROGRESS_RETRY_AFTER)
            return response
        if not claimed:
            return _replay(row)
        try:
            response = self.get_response(request)
        except BaseException:
            _settle(row, None)
            raise
        _settle(row, response)
        return response


def guarded(method: str, path: str) -> bool:
    """Does the header apply to this request (a mutating API call that is not exempt)?"""
    return method in MUTATING_METHODS and path.startswith(API_PREFIX) and path not in EXEMPT_PATHS


def _caller(request: HttpRequest) -> Any:
    """The user the API's views will authenticate, or None: by the API's default
    authentication classes (no view names its own); DRF's ``Request`` also applies the test
    client's ``force_authenticate``, as it does for the view."""
    drf_request = Request(request, authenticators=APIView().get_authenticators())
    for authenticator in drf_request.authenticators or ():
        if isinstance(authenticator, SessionAuthentication):
            # The session's user; the view checks the CSRF token (a failure is a 403, not kept).
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and user.is_active:
                return user
            continue
        try:
            found = authenticator.authenticate(drf_request)
        except APIException:
            return None  # a bad token: the view says so
        if found is not None:
            return found[0]
    return None


def _spool_body(request: HttpRequest) -> tuple[str, IO[bytes]]:
    """The body's :class:`BodyHash`, read in chunks; the bytes are handed back to the request
    (in memory up to ``FILE_UPLOAD_MAX_MEMORY_SIZE``, then a temporary file), so the view's
    parsers read it as if nobody had. The caller closes the returned file."""
    multipart = request.content_type == "multipart/form-data"
    digest = BodyHash((request.content_params or {}).get("boundary", "") if multipart else "")
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    while chunk := request.read(_CHUNK):
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    request._stream = spool  # type: ignore[attr-defined,assignment]
    request._read_started = False  # type: ignore[attr-defined]
    return digest.hexdigest(), spool


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(row.body), status=row.status)
    if row.content_type:
        response["Content-Type"] = row.content_type
    else:
        del response["Content-Type"]  # an empty answer (204) has none
    for name, value in row.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _refusal(status: int, reason: str, *, summary: bool = False) -> JsonResponse:
    """The API's error shape, naming the header (a 400 summarises as ``field: reason``)."""
    detail = f"{HEADER}: {reason}" if summary else reason
    return JsonResponse({"detail": detail, "errors": {HEADER: [reason]}}, status=status)


def _settle(row: IdempotencyKey, response: HttpResponseBase | None) -> None:
    """Keep the answer on the claim, or release the claim. A failure here is logged and leaves
    the claim in progress (the key is refused until it expires: never run twice), and the
    client still gets its answer."""
    try:
        if response is not None and keeps(response):
            keep_response(row=row, response=response)
        else:
            release_key(row=row)
    except Exception:
        logger.exception("Idempotency-Key %r of user %s: the claim stays", row.key, row.user_id)


# --- the OpenAPI schema -----------------------------------------------------------------------

PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": (
        "Makes the request safe to retry. The same key with the same method, path and body "
        "(byte for byte; a multipart body's boundary aside) within 24 hours returns the first "
        "response again, with the header `Idempotent-Replayed: true`, and does nothing again; "
        "the same key with another request is a 409, and while the first request still runs "
        "a 409 with `Retry-After`. Keys are per user. Responses of 5xx, 401, 403 and 429 are "
        "not kept: retrying with the same key runs the request again. An empty key or one "
        "longer than 255 characters is a 400."
    ),
}


def document_idempotency_key(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS``): the header on every
    operation the middleware guards."""
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if guarded(method.upper(), path):
                operation.setdefault("parameters", []).append(deepcopy(PARAMETER))
    return result
