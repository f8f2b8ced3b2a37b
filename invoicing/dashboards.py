"""Reads behind the home pages: each answers its role's first question in a handful of
aggregate queries (never one per row), drawn from the same queries the work pages use.

**Project manager** — "what do I need to do, and what is it worth?", over the contracts they
manage (their own, even when they may also read everything as an accountant):

- *unbilled value by contract*: the T&M backlog (:func:`invoicing.filters.backlog_visible_to`:
  chargeable unbilled sales, *not ready* / *ready* / *on draft*), summed per contract and
  currency, with the ready amount apart (one GROUP BY, one query for the contracts);
- *waiting for my approval*: submitted time and expense entries on my projects
  (:func:`actuals.queries.approvals_waiting`, two counts);
- *drafts to confirm*: my open invoices (draft, in review), counted with their net (the sum of
  chargeable details, as :func:`invoicing.filters.with_net`) per currency (one GROUP BY);
- *not-to-exceed warnings*: backlog items whose not-to-exceed check failed, counted, and the
  few largest with their contract and level (two queries);
- *unbilled and invoiced value per month*: the last 12 months, one chart per currency (amounts
  in different currencies are never added). Unbilled = the backlog above, by the month of the
  work; invoiced = the chargeable details of confirmed and posted invoices (credit notes
  negative), by the month of their **invoice date**, which is when the value was invoiced
  (two GROUP BY queries).

**Team member** — "what have I booked this week?": own time entries of one week (Monday to
Sunday) summed per day and status (one GROUP BY), and the count of returned time and expense
entries to fix (two counts).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from actuals.models import (
    Actual,
    BillingStatus,
    BillingType,
    EntryStatus,
    ExpenseEntry,
    NteStatus,
    TimeEntry,
)
from actuals.queries import approvals_waiting, own_entries
from contracts.models import Contract, LegalEntity
from contracts.money import ZERO
from invoicing.charts import BarChart, Category, Series, bar_chart
from invoicing.filters import backlog_visible_to
from invoicing.models import OPEN_STATUSES, Invoice, InvoiceDetail, InvoiceStatus
from ledger.models import Journal, JournalStatus
from ledger.queries import journals_with_totals
from ledger.receivables import BUCKETS as AGING_BUCKETS
from ledger.receivables import AgingReport, aging_report, receivables_reconciliation

#: How many months the project manager's chart shows (the current one included).
CHART_MONTHS = 12
#: How many not-to-exceed warnings the home page lists (the count covers them all).
NTE_TOP = 5

# --- project manager ----------------------------------------------------------------------------


def own_contracts(user: Any) -> QuerySet[Contract]:
    return Contract.objects.filter(project_manager=user)


def own_backlog(user: Any) -> QuerySet[Actual]:
    """The backlog page's items, narrowed to the contracts the user manages."""
    return backlog_visible_to(user).filter(contract__in=own_contracts(user).values("pk"))


@dataclass(frozen=True)
class ContractUnbilled:
    contract: Contract
    currency: str
    count: int
    not_ready: Decimal
    ready: Decimal
    on_draft: Decimal
    total: Decimal


@dataclass(frozen=True)
class CurrencyAmounts:
    currency: str
    total: Decimal
    ready: Decimal


@dataclass(frozen=True)
class Unbilled:
    rows: list[ContractUnbilled]
    #: Per currency: the whole backlog and its ready part.
    totals: list[CurrencyAmounts]


def unbilled_by_contract(user: Any) -> Unbilled:
    """The backlog of my contracts per contract and currency, split by billing status."""

    def by_status(status: str) -> Sum:
        return Sum("amount", filter=Q(billing__status=status))

    grouped = list(
        own_backlog(user)
        .order_by()
        .values("contract", "currency")
        .annotate(
            n=Count("pk"),
            not_ready=by_status(BillingStatus.NOT_READY),
            ready=by_status(BillingStatus.READY),
            on_draft=by_status(BillingStatus.ON_DRAFT),
            total=Sum("amount"),
        )
    )
    contracts = Contract.objects.in_bulk({r["contract"] for r in grouped})
    rows = sorted(
        (
            ContractUnbilled(
                contract=contracts[r["contract"]],
                currency=r["currency"],
                count=r["n"],
                not_ready=r["not_ready"] or ZERO,
                ready=r["ready"] or ZERO,
                on_draft=r["on_draft"] or ZERO,
                total=r["total"] or ZERO,
            )
            for r in grouped
        ),
        key=lambda row: (row.contract.number, row.contract.pk, row.currency),
    )
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for row in rows:
        totals[row.currency][0] += row.total
        totals[row.currency][1] += row.ready
    return Unbilled(
        rows=rows,
        totals=[
            CurrencyAmounts(cur, total, ready) for cur, (total, ready) in sorted(totals.items())
        ],
    )


@dataclass(frozen=True)
class Approvals:
    time: int
    expenses: int

    @property
    def total(self) -> int:
        return self.time + self.expenses


def approvals_count(user: Any) -> Approvals:
    return Approvals(
        time=approvals_waiting(user, TimeEntry).count(),
        expenses=approvals_waiting(user, ExpenseEntry).count(),
    )


@dataclass(frozen=True)
class DraftTotal:
    currency: str
    count: int
    net: Decimal


@dataclass(frozen=True)
class Drafts:
    count: int
    totals: list[DraftTotal]


def open_drafts(user: Any) -> Drafts:
    """My open invoices (draft, in review): how many, and their net per currency."""
    rows = [
        DraftTotal(currency=r["currency"], count=r["n"], net=r["net"] or ZERO)
        for r in Invoice.objects.filter(
            contract__in=own_contracts(user).values("pk"), status__in=OPEN_STATUSES
        )
        .order_by()
        .values("currency")
        .annotate(
            n=Count("pk", distinct=True),
            net=Sum("details__amount", filter=Q(details__billing_type=BillingType.CHARGEABLE)),
        )
        .order_by("currency")
    ]
    return Drafts(count=sum(r.count for r in rows), totals=rows)


@dataclass(frozen=True)
class NteWarnings:
    count: int
    #: The largest few, with their contract (``select_related``).
    top: list[Actual]


def nte_warnings(user: Any, *, limit: int = NTE_TOP) -> NteWarnings:
    failed = own_backlog(user).filter(billing__nte_status=NteStatus.FAILED)
    return NteWarnings(
        count=failed.count(),
        top=list(failed.select_related("contract", "billing").order_by("-amount", "pk")[:limit]),
    )


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def chart_months(today: dt.date, count: int = CHART_MONTHS) -> list[dt.date]:
    """The first days of the last ``count`` months, the month of ``today`` last."""
    first = _add_months(today, -(count - 1))
    return [_add_months(first, i) for i in range(count)]


@dataclass(frozen=True)
class MonthlyValues:
    currency: str
    months: list[dt.date]
    unbilled: list[Decimal]
    invoiced: list[Decimal]


def monthly_values(user: Any, *, today: dt.date) -> list[MonthlyValues]:
    """Unbilled value per month of the work and invoiced value per month of the invoice date,
    of my contracts, one entry per currency that has any (see the module)."""
    months = chart_months(today)
    start, end = months[0], _add_months(months[-1], 1)
    invoiced = InvoiceDetail.objects.filter(
        billing_type=BillingType.CHARGEABLE,
        invoice__status__in=[InvoiceStatus.CONFIRMED, InvoiceStatus.POSTED],
        invoice__contract__in=own_contracts(user).values("pk"),
        invoice__invoice_date__gte=start,
        invoice__invoice_date__lt=end,
    ).annotate(month=TruncMonth("invoice__invoice_date"))
    unbilled = (
        own_backlog(user)
        .filter(transaction_date__gte=start, transaction_date__lt=end)
        .annotate(month=TruncMonth("transaction_date"))
    )
    sums: dict[str, dict[str, dict[dt.date, Decimal]]] = defaultdict(
        lambda: {"unbilled": {}, "invoiced": {}}
    )
    for kind, items in (("unbilled", unbilled), ("invoiced", invoiced)):
        for r in items.order_by().values("month", "currency").annotate(amount=Sum("amount")):
            sums[r["currency"]][kind][r["month"]] = r["amount"]
    return [
        MonthlyValues(
            currency=currency,
            months=months,
            unbilled=[sums[currency]["unbilled"].get(m, ZERO) for m in months],
            invoiced=[sums[currency]["invoiced"].get(m, ZERO) for m in months],
        )
        for currency in sorted(sums)
    ]


def month_categories(months: list[dt.date]) -> list[Category]:
    """Short month names under the bars, the year under the first month and each January."""
    return [
        Category(
            label=date_format(m, "M"),
            title=date_format(m, "F Y"),
            sublabel=date_format(m, "Y") if i == 0 or m.month == 1 else "",
        )
        for i, m in enumerate(months)
    ]


def monthly_charts(user: Any, *, today: dt.date) -> list[BarChart]:
    """One chart of unbilled and invoiced value per month for each currency."""
    return [
        bar_chart(
            chart_id=f"chart-monthly-{values.currency.lower()}",
            title=_("Unbilled and invoiced value per month (%(currency)s)")
            % {"currency": values.currency},
            categories=month_categories(values.months),
            series=[
                Series(_("Unbilled"), values.unbilled),
                Series(_("Invoiced"), values.invoiced),
            ],
            unit=values.currency,
            category_heading=_("Month"),
        )
        for values in monthly_values(user, today=today)
    ]


@dataclass(frozen=True)
class ManagerDashboard:
    unbilled: Unbilled
    approvals: Approvals
    drafts: Drafts
    nte: NteWarnings
    charts: list[BarChart]


def manager_dashboard(user: Any, *, today: dt.date) -> ManagerDashboard:
    return ManagerDashboard(
        unbilled=unbilled_by_contract(user),
        approvals=approvals_count(user),
        drafts=open_drafts(user),
        nte=nte_warnings(user),
        charts=monthly_charts(user, today=today),
    )


# --- team member -------------------------------------------------------------------------------

#: The columns of the week table, in the entry lifecycle's order.
WEEK_STATUSES = (
    EntryStatus.DRAFT,
    EntryStatus.SUBMITTED,
    EntryStatus.APPROVED,
    EntryStatus.RETURNED,
)


@dataclass(frozen=True)
class DayHours:
    day: dt.date
    #: Hours per status, in :data:`WEEK_STATUSES` order.
    by_status: list[tuple[str, Decimal]]
    total: Decimal


@dataclass(frozen=True)
class WeekHours:
    start: dt.date
    end: dt.date
    days: list[DayHours]
    totals: list[tuple[str, Decimal]]
    total: Decimal
    returned: int

    @property
    def previous_start(self) -> dt.date:
        return self.start - dt.timedelta(days=7)

    @property
    def next_start(self) -> dt.date:
        return self.start + dt.timedelta(days=7)

    @property
    def statuses(self) -> list[tuple[str, Any]]:
        return [(s.value, s.label) for s in WEEK_STATUSES]


def week_hours(user: Any, *, start: dt.date) -> WeekHours:
    """My hours of the week starting on Monday ``start``, per day and status."""
    days = [start + dt.timedelta(days=i) for i in range(7)]
    hours: dict[tuple[dt.date, str], Decimal] = {
        (r["entry_date"], r["status"]): r["hours"]
        for r in own_entries(user, TimeEntry)
        .filter(entry_date__range=(days[0], days[-1]))
        .order_by()
        .values("entry_date", "status")
        .annotate(hours=Sum("hours"))
    }
    rows = []
    for day in days:
        by_status = [(s.value, hours.get((day, s.value), ZERO)) for s in WEEK_STATUSES]
        rows.append(
            DayHours(day=day, by_status=by_status, total=sum((h for _s, h in by_status), ZERO))
        )
    totals = [
        (s.value, sum((hours.get((day, s.value), ZERO) for day in days), ZERO))
        for s in WEEK_STATUSES
    ]
    returned = (
        own_entries(user, TimeEntry).filter(status=EntryStatus.RETURNED).count()
        + own_entries(user, ExpenseEntry).filter(status=EntryStatus.RETURNED).count()
    )
    return WeekHours(
        start=days[0],
        end=days[-1],
        days=rows,
        totals=totals,
        total=sum((h for _s, h in totals), ZERO),
        returned=returned,
    )


# --- the project accountant ---------------------------------------------------------------


@dataclass(frozen=True)
class ReceivablesCard:
    """One legal entity's receivables today: aging (with its chart) and reconciliation."""

    legal_entity: LegalEntity
    aging: AgingReport
    rec: Any
    chart: BarChart


@dataclass(frozen=True)
class AccountantDashboard:
    journals: list[Journal]
    proposals: int
    receivables: list[ReceivablesCard]


def accountant_dashboard(*, today: dt.date) -> AccountantDashboard:
    """Journals with lines to post, invoice proposals waiting, and per legal entity the
    receivables aging (the aging report's own figures, drawn as a chart) and whether the open
    items reconcile with the receivables account."""
    journals = [
        journal
        for journal in journals_with_totals()
        .filter(status=JournalStatus.OPEN)
        .order_by("journal_date", "pk")
        if getattr(journal, "draft_count", 0)  # annotated by journals_with_totals
    ]
    proposals = Invoice.objects.filter(status=InvoiceStatus.CONFIRMED).count()
    cards = []
    for legal_entity in LegalEntity.objects.order_by("code", "pk"):
        aging = aging_report(legal_entity=legal_entity, on_date=today)
        cards.append(
            ReceivablesCard(
                legal_entity=legal_entity,
                aging=aging,
                rec=receivables_reconciliation(legal_entity=legal_entity, on_date=today),
                chart=bar_chart(
                    chart_id=f"aging-{legal_entity.pk}",
                    title=_("Receivables by age, %(entity)s") % {"entity": legal_entity.code},
                    categories=[label for _key, label in AGING_BUCKETS],
                    series=[Series(label=_("Open"), values=aging.accounting_totals.as_list())],
                    unit=legal_entity.accounting_currency,
                    category_heading=_("Age"),
                    empty_text=_("No open receivables."),
                ),
            )
        )
    return AccountantDashboard(journals=journals, proposals=proposals, receivables=cards)
