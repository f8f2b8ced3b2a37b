"""Building blocks of the contracts API: permissions, stable ordering, protected deletes, and
the answer to a request that started a background job."""

import functools
from collections.abc import Callable
from typing import Any

from django.db.models import ProtectedError, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import permissions, status
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from contracts.api_errors import Conflict
from contracts.queueing import RETRY_AFTER_SECONDS, JobStatus


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions, with the *view* permission required for reading too.

    The permissions come from the role groups (:data:`contracts.roles.ROLE_PERMISSIONS`):
    read needs ``view_<model>``, create ``add_``, update ``change_``, delete ``delete_``.
    Which rows a reader sees is narrowed by the view's queryset (:mod:`contracts.queries`).
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }


def requires(*perms: str) -> type[permissions.BasePermission]:
    """A permission class for one action: the user is authenticated and holds ``perms``."""

    class Requires(permissions.BasePermission):
        def has_permission(self, request: Request, view: APIView) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.has_perms(perms))

    Requires.__name__ = f"Requires({', '.join(perms)})"
    return Requires


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` as usual, always ending in the primary key so pages never shuffle."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> list[str]:
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not {"pk", "-pk", "id", "-id"} & set(ordering):
            ordering.append("pk")
        return ordering


class ProtectedDestroyMixin:
    """Deleting a row that others still refer to is a 409 that says so (not a 500)."""

    def perform_destroy(self, instance: Any) -> None:
        try:
            instance.delete()
        except ProtectedError as exc:
            raise Conflict(
                _("%(obj)s is still used (e.g. by %(by)s) and cannot be deleted.")
                % {"obj": instance, "by": next(iter(exc.protected_objects), "")}
            ) from exc


class Router(SimpleRouter):
    """The API's router: an object's id in a URL is a number, in every route (one place), so
    ``/api/v1/journals/abc/post/`` is no route (a JSON 404), never a query that fails (500)."""

    def get_lookup_regex(self, viewset: Any, lookup_prefix: str = "") -> str:
        if not getattr(viewset, "lookup_value_regex", None):
            viewset.lookup_value_regex = r"[0-9]+"
        return super().get_lookup_regex(viewset, lookup_prefix)


@csrf_exempt  # a token client's POST to a wrong path is told so, not refused for CSRF in HTML
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under ``/api/`` that is no route: a JSON 404, as the API answers everything
    (not the HTML page of the portal)."""
    return JsonResponse(
        {"detail": _("No such API route: %(path)s") % {"path": request.path}}, status=404
    )


READ_METHODS = ("GET", "HEAD", "OPTIONS")


def api_read_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A read-only view under ``/api/`` whose own renderers are not JSON (the schema's YAML,
    the docs' HTML): another method is a JSON 405 in the API's error shape, like DRF's own
    views answer through :func:`contracts.api_errors.exception_handler`."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in READ_METHODS:
            return JsonResponse(
                {
                    "detail": _('Method "%(method)s" not allowed.') % {"method": request.method},
                    "errors": {},
                },
                status=405,
                headers={"Allow": ", ".join(READ_METHODS)},
            )
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)


def job_started(job: Any, data: Any, *, name: str) -> Response:
    """The answer to a request that started ``job`` (an invoice run, a posting batch): 202 with
    ``data``, the job as its serializer shows it. A job already *failed* in the request could not
    reach its task queue (:mod:`contracts.queueing`: nothing else fails a job that soon): 503
    with ``Retry-After`` and the reason, the job under ``name``. A 503 is not kept for an
    ``Idempotency-Key``, so the client's retry with the same key starts the job again."""
    if job.status == JobStatus.FAILED:
        return Response(
            {"detail": job.message, "errors": {}, name: data},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return Response(data, status=status.HTTP_202_ACCEPTED)
