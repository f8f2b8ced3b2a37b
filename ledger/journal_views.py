"""The accountant's integration-journal pages: the journals, one journal's lines, post.

**One journal** is a compact table of its lines, 50 a page, filtered (text, project typed
with suggestions, kind, status, error) and sorted, with each line's debit and credit account
(from its project's posting profile: :func:`ledger.services.journal_line_accounts`, what
posting will use), its tax groups and dimension values, and totals per currency for the
whole journal, for what the filters select and for the page. The lines the filters select
export to CSV and XLSX.

**Editing** is in bulk: tick lines (or take every line the filters select, up to
``BULK_LIMIT``), choose a sales tax group, item sales tax group and dimension values (each
defaults to *keep as it is*), apply. Posted lines are skipped and counted; a pair of groups
that selects no VAT code is refused and nothing changes
(:func:`ledger.services.edit_journal_lines`; the groups then reach the invoices not yet
posted, :mod:`invoicing.services.tax_groups`).
"""

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from contracts.errors import EXPECTED_ERRORS, error_texts
from contracts.exports import export_queryset, requested_format
from contracts.forms import LookupField, form_error_texts
from contracts.queueing import announce_started
from contracts.views import Column, table_page

from . import services
from .forms import JournalBulkEditForm, JournalLineFilterForm
from .models import (
    Dimension,
    JobStatus,
    JournalJob,
    JournalJobKind,
    JournalLine,
    JournalLineKind,
    JournalLineStatus,
    JournalStatus,
)
from .queries import PostingProfiles, journals_with_totals
from .tasks import post_journal_job

PAGE_SIZE = 50

#: The most lines one edit over a whole filter changes (one transaction).
BULK_LIMIT = 50_000

COLUMNS = [
    Column(gettext_lazy("Select")),
    Column(gettext_lazy("Date"), "date", ("line_date",)),
    Column(gettext_lazy("Kind"), "kind", ("kind",)),
    Column(gettext_lazy("Project"), "project", ("project__code",)),
    Column(gettext_lazy("Description")),
    Column(gettext_lazy("Debit")),
    Column(gettext_lazy("Credit")),
    Column(gettext_lazy("Amount"), "amount", ("amount",), numeric=True),
    Column(gettext_lazy("Tax groups")),
    Column(gettext_lazy("Dimensions")),
    Column(gettext_lazy("Status"), "status", ("status",)),
]


def _perm(codename: str) -> Any:
    return permission_required(f"ledger.{codename}", raise_exception=True)


def _sums(lines: QuerySet[JournalLine]) -> list[Any]:
    """Lines and amount per currency (one aggregate)."""
    return list(
        lines.order_by("currency")
        .values("currency")
        .annotate(count=Count("pk"), amount=Sum("amount"))
    )


def _page_sums(rows: list[JournalLine]) -> list[dict[str, Any]]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for line in rows:
        sums[line.currency] += line.amount
    return [{"currency": c, "amount": a} for c, a in sorted(sums.items())]


@login_required
@_perm("view_journal")
def journal_list(request: HttpRequest) -> HttpResponse:
    journals = journals_with_totals().order_by("status", "-journal_date", "-pk")
    return render(request, "ledger/journal_list.html", {"journals": journals})


def _export(fmt: str, lines: Any) -> HttpResponseBase:
    return export_queryset(
        fmt,
        filename="journal-lines",
        queryset=lines,
        columns=[
            ("line_date", _("Date")),
            ("kind", _("Kind")),
            ("project__code", _("Project")),
            ("customer__code", _("Customer")),
            ("description", _("Description")),
            ("source_key", _("Source")),
            ("currency", _("Currency")),
            ("amount", _("Amount")),
            ("sales_tax_group__code", _("Sales tax group")),
            ("item_sales_tax_group__code", _("Item sales tax group")),
            ("status", _("Status")),
            ("error_reason", _("Error")),
        ],
        display={
            "kind": dict(JournalLineKind.choices),
            "status": dict(JournalLineStatus.choices),
        },
    )


def _rows(ids: list[int]) -> list[dict[str, Any]]:
    """The page's lines with the accounts they post to."""
    fetched = (
        JournalLine.objects.filter(pk__in=ids)
        .select_related("project", "customer", "sales_tax_group", "item_sales_tax_group", "entry")
        .prefetch_related("dimension_values")
    )
    lines = {line.pk: line for line in fetched}
    profiles = PostingProfiles()
    profiles.load(line.project for line in lines.values())
    rows = []
    for pk in ids:
        line = lines[pk]
        profile = profiles.of(line.project)
        accounts = (
            services.journal_line_accounts(kind=line.kind, amount=line.amount, profile=profile)
            if profile is not None
            else None
        )
        rows.append({"line": line, "accounts": accounts, "has_profile": profile is not None})
    return rows


@login_required
@_perm("view_journal")
def journal_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    journal: Any = get_object_or_404(journals_with_totals(), pk=pk)
    if request.method == "POST":
        return _bulk_edit(request, journal.pk)
    form = JournalLineFilterForm(request.GET or None)
    form.is_valid()
    lines = form.filtered(JournalLine.objects.filter(journal=journal))
    selected = _sums(lines)
    table = table_page(
        request,
        lines,
        columns=COLUMNS,
        default_sort="date",
        per_page=PAGE_SIZE,
        count=sum(s["count"] for s in selected),
    )
    table.filter_form = form
    if fmt := requested_format(request):
        return _export(fmt, table.page.paginator.object_list)
    rows = _rows(list(table.page.object_list.values_list("pk", flat=True)))  # type: ignore[attr-defined]
    can_edit = journal.draft_count and request.user.has_perm("ledger.change_journalline")
    return render(
        request,
        "ledger/journal_detail.html",
        {
            "journal": journal,
            "form": form,
            "table": table,
            "rows": rows,
            "journal_sums": _sums(JournalLine.objects.filter(journal=journal))
            if form.is_filtered
            else selected,
            "selected_sums": selected,
            "page_sums": _page_sums([r["line"] for r in rows]),
            "edit_form": JournalBulkEditForm(dimensions=list(Dimension.objects.order_by("code")))
            if can_edit
            else None,
        },
    )


def _bulk_edit(request: HttpRequest, journal_pk: int) -> HttpResponse:
    back = request.get_full_path()
    if not request.user.has_perm("ledger.change_journalline"):
        raise PermissionDenied
    form = JournalBulkEditForm(request.POST, dimensions=list(Dimension.objects.order_by("code")))
    if not form.is_valid():
        for text in form_error_texts(form):
            messages.error(request, text)
        return redirect(back)
    lines = JournalLine.objects.filter(journal_id=journal_pk)
    if form.cleaned_data["everything"]:
        lines = JournalLineFilterForm(request.GET or None).filtered(lines)
    else:
        lines = lines.filter(pk__in=form.cleaned_data["ids"])
    ids = list(lines.order_by("pk").values_list("pk", flat=True)[: BULK_LIMIT + 1])
    changes = form.changes()
    try:
        if not ids:
            raise ValidationError(_("Select at least one line."))
        if len(ids) > BULK_LIMIT:
            raise ValidationError(
                _("The filters select more than %(limit)s lines: narrow them first.")
                % {"limit": f"{BULK_LIMIT:,}"}
            )
        if not changes["dimensions"] and len(changes) == 1:
            raise ValidationError(_("Choose a tax group or a dimension value to set."))
        result = services.edit_journal_lines(line_ids=ids, **changes)
    except EXPECTED_ERRORS as exc:
        for text in error_texts(exc):
            messages.error(request, text)
        return redirect(back)
    messages.success(
        request,
        ngettext("%(n)d line changed.", "%(n)d lines changed.", result.changed)
        % {"n": result.changed},
    )
    if result.skipped_posted:
        messages.warning(
            request,
            ngettext(
                "%(n)d line skipped: it is posted and can no longer change.",
                "%(n)d lines skipped: they are posted and can no longer change.",
                result.skipped_posted,
            )
            % {"n": result.skipped_posted},
        )
    return redirect(back)


@login_required
@_perm("view_journal")
def suggest(request: HttpRequest, name: str) -> HttpResponse:
    """The ``<option>``s a journal filter box offers as the user types."""
    field = JournalLineFilterForm().fields.get(name)
    if not isinstance(field, LookupField):
        raise Http404
    return render(
        request,
        "includes/suggestions.html",
        {"options": field.suggestions(request.GET.get(name, ""))},
    )


@login_required
@_perm("post_journal")
@require_POST
def journal_post(request: HttpRequest, pk: int) -> HttpResponse:
    """*Post journal*: a background job posts the draft lines; its page shows the progress."""
    journal: Any = get_object_or_404(journals_with_totals(), pk=pk)
    if journal.status == JournalStatus.POSTED:
        messages.error(request, _("This journal is already posted."))
        return redirect("ledger:journal-detail", pk=journal.pk)
    job, started = services.start_journal_job(
        kind=JournalJobKind.POST,
        task=post_journal_job,
        journal=journal,
        total=journal.draft_count,
        by=request.user,
        now=timezone.now(),
    )
    if started:
        announce_started(request, job, _("Posting the journal in the background."))
    else:
        messages.info(request, _("This journal is being posted already: this is its progress."))
    return redirect("ledger:job-detail", pk=job.pk)


#: Seconds between reloads of a running job's page.
REFRESH_SECONDS = 3


@login_required
@_perm("view_journal")
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A journal job's progress (reloading itself while it runs) and outcome."""
    job = get_object_or_404(JournalJob.objects.select_related("journal", "started_by"), pk=pk)
    return render(
        request,
        "ledger/job_detail.html",
        {
            "job": job,
            "running": job.status == JobStatus.RUNNING,
            "refresh_seconds": REFRESH_SECONDS,
        },
    )
