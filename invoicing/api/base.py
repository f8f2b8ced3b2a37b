"""Shared pieces of the billing API: error documentation, the services' exceptions as HTTP
409, today's date for defaults."""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse

from contracts.api_errors import Conflict
from contracts.serializers import ErrorSerializer
from contracts.services import MilestoneStateError
from invoicing.services import BacklogStateError, InvoiceStateError

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; reasons by field."),
    403: OpenApiResponse(ErrorSerializer, description="Your role may not do this."),
    404: OpenApiResponse(ErrorSerializer, description="Not found (or not yours to see)."),
}
CONFLICT = {
    409: OpenApiResponse(
        ErrorSerializer,
        description="The state forbids this (e.g. a confirmed invoice, a stale version, an "
        "item that failed its not-to-exceed limit).",
    )
}


@contextmanager
def conflicts() -> Iterator[None]:
    """Turn the services' state errors into 409 with their message (a person can act on it).

    A database constraint that catches a race (e.g. a second open draft for a contract
    customer) is a 409 too: the state changed under the caller, never a 500.
    """
    try:
        yield
    except (BacklogStateError, InvoiceStateError, MilestoneStateError) as exc:
        raise Conflict(str(exc)) from exc
    except IntegrityError as exc:
        raise Conflict(
            _("Someone else changed these items at the same time; reload and try again.")
        ) from exc


def today() -> dt.date:
    """Today in the product's time zone (settings.TIME_ZONE)."""
    return timezone.localdate()
