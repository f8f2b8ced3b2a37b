"""The accountant's ledger pages: journals (review, edit, post), periods, reports, receivables.

Each page needs a ledger permission that only the project accountant's role holds (others get
403). Views read the clock and pass the time to the services, and turn a service's refusal
into a message on the page.
"""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts.models import LegalEntity

from . import services
from .forms import DateRangeForm, JournalLineForm, LegalEntityDateForm, default_range
from .models import (
    Account,
    Dimension,
    FiscalYear,
    JournalLine,
    JournalLineStatus,
    Period,
)
from .queries import journals_with_totals, open_customer_transactions
from .reports import account_detail, trial_balance, wip_reconciliation


def _perm(codename: str) -> Any:
    return permission_required(f"ledger.{codename}", raise_exception=True)


def _today() -> dt.date:
    return timezone.localdate()


def _entity_and_date(
    request: HttpRequest,
) -> tuple[LegalEntityDateForm, LegalEntity | None, dt.date]:
    form = LegalEntityDateForm(request.GET or None)
    legal_entity = LegalEntity.objects.order_by("code", "pk").first()
    on_date = _today()
    if form.is_bound and form.is_valid():
        legal_entity = form.cleaned_data["legal_entity"]
        on_date = form.cleaned_data["date"] or on_date
    return form, legal_entity, on_date


# --- journals -------------------------------------------------------------------------------


@login_required
@_perm("view_journal")
def journal_list(request: HttpRequest) -> HttpResponse:
    journals = journals_with_totals().order_by("status", "-journal_date", "-pk")
    return render(request, "ledger/journal_list.html", {"journals": journals})


def _journal_context(journal_pk: int, bound: JournalLineForm | None = None) -> dict[str, Any]:
    journal = get_object_or_404(journals_with_totals(), pk=journal_pk)
    dimensions = list(Dimension.objects.order_by("code"))
    lines = list(
        JournalLine.objects.filter(journal=journal)
        .select_related("project", "customer", "sales_tax_group", "item_sales_tax_group", "entry")
        .prefetch_related(Prefetch("dimension_values"))
        .order_by("line_date", "pk")
    )
    rows = []
    for line in lines:
        form = None
        if line.status == JournalLineStatus.DRAFT:
            form = (
                bound
                if bound is not None and bound.line.pk == line.pk
                else JournalLineForm(line=line, dimensions=dimensions)
            )
        rows.append({"line": line, "form": form})
    return {"journal": journal, "rows": rows, "dimensions": dimensions}


@login_required
@_perm("view_journal")
def journal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "ledger/journal_detail.html", _journal_context(pk))


@login_required
@_perm("change_journalline")
@require_POST
def journal_line_update(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(JournalLine, pk=pk)
    dimensions = list(Dimension.objects.order_by("code"))
    form = JournalLineForm(request.POST, line=line, dimensions=dimensions)
    if form.is_valid():
        try:
            services.update_journal_line(
                line=line,
                sales_tax_group=form.cleaned_data["sales_tax_group"],
                item_sales_tax_group=form.cleaned_data["item_sales_tax_group"],
                dimension_values=form.dimension_values(),
            )
        except services.LedgerStateError as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                target = field if field in form.fields else None
                for error in errors:
                    form.add_error(target, error)
        else:
            messages.success(request, _("Line %(k)s saved.") % {"k": line.source_key})
            return redirect("ledger:journal-detail", pk=line.journal_id)
    if form.errors:
        context = _journal_context(line.journal_id, bound=form)
        return render(request, "ledger/journal_detail.html", context, status=400)
    return redirect("ledger:journal-detail", pk=line.journal_id)


@login_required
@_perm("post_journal")
@require_POST
def journal_post(request: HttpRequest, pk: int) -> HttpResponse:
    journal = get_object_or_404(journals_with_totals(), pk=pk)
    try:
        result = services.post_journal(
            journal=journal, posted_by=request.user, posted_at=timezone.now()
        )
    except services.LedgerStateError as exc:
        messages.error(request, str(exc))
    else:
        text = _("%(posted)d lines posted, %(none)d with nothing to post, %(failed)d failed.") % {
            "posted": result.posted,
            "none": result.posted_without_entry,
            "failed": result.failed,
        }
        (messages.warning if result.failed else messages.success)(request, text)
    return redirect("ledger:journal-detail", pk=journal.pk)


# --- periods --------------------------------------------------------------------------------


@login_required
@_perm("view_period")
def period_list(request: HttpRequest) -> HttpResponse:
    years = (
        FiscalYear.objects.select_related("legal_entity")
        .prefetch_related(Prefetch("periods", queryset=Period.objects.order_by("start_date")))
        .order_by("legal_entity__code", "-year", "pk")
    )
    return render(request, "ledger/period_list.html", {"years": years})


def _period_action(request: HttpRequest, pk: int, *, close: bool) -> HttpResponseRedirect:
    period = get_object_or_404(Period, pk=pk)
    try:
        if close:
            services.close_period(period=period, closed_by=request.user, closed_at=timezone.now())
            messages.success(request, _("Period %(p)s closed.") % {"p": period.start_date})
        else:
            services.reopen_period(
                period=period, reopened_by=request.user, reopened_at=timezone.now()
            )
            messages.success(request, _("Period %(p)s reopened.") % {"p": period.start_date})
    except services.LedgerStateError as exc:
        messages.error(request, str(exc))
    return redirect("ledger:period-list")


@login_required
@_perm("close_period")
@require_POST
def period_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _period_action(request, pk, close=True)


@login_required
@_perm("close_period")
@require_POST
def period_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _period_action(request, pk, close=False)


# --- reports --------------------------------------------------------------------------------


@login_required
@_perm("view_reports")
def reports(request: HttpRequest) -> HttpResponse:
    form, legal_entity, on_date = _entity_and_date(request)
    accounts = (
        Account.objects.filter(legal_entity=legal_entity).order_by("code", "pk")
        if legal_entity
        else Account.objects.none()
    )
    return render(
        request,
        "ledger/reports.html",
        {"form": form, "legal_entity": legal_entity, "on_date": on_date, "accounts": accounts},
    )


@login_required
@_perm("view_reports")
def trial_balance_page(request: HttpRequest) -> HttpResponse:
    form, legal_entity, on_date = _entity_and_date(request)
    tb = trial_balance(legal_entity=legal_entity, on_date=on_date) if legal_entity else None
    return render(request, "ledger/trial_balance.html", {"form": form, "tb": tb})


@login_required
@_perm("view_reports")
def reconciliation_page(request: HttpRequest) -> HttpResponse:
    form, legal_entity, on_date = _entity_and_date(request)
    rows = wip_reconciliation(legal_entity=legal_entity, on_date=on_date) if legal_entity else []
    return render(
        request,
        "ledger/reconciliation.html",
        {"form": form, "rows": rows, "legal_entity": legal_entity, "on_date": on_date},
    )


@login_required
@_perm("view_reports")
def account_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account.objects.select_related("legal_entity"), pk=pk)
    form = DateRangeForm(request.GET or None)
    date_from, date_to = default_range(_today())
    if form.is_bound and form.is_valid():
        date_from = form.cleaned_data["date_from"] or date_from
        date_to = form.cleaned_data["date_to"] or date_to
    detail = account_detail(account=account, date_from=date_from, date_to=date_to)
    return render(request, "ledger/account_detail.html", {"form": form, "detail": detail})


@login_required
@_perm("view_customertransaction")
def receivables(request: HttpRequest) -> HttpResponse:
    items = open_customer_transactions().order_by("due_date", "pk")
    return render(request, "ledger/receivables.html", {"items": items})
