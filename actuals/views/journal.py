"""The integration journal (accountant): import actuals, and the reconciliation of the project
subledger with the WIP - sales value account.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from actuals.journal import import_actuals
from actuals.views.common import _require
from actuals.wip import unbilled_wip_subledger
from contracts.models import LegalEntity
from ledger.forms import LegalEntityDateForm
from ledger.reports import wip_reconciliation


@login_required
@require_POST
def journal_import(request: HttpRequest) -> HttpResponse:
    """The accountant's "Import actuals" button: back to the page it was pressed on."""
    _require(request, "ledger.import_journal")
    result = import_actuals(now=timezone.now())
    if result.lines:
        messages.success(
            request,
            _("Imported %(lines)s into %(journals)s.")
            % {
                "lines": ngettext("%(n)d actual", "%(n)d actuals", result.lines)
                % {"n": result.lines},
                "journals": ngettext("%(n)d journal", "%(n)d journals", result.journals)
                % {"n": result.journals},
            },
        )
    else:
        messages.info(request, _("Nothing to import: every approved actual is in a journal."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("ledger:journal-list")
    return redirect(target)


@login_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    """Project subledger (:func:`actuals.wip.unbilled_wip_subledger`) against the WIP –
    sales value account, per project (accountant only)."""
    _require(request, "ledger.view_reports")
    form = LegalEntityDateForm(request.GET or None)
    legal_entity = LegalEntity.objects.order_by("code", "pk").first()
    on_date = timezone.localdate()
    if form.is_bound and form.is_valid():
        legal_entity = form.cleaned_data["legal_entity"]
        on_date = form.cleaned_data["date"] or on_date
    rows = (
        wip_reconciliation(
            legal_entity=legal_entity,
            on_date=on_date,
            subledger=unbilled_wip_subledger(legal_entity=legal_entity, on_date=on_date),
        )
        if legal_entity
        else []
    )
    return render(
        request,
        "actuals/reconciliation.html",
        {
            "form": form,
            "rows": rows,
            "legal_entity": legal_entity,
            "on_date": on_date,
            "all_reconcile": all(r.reconciles for r in rows),
        },
    )
