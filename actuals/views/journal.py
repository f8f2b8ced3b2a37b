"""The integration journal (accountant): import actuals, and the reconciliation of the project
subledger with the WIP - sales value account.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from actuals.tasks import import_journal_job
from actuals.views.common import _require
from actuals.wip import unbilled_wip_subledger
from contracts.models import LegalEntity
from contracts.queueing import announce_started
from ledger.forms import LegalEntityDateForm
from ledger.models import JournalJobKind
from ledger.reports import wip_reconciliation
from ledger.services import start_journal_job


@login_required
@require_POST
def journal_import(request: HttpRequest) -> HttpResponse:
    """The accountant's "Import actuals" button: the import runs as a background job; its
    page shows the progress."""
    _require(request, "ledger.import_journal")
    job, started = start_journal_job(
        kind=JournalJobKind.IMPORT, task=import_journal_job, by=request.user, now=timezone.now()
    )
    if started:
        announce_started(request, job, _("Importing approved actuals in the background."))
    else:
        messages.info(request, _("An import is running already: this is its progress."))
    return redirect("ledger:job-detail", pk=job.pk)


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
