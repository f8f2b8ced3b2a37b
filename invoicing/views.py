"""Portal entry: each role lands on its own home page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from contracts.roles import ROLE_HOME, primary_role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = primary_role(request.user)
    if role is None:
        return render(request, "home/no_role.html", status=403)
    return redirect(ROLE_HOME[role])
