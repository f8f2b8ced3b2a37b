"""Shared pieces of the billing API: error documentation and today's date for defaults.

The services' errors become HTTP in the project's exception handler
(:func:`contracts.api_errors.exception_handler`): views just call them."""

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse

from contracts.serializers import ErrorSerializer

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

QUEUE_DOWN = {
    503: OpenApiResponse(
        ErrorSerializer,
        description="The task queue could not be reached: the job is recorded failed with the "
        "reason; try again after Retry-After seconds.",
    )
}


def today() -> dt.date:
    """Today in the product's time zone (settings.TIME_ZONE)."""
    return timezone.localdate()
