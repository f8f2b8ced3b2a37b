"""Who sees which backlog items, invoices and runs, the backlog's filters and its totals.

Shared by the API (:mod:`invoicing.api`) and the portal pages (:mod:`invoicing.portal`), so
the rules live in one place:

- **scope** (DOMAIN.md §7): accountants and administrators read everything; a project manager
  sees the backlog items and invoices of the contracts they manage
  (:func:`contracts.queries.contracts_visible_to`), and anything else is answered as if it did
  not exist (404);
- **the T&M backlog**: unbilled sales actuals that are chargeable and still in the backlog
  (billing status *not ready*, *ready*, *on draft*). Written-off, invoiced and cancelled items,
  and reversal rows (which have no billing state) are not in it;
- **totals** of a filtered backlog: count, hours and amount per currency in one aggregate
  query (amounts in different currencies are never added), read from the trigger-kept
  :class:`~actuals.models.BacklogTotal` when only contract and status are filtered.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import django_filters as df
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from actuals.models import (
    BACKLOG_STATUSES,
    Actual,
    ActualType,
    BacklogTotal,
    BillingStatus,
    BillingType,
    NteStatus,
)
from contracts.models import TransactionClass
from contracts.money import ZERO, round_money, round_quantity
from contracts.queries import contracts_visible_to
from invoicing.models import Invoice, InvoiceRun, InvoiceStatus

#: Billing statuses a backlog item can have (the filter's choices).
BACKLOG_STATUS_CHOICES = [(s.value, s.label) for s in BACKLOG_STATUSES]


def backlog_visible_to(user: Any, *, written_off: bool = False) -> QuerySet[Actual]:
    """The T&M backlog the user may see (see the module); ``written_off``: the items written off
    instead (to reverse a write-off)."""
    return Actual.objects.filter(
        actual_type=ActualType.UNBILLED_SALES,
        billing_type=BillingType.CHARGEABLE,
        billing__status__in=[BillingStatus.WRITTEN_OFF] if written_off else BACKLOG_STATUSES,
        contract__in=contracts_visible_to(user).values("pk"),
    ).annotate(billing_status=F("billing__status"))


def backlog_scope(user: Any) -> QuerySet[Actual]:
    """What the backlog services may touch for this user: their contracts' unbilled actuals
    (the services themselves refuse items in the wrong state, with the reason)."""
    return Actual.objects.filter(
        actual_type=ActualType.UNBILLED_SALES,
        contract__in=contracts_visible_to(user).values("pk"),
    )


def invoices_visible_to(user: Any) -> QuerySet[Invoice]:
    return Invoice.objects.filter(contract__in=contracts_visible_to(user).values("pk"))


def runs_visible_to(user: Any) -> QuerySet[InvoiceRun]:
    """Runs are not owned by anyone: whoever may view runs sees them all (their failures name
    contracts, which the pages show only as far as the user may see them)."""
    return InvoiceRun.objects.all()


def with_net(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Invoices with ``net`` (sum of chargeable details) and ``detail_count``, in one query."""
    return invoices.annotate(
        net=Sum("details__amount", filter=Q(details__billing_type=BillingType.CHARGEABLE)),
        detail_count=Count("details"),
    )


@dataclass(frozen=True)
class CurrencyTotal:
    """Items in one currency: how many, their hours (time items only: an expense's quantity is
    kilometres, nights or pieces, never added to hours) and their amount."""

    currency: str
    count: int
    hours: Decimal
    amount: Decimal


@dataclass(frozen=True)
class BacklogTotals:
    """Totals of a filtered backlog: the whole count, and per currency count/hours/amount."""

    count: int = 0
    currencies: list[CurrencyTotal] = field(default_factory=list)


#: Filters :class:`actuals.models.BacklogTotal` can answer (with the user's contracts).
SUMMARY_FILTERS = {"contract", "billing_status"}


def backlog_totals(
    items: QuerySet[Actual], *, user: Any = None, filters: Mapping[str, Any] | None = None
) -> BacklogTotals:
    """The count and per currency hours and amount of the filtered items, in one query.

    With ``user`` and the ``filters`` used (cleaned values), when they name only a contract
    and a backlog status (the default view included), the totals are read from the few
    :class:`~actuals.models.BacklogTotal` rows of the user's contracts, which triggers keep
    equal to the items; otherwise the items are summed (GROUP BY currency)."""
    used = {name for name, value in (filters or {}).items() if value not in (None, "", [])}
    status = (filters or {}).get("billing_status")
    if user is not None and used <= SUMMARY_FILTERS and (not status or status in BACKLOG_STATUSES):
        summary = BacklogTotal.objects.filter(
            contract__in=contracts_visible_to(user).values("pk"),
            status__in=[status] if status else BACKLOG_STATUSES,
        )
        if (contract := (filters or {}).get("contract")) is not None:
            summary = summary.filter(contract=contract)
        grouped: QuerySet[Any, Any] = summary.values("currency").annotate(
            n=Sum("items"), hours=Sum("hours"), amount=Sum("amount")
        )
    else:
        grouped = items.values("currency").annotate(
            n=Count("pk"),
            hours=Sum("quantity", filter=Q(transaction_class=TransactionClass.TIME)),
            amount=Sum("amount"),
        )
    rows = [
        CurrencyTotal(
            currency=r["currency"],
            count=r["n"],
            hours=round_quantity(r["hours"] or ZERO),
            amount=round_money(r["amount"] or ZERO, r["currency"]),
        )
        for r in grouped.order_by("currency")
        if r["n"]
    ]
    return BacklogTotals(count=sum(r.count for r in rows), currencies=rows)


def backlog_rows(ids: list[int]) -> list[Actual]:
    """The rows of one page, in the page's order, with what a row shows.

    A backlog page is found in two steps: the sorted, paged query selects only ids (a narrow
    sort over the filtered items, no joins unless the sort needs one), then this fetches those
    50 rows with their contract, customer, project and resource. Page 2,000 of 100,000 rows
    then costs about what page 1 does.
    """
    rows = Actual.objects.select_related(
        "billing", "contract", "customer", "project", "resource"
    ).in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


# --- the backlog's filters (the API's FilterSet and the page's form use these lookups) ---------


def filter_backlog(items: QuerySet[Actual], values: dict[str, Any]) -> QuerySet[Actual]:
    """Narrow the backlog by the given filter values (missing or empty values are ignored)."""
    lookups = {
        "contract": "contract",
        "customer": "customer",
        "project": "project",
        "transaction_class": "transaction_class",
        "resource": "resource",
        "date_from": "transaction_date__gte",
        "date_to": "transaction_date__lte",
        "billing_status": "billing__status",
    }
    for name, lookup in lookups.items():
        value = values.get(name)
        if value not in (None, ""):
            items = items.filter(**{lookup: value})
    nte_failed = values.get("nte_failed")
    if nte_failed is True:
        items = items.filter(billing__nte_status=NteStatus.FAILED)
    elif nte_failed is False:
        items = items.exclude(billing__nte_status=NteStatus.FAILED)
    return items


class BacklogFilter(df.FilterSet):
    contract = df.NumberFilter(help_text=_("Items of this contract (id)."))
    customer = df.NumberFilter(help_text=_("Items billed to this customer (id)."))
    project = df.NumberFilter(help_text=_("Items of this project (id)."))
    transaction_class = df.ChoiceFilter(
        choices=TransactionClass.choices, help_text=_("time, expense, material, fee …")
    )
    resource = df.NumberFilter(help_text=_("Items booked by this resource (id)."))
    date_from = df.DateFilter(
        field_name="transaction_date",
        lookup_expr="gte",
        help_text=_("Transaction date on or after (YYYY-MM-DD)."),
    )
    date_to = df.DateFilter(
        field_name="transaction_date",
        lookup_expr="lte",
        help_text=_("Transaction date on or before (YYYY-MM-DD)."),
    )
    billing_status = df.ChoiceFilter(
        field_name="billing__status",
        choices=BACKLOG_STATUS_CHOICES,
        help_text=_("not_ready, ready or on_draft."),
    )
    nte_failed = df.BooleanFilter(
        method="filter_nte_failed",
        help_text=_("true: only items that failed their not-to-exceed limit; false: none of them."),
    )

    class Meta:
        model = Actual
        fields = [
            "contract",
            "customer",
            "project",
            "transaction_class",
            "resource",
            "date_from",
            "date_to",
            "billing_status",
            "nte_failed",
        ]

    def filter_nte_failed(
        self, queryset: QuerySet[Actual], name: str, value: bool | None
    ) -> QuerySet[Actual]:
        return filter_backlog(queryset, {"nte_failed": value})


class InvoiceFilter(df.FilterSet):
    status = df.ChoiceFilter(
        choices=InvoiceStatus.choices, help_text=_("draft, in_review, confirmed or posted.")
    )
    open = df.BooleanFilter(
        method="filter_open", help_text=_("true: drafts and invoices in review only.")
    )
    contract = df.NumberFilter(help_text=_("Invoices of this contract (id)."))
    customer = df.NumberFilter(help_text=_("Invoices to this customer (id)."))
    credit_notes = df.BooleanFilter(
        field_name="is_credit_note",
        help_text=_("true: credit notes only; false: invoices only."),
    )

    class Meta:
        model = Invoice
        fields = ["status", "open", "contract", "customer", "credit_notes"]

    def filter_open(
        self, queryset: QuerySet[Invoice], name: str, value: bool | None
    ) -> QuerySet[Invoice]:
        open_q = Q(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.IN_REVIEW])
        if value is None:
            return queryset
        return queryset.filter(open_q) if value else queryset.exclude(open_q)
