"""The accountant's ledger pages: journals (review, edit, post), periods, reports, receivables
(open items, aging, customer statement, reconciliation with the receivables account).

Each page needs a ledger permission that only the project accountant's role holds (others get
403). Views read the clock and pass the time to the services, and turn a service's refusal
into a message on the page.
"""

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from contracts.exports import export_queryset, export_response, requested_format
from contracts.forms import ListFilterForm
from contracts.models import Customer, LegalEntity
from contracts.views import Column, table_page

from . import services
from .forms import DateRangeForm, LegalEntityDateForm, default_range
from .models import (
    Account,
    FiscalYear,
    Period,
)
from .queries import open_customer_transactions
from .receivables import (
    BUCKETS,
    aging_report,
    customer_statement,
    receivables_reconciliation,
)
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
def trial_balance_page(request: HttpRequest) -> HttpResponseBase:
    form, legal_entity, on_date = _entity_and_date(request)
    tb = trial_balance(legal_entity=legal_entity, on_date=on_date) if legal_entity else None
    if tb is not None and (fmt := requested_format(request)):
        return export_response(
            fmt,
            filename=f"trial-balance-{legal_entity.code if legal_entity else ''}-{on_date}",
            headers=[_("Account"), _("Name"), _("Debit"), _("Credit"), _("Balance")],
            rows=([r.account.code, r.account.name, r.debit, r.credit, r.balance] for r in tb.rows),
        )
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


# --- receivables ----------------------------------------------------------------------------


class OpenItemFilterForm(ListFilterForm):
    """Filters of the open items page; "overdue" is relative to ``today``."""

    q = forms.CharField(
        label=gettext_lazy("Document"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Number")}),
    )
    legal_entity = forms.ModelChoiceField(
        LegalEntity.objects.order_by("code"), required=False, label=gettext_lazy("Legal entity")
    )
    customer = forms.ModelChoiceField(
        Customer.objects.order_by("code"), required=False, label=gettext_lazy("Customer")
    )
    date = forms.DateField(
        label=gettext_lazy("Overdue at"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Default: today."),
    )
    due = forms.ChoiceField(
        label=gettext_lazy("Due"),
        required=False,
        choices=[
            ("", gettext_lazy("All")),
            ("overdue", gettext_lazy("Overdue")),
            ("not_due", gettext_lazy("Not yet due")),
        ],
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    @property
    def on_date(self) -> dt.date:
        """The date "overdue" refers to: the one chosen, else today."""
        return self.value("date") or self.today

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if q := self.value("q"):
            queryset = queryset.filter(document_number__icontains=q)
        if legal_entity := self.value("legal_entity"):
            queryset = queryset.filter(legal_entity=legal_entity)
        if customer := self.value("customer"):
            queryset = queryset.filter(customer=customer)
        due = self.value("due")
        if due == "overdue":
            queryset = queryset.filter(due_date__lt=self.on_date)
        elif due == "not_due":
            queryset = queryset.filter(due_date__gte=self.on_date)
        return queryset


class StatementForm(forms.Form):
    legal_entity = forms.ModelChoiceField(
        LegalEntity.objects.order_by("code"), required=False, label=gettext_lazy("Legal entity")
    )
    customer = forms.ModelChoiceField(
        Customer.objects.order_by("code"), label=gettext_lazy("Customer")
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error(
                "date_to", gettext_lazy("The end date may not be before the start date.")
            )
        return data


@login_required
@_perm("view_customertransaction")
def receivables(request: HttpRequest) -> HttpResponseBase:
    """The open items as they stand (filter by customer, overdue / not yet due at a date,
    default today; sort; page)."""
    filter_form = OpenItemFilterForm(request.GET or None, today=_today())
    table = table_page(
        request,
        open_customer_transactions().select_related("customer", "entry", "legal_entity"),
        columns=[
            Column(_("Customer"), "customer", ("customer__code",)),
            Column(_("Document"), "document", ("document_number",)),
            Column(_("Date"), "date", ("document_date",)),
            Column(_("Due"), "due", ("due_date",)),
            Column(_("Days overdue")),
            Column(_("Amount"), "amount", ("currency", "amount"), numeric=True),
            Column(_("Open"), "open", ("currency", "open_amount"), numeric=True),
        ],
        default_sort="due",
        filter_form=filter_form,
    )
    on_date = filter_form.on_date
    if fmt := requested_format(request):
        return export_queryset(
            fmt,
            filename="open-items",
            queryset=table.page.paginator.object_list,
            columns=[
                ("customer__code", _("Customer")),
                ("customer__name", _("Name")),
                ("document_number", _("Document")),
                ("document_date", _("Date")),
                ("due_date", _("Due")),
                ("currency", _("Currency")),
                ("amount", _("Amount")),
                ("open_amount", _("Open")),
            ],
        )
    rows = [
        {"item": item, "days_overdue": max((on_date - item.due_date).days, 0)}
        for item in table.rows
    ]
    return render(
        request,
        "ledger/receivables/open_items.html",
        {"table": table, "rows": rows, "form": filter_form, "on_date": on_date},
    )


@login_required
@_perm("view_reports")
def aging_page(request: HttpRequest) -> HttpResponseBase:
    form, legal_entity, on_date = _entity_and_date(request)
    report = aging_report(legal_entity=legal_entity, on_date=on_date) if legal_entity else None
    if report is not None and (fmt := requested_format(request)):
        return export_response(
            fmt,
            filename=f"aging-{report.legal_entity.code}-{on_date}",
            headers=[
                _("Customer"),
                _("Name"),
                _("Currency"),
                *[label for _key, label in BUCKETS],
                _("Total"),
            ],
            rows=(
                [row.customer.code, row.customer.name, currency, *amounts.as_list(), amounts.total]
                for row in report.rows
                for currency, amounts in sorted(row.by_currency.items())
            ),
        )
    return render(
        request,
        "ledger/receivables/aging.html",
        {"form": form, "report": report, "buckets": BUCKETS},
    )


@login_required
@_perm("view_reports")
def statement_page(request: HttpRequest) -> HttpResponse:
    form = StatementForm(request.GET or None)
    statement = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        legal_entity = data["legal_entity"] or LegalEntity.objects.order_by("code", "pk").first()
        date_from, date_to = default_range(_today())
        if legal_entity is not None:
            statement = customer_statement(
                legal_entity=legal_entity,
                customer=data["customer"],
                date_from=data["date_from"] or date_from,
                date_to=data["date_to"] or date_to,
            )
    return render(
        request, "ledger/receivables/statement.html", {"form": form, "statement": statement}
    )


@login_required
@_perm("view_reports")
def receivables_reconciliation_page(request: HttpRequest) -> HttpResponse:
    form, legal_entity, on_date = _entity_and_date(request)
    rec = (
        receivables_reconciliation(legal_entity=legal_entity, on_date=on_date)
        if legal_entity
        else None
    )
    return render(request, "ledger/receivables/reconciliation.html", {"form": form, "rec": rec})
