"""The accountant's audit trail: every recorded change of every tracked table, newest first.

Read by :mod:`contracts.history` from pghistory's event tables, filtered with
:class:`contracts.forms.AuditFilterForm` and paged by :func:`contracts.views.table_page` like the
other lists. Project accountants and administrators open it (they read everything,
:func:`contracts.roles.sees_everything`); anyone else gets 403. It lives in the bottom app because
it names no model of the apps above: the event models are found through ``django.apps``.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from contracts.forms import AuditFilterForm
from contracts.history import events, history_rows
from contracts.roles import sees_everything
from contracts.views import Column, table_page

AUDIT_COLUMNS = [
    Column(_("When"), "at", ("pgh_created_at",)),
    Column(_("Who")),
    Column(_("Object type")),
    Column(_("Object")),
    Column(_("Event")),
    Column(_("Changes")),
]


@login_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    if not sees_everything(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    table = table_page(
        request, events(), columns=AUDIT_COLUMNS, default_sort="-at", filter_form=form, per_page=50
    )
    return render(
        request,
        "contracts/audit_trail.html",
        {"table": table, "form": form, "rows": history_rows(table.rows)},
    )
