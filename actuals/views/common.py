"""Helpers shared by the actuals pages: permission checks, the user's own resource, error texts
and the projects a manager manages.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from contracts.models import Project, Resource


def _require(request: HttpRequest, *perms: str) -> None:
    if not all(request.user.has_perm(p) for p in perms):
        raise PermissionDenied


def _own_resource(request: HttpRequest) -> Resource:
    user: Any = request.user
    resource = Resource.objects.filter(user=user).first()
    if resource is None:
        raise PermissionDenied
    return resource


def _error_text(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return [f"{field}: {m}" for field, msgs in exc.message_dict.items() for m in msgs]
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(exc)]


def _managed_projects(user: Any) -> Any:
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(project_manager=user)
