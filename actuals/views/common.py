"""Helpers shared by the actuals pages: permission checks, the user's own resource, error texts
and the projects a manager manages.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
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


def _managed_projects(user: Any) -> Any:
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(project_manager=user)
