"""The API's error shape: ``{"detail": "...", "errors": {"field": ["reason"]}}``.

400 for bad input, 403 for a role that may not, 404 for what the caller may not see, 409 for a
state that forbids the action. This handler is the one place where the domain's errors
(:mod:`contracts.errors`) become HTTP: Django ``ValidationError`` raised by a service becomes a
400 with its field messages (so API, forms and admin say the same thing),
:class:`~contracts.errors.StateConflict` a 409 with its message,
:class:`~contracts.errors.NotAllowed` a 403 with its message, and an ``IntegrityError`` (a
database constraint that caught a race) a 409 that says so. Views call services and let these
errors through.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from contracts.errors import RACE_MESSAGE, NotAllowed, StateConflict, is_race, validation_texts


class Conflict(exceptions.APIException):
    """The object's state forbids the action (HTTP 409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The current state does not allow this action."
    default_code = "conflict"


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {k: _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        flat: list[Any] = []
        for item in detail:
            value = _flatten(item)
            if isinstance(value, dict):
                flat.append(value)
            elif isinstance(value, list):
                flat.extend(value)
            else:
                flat.append(value)
        return flat
    return str(detail)


def django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    return validation_texts(exc)


class BodyTooLarge(exceptions.APIException):
    """A request body longer than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (HTTP 413)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(_("The request body is larger than %(n)d bytes.") % {"n": limit})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        exc = BodyTooLarge()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors(exc))
    elif isinstance(exc, StateConflict):
        exc = Conflict(str(exc))
    elif is_race(exc):
        exc = Conflict(str(RACE_MESSAGE))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        if not isinstance(errors, dict):
            errors = {"non_field_errors": errors}
        first = next(iter(errors.items()), None)
        summary = _("Invalid input.")
        if first:
            field, reasons = first
            reason = reasons[0] if isinstance(reasons, list) and reasons else reasons
            summary = f"{field}: {reason}" if field != "non_field_errors" else str(reason)
        response.data = {"detail": summary, "errors": errors}
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else response.data
        response.data = {"detail": str(detail), "errors": {}}
    return response
