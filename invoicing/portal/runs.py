"""Invoice runs: the list (with a form to start one) and one run with its counts and failures.

A run's page reloads itself every few seconds while the run is *running* (a ``<meta
http-equiv="refresh">``: no script needed under the strict CSP), so its counts fill in.
Starting a run checks its date (within the fiscal calendar, not after today: a refusal is
shown as the form's error) and records it (trigger *portal*) and queues the same task the API queues, sent
when the transaction commits. A failed run says why and offers *Retry*: a new run for its date
that bills what is still due.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from contracts.errors import EXPECTED_ERRORS, error_texts
from contracts.forms import form_error_texts
from contracts.numbers import show_date
from contracts.queueing import announce_started
from contracts.views import Column, table_page
from invoicing.filters import runs_visible_to
from invoicing.forms import RunForm
from invoicing.models import RunStatus, RunTrigger
from invoicing.services import retry_run, start_run

from .common import require

#: Seconds between reloads of a running run's page.
REFRESH_SECONDS = 3

RUN_COLUMNS = [
    Column(gettext_lazy("Run"), "id", ("pk",)),
    Column(gettext_lazy("Run date"), "date", ("run_date",)),
    Column(gettext_lazy("Started by")),
    Column(gettext_lazy("Status")),
    Column(gettext_lazy("Contracts"), numeric=True),
    Column(gettext_lazy("Invoices"), numeric=True),
    Column(gettext_lazy("Items"), numeric=True),
    Column(gettext_lazy("Amount")),
    Column(gettext_lazy("Failures"), numeric=True),
    Column(gettext_lazy("Started at"), "started", ("started_at",)),
]


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    require(request, "invoicing.view_invoicerun")
    if request.method == "POST":
        require(request, "invoicing.add_invoicerun")
        form = RunForm(request.POST)
        if not form.is_valid():
            for text in form_error_texts(form):
                messages.error(request, text)
            return redirect("invoicing:run-list")
        try:
            run = start_run(
                run_date=form.cleaned_data["run_date"],
                trigger=RunTrigger.PORTAL,
                by=request.user,
                now=timezone.now(),
            )
        except EXPECTED_ERRORS as exc:
            for text in error_texts(exc):
                messages.error(request, text)
            return redirect("invoicing:run-list")
        announce_started(
            request,
            run,
            _("Invoice run %(id)s for %(date)s started.")
            % {"id": run.pk, "date": show_date(run.run_date)},
        )
        return redirect("invoicing:run-detail", pk=run.pk)
    table = table_page(
        request,
        runs_visible_to(request.user).select_related("started_by"),
        columns=RUN_COLUMNS,
        default_sort="-started",
        per_page=50,
    )
    return render(
        request,
        "invoicing/run_list.html",
        {
            "table": table,
            "form": RunForm(initial={"run_date": timezone.localdate()}),
            "can_start": request.user.has_perm("invoicing.add_invoicerun"),
        },
    )


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "invoicing.view_invoicerun")
    run = get_object_or_404(runs_visible_to(request.user).select_related("started_by"), pk=pk)
    return render(
        request,
        "invoicing/run_detail.html",
        {
            "run": run,
            "failures": run.failures.select_related("contract").order_by("pk"),
            "amounts": sorted(run.amounts.items()),
            "running": run.status == RunStatus.RUNNING,
            "refresh_seconds": REFRESH_SECONDS,
            "can_retry": run.status in (RunStatus.FAILED, RunStatus.DONE_WITH_FAILURES)
            and request.user.has_perm("invoicing.add_invoicerun"),
            "retries": list(run.retries.order_by("pk")),
        },
    )


@login_required
@require_POST
def run_retry(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "invoicing.view_invoicerun", "invoicing.add_invoicerun")
    run = get_object_or_404(runs_visible_to(request.user), pk=pk)
    try:
        retry = retry_run(run=run, trigger=RunTrigger.PORTAL, by=request.user, now=timezone.now())
    except EXPECTED_ERRORS as exc:
        for text in error_texts(exc):
            messages.error(request, text)
        return redirect("invoicing:run-detail", pk=run.pk)
    announce_started(
        request,
        retry,
        _("Invoice run %(id)s started: it bills what run %(failed)s left due.")
        % {"id": retry.pk, "failed": run.pk},
    )
    return redirect("invoicing:run-detail", pk=retry.pk)
