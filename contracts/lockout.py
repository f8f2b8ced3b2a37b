"""What a locked-out login is told (``AXES_LOCKOUT_CALLABLE``, see the settings): HTTP 429 in
the reader's language, as JSON under ``/api/`` and as a page elsewhere."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many wrong passwords for this user from your address: logging in is blocked for "
        "%(minutes)d minutes. Try again later, or ask an administrator to unlock it."
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": lockout_message()}, status=429)
    return render(
        request, "registration/locked_out.html", {"message": lockout_message()}, status=429
    )
