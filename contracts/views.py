"""Portal pages for contracts, and the list-page pattern the portal's other lists reuse.

**The list pattern.** A list page declares its :class:`Column` s (label, sort key, the fields to
order by), optionally a :class:`contracts.forms.ListFilterForm`, and calls :func:`table_page`;
the template includes ``includes/filter_form.html``, ``includes/table_head.html`` and
``includes/pagination.html``. Sorting is ``?sort=key`` or ``?sort=-key`` (descending), always
with the primary key as the last, unique tie-breaker, so paging is stable; ``?page=n`` pages
(25 rows a page by default; an out-of-range page shows the last one). Sort and page links keep
the filter parameters.

**Scope.** Every page starts from :func:`contracts.queries.contracts_visible_to`: a project
manager sees their own contracts and gets 404 for another's; accountants and administrators
see all. Who may open the pages at all is the ``contracts.view_contract`` permission (team
members do not hold it: 403).
"""

import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import DatabaseError
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from contracts.forms import ContractFilterForm, ListFilterForm
from contracts.history import history_of
from contracts.models import (
    BillingMethod,
    Contract,
    ContractCustomer,
    ContractLine,
    ContractLineScope,
    InvoiceScheduleEntry,
    LineBillingRule,
    LineCustomer,
    Milestone,
    PriceList,
    TransactionClass,
)
from contracts.queries import contracts_visible_to

# --- the list pattern -------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a list table. ``order_by`` empty: the column is not sortable."""

    label: Any
    key: str = ""
    order_by: tuple[str, ...] = ()
    numeric: bool = False
    #: The sort column may be empty (no cursor paging by it: see ``table_page``).
    nullable: bool = False


@dataclass(frozen=True)
class HeaderCell:
    label: Any
    numeric: bool
    url: str = ""
    #: "ascending" / "descending" when the table is sorted by this column (for aria-sort).
    direction: str = ""


@dataclass(frozen=True)
class PageLink:
    """One pager entry; ``number`` None is a gap ("…")."""

    number: int | None
    url: str = ""
    current: bool = False


@dataclass
class Table:
    page: Page
    headers: list[HeaderCell]
    sort: str
    filter_form: ListFilterForm | None = None
    page_links: list[PageLink] = field(default_factory=list)
    previous_url: str = ""
    next_url: str = ""

    @property
    def rows(self) -> list[Any]:
        return list(self.page.object_list)

    @property
    def count(self) -> int:
        return self.page.paginator.count


def _cursor(values: tuple[Any, ...]) -> str:
    return urlsafe_b64encode(json.dumps([str(v) for v in values]).encode()).decode()


def _uncursor(token: str, size: int) -> list[str] | None:
    try:
        values = json.loads(urlsafe_b64decode(token.encode()))
    except ValueError:
        return None
    ok = isinstance(values, list) and len(values) == size
    return [str(v) for v in values] if ok else None


def _beyond(fields: list[str], values: list[str], *, forward: bool) -> Q:
    """Rows after (``forward``) or before the cursor ``values`` in the order of ``fields``
    (each ``-field`` descending; all in one direction), lexicographically, with the first
    field's range stated on its own so that an index on the sort serves it."""
    descending = fields[0].startswith("-")
    greater = forward != descending
    names = [f.removeprefix("-") for f in fields]
    first = "gte" if greater else "lte"
    beyond = Q()
    for i, name in enumerate(names):
        step = Q(**{f"{name}__{'gt' if greater else 'lt'}": values[i]})
        for prior, value in zip(names[:i], values[:i], strict=True):
            step &= Q(**{prior: value})
        beyond |= step
    return Q(**{f"{names[0]}__{first}": values[0]}) & beyond


def _reversed(fields: list[str]) -> list[str]:
    return [f.removeprefix("-") if f.startswith("-") else f"-{f}" for f in fields]


def table_page(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    columns: list[Column],
    default_sort: str,
    filter_form: ListFilterForm | None = None,
    per_page: int = 25,
    prefix: str = "",
    count: int | None = None,
    keyset: bool = False,
) -> Table:
    """Filter, sort and page ``queryset`` for one list table.

    ``prefix`` keeps two tables on one page apart (``?c-sort=…&c-page=…``); ``count``, when
    the caller already knows it (from the totals' aggregate), spares the pager its own count.

    ``keyset`` (a table of a million rows): *Previous*, *Next* and the last page carry a cursor
    (``after`` / ``before``: the sort values of the page's edge row), so page 10,000 reached
    by them reads 50 rows from the sort's index instead of skipping 500,000; other page links,
    and sorts by a column that may be empty (``Column.nullable``), skip rows as usual.
    """
    sort_param, page_param = f"{prefix}sort", f"{prefix}page"
    after_param, before_param = f"{prefix}after", f"{prefix}before"
    if filter_form is not None:
        queryset = filter_form.filtered(queryset)
    sortable = {c.key: c for c in columns if c.key and c.order_by}
    sort = request.GET.get(sort_param, default_sort)
    key = sort.removeprefix("-")
    if key not in sortable:
        sort, key = default_sort, default_sort.removeprefix("-")
    descending = sort.startswith("-")
    sign = "-" if descending else ""
    ordering = [f"{sign}{f}" for f in sortable[key].order_by] + [f"{sign}pk"]
    paginator = Paginator(queryset.order_by(*ordering), per_page)
    if count is not None:
        paginator.count = count  # type: ignore[misc]  # a cached_property, set ahead
    keyset = keyset and not sortable[key].nullable
    page = paginator.get_page(request.GET.get(page_param))
    if keyset:
        page = _keyset_page(request, paginator, page, ordering, after_param, before_param)

    headers = []
    for column in columns:
        if column.key not in sortable:
            headers.append(HeaderCell(label=column.label, numeric=column.numeric))
            continue
        params = request.GET.copy()
        params.pop(page_param, None)
        is_current = column.key == key
        params[sort_param] = f"-{column.key}" if is_current and not descending else column.key
        headers.append(
            HeaderCell(
                label=column.label,
                numeric=column.numeric,
                url=f"?{params.urlencode()}",
                direction=("descending" if descending else "ascending") if is_current else "",
            )
        )

    def page_url(number: int, **cursor: str) -> str:
        params = request.GET.copy()
        params[page_param] = str(number)
        params.pop(after_param, None)
        params.pop(before_param, None)
        for name, value in cursor.items():
            params[f"{prefix}{name}"] = value
        return f"?{params.urlencode()}"

    edges: dict[str, dict[str, str]] = {}
    if keyset:
        # One read of the page's sort values (its last column the id); the page is then its
        # rows by id, so whatever the caller reads of it costs no second sort.
        page_rows: Any = page.object_list
        rows = list(page_rows.values_list(*[f.removeprefix("-") for f in ordering]))
        all_rows: Any = paginator.object_list
        page.object_list = all_rows.filter(pk__in=[r[-1] for r in rows])
        if rows:
            edges = {
                "previous": {"before": _cursor(rows[0])},
                "next": {"after": _cursor(rows[-1])},
                "last": {"before": "end"},
            }

    shown = sorted(
        {1, paginator.num_pages, *range(page.number - 2, page.number + 3)}
        & set(paginator.page_range)
    )
    links: list[PageLink] = []
    for number in shown:
        if links and links[-1].number is not None and number - links[-1].number > 1:
            links.append(PageLink(None))
        cursor = (
            edges.get("previous", {})
            if number == page.number - 1
            else edges.get("next", {})
            if number == page.number + 1
            else edges.get("last", {})
            if number == paginator.num_pages
            else {}
        )
        links.append(PageLink(number, page_url(number, **cursor), number == page.number))
    return Table(
        page=page,
        headers=headers,
        sort=sort,
        filter_form=filter_form,
        page_links=links if paginator.num_pages > 1 else [],
        previous_url=page_url(page.previous_page_number(), **edges.get("previous", {}))
        if page.has_previous()
        else "",
        next_url=page_url(page.next_page_number(), **edges.get("next", {}))
        if page.has_next()
        else "",
    )


def _keyset_page(
    request: HttpRequest,
    paginator: Paginator,
    page: Page,
    ordering: list[str],
    after_param: str,
    before_param: str,
) -> Page:
    """The page the cursor in the request points at, numbered as the link said (see
    :func:`table_page`); without a usable cursor, ``page`` itself."""
    queryset: Any = paginator.object_list
    fields = [f.removeprefix("-") for f in ordering]
    after, before = request.GET.get(after_param), request.GET.get(before_param)
    if before == "end":
        rows = paginator.count - (paginator.num_pages - 1) * paginator.per_page
        ids = list(queryset.order_by(*_reversed(ordering)).values_list("pk", flat=True)[:rows])
        return Page(queryset.filter(pk__in=ids), paginator.num_pages, paginator)
    token, forward = (after, True) if after else (before, False) if before else (None, True)
    values = _uncursor(token, len(fields)) if token else None
    if values is None:
        return page
    try:
        beyond = queryset.filter(_beyond(ordering, values, forward=forward))
        if forward:
            object_list = beyond[: paginator.per_page]
        else:
            ids = list(
                beyond.order_by(*_reversed(ordering)).values_list("pk", flat=True)[
                    : paginator.per_page
                ]
            )
            object_list = queryset.filter(pk__in=ids)
        len(object_list)  # a cursor that is not a value of its field is refused here
    except (ValueError, ValidationError, DatabaseError):  # a tampered cursor: out of range …
        return page
    return Page(object_list, page.number, paginator)


# --- contract pages ---------------------------------------------------------------------

CONTRACT_COLUMNS = [
    Column(_("Number"), "number", ("number",)),
    Column(_("Name"), "name", ("name",)),
    Column(_("Customers")),
    Column(_("Currency")),
    Column(_("Not-to-exceed"), numeric=True),
    Column(_("Start date"), "start_date", ("start_date",)),
    Column(_("Status")),
]


def contracts_for_table(contracts: QuerySet[Contract]) -> QuerySet[Contract]:
    """Contracts with what a list row shows (customers by split, largest first)."""
    return contracts.select_related("project_manager").prefetch_related(
        Prefetch(
            "contract_customers",
            queryset=ContractCustomer.objects.select_related("customer").order_by(
                "-split_percent", "pk"
            ),
        )
    )


@login_required
@permission_required("contracts.view_contract", raise_exception=True)
def contract_list(request: HttpRequest) -> HttpResponse:
    visible = contracts_visible_to(request.user)
    form = ContractFilterForm(request.GET or None, contracts=visible)
    table = table_page(
        request,
        contracts_for_table(visible),
        columns=CONTRACT_COLUMNS,
        default_sort="number",
        filter_form=form,
    )
    return render(request, "contracts/contract_list.html", {"table": table, "form": form})


@dataclass
class CoverageRow:
    project: Any
    task: Any
    classes: list[str]


@dataclass
class LineView:
    """A contract line as the detail page shows it."""

    line: ContractLine
    coverage: list[CoverageRow]
    customers: list[LineCustomer]
    rules: list[LineBillingRule]
    schedule: list[InvoiceScheduleEntry]
    milestones: list[Milestone]

    @property
    def is_fixed_price(self) -> bool:
        return self.line.billing_method == BillingMethod.FIXED_PRICE


def _line_views(contract: Contract) -> list[LineView]:
    class_order = {value: i for i, value in enumerate(TransactionClass.values)}
    class_label = dict(TransactionClass.choices)
    lines = (
        ContractLine.objects.filter(contract=contract)
        .order_by("pk")
        .prefetch_related(
            Prefetch(
                "scopes",
                queryset=ContractLineScope.objects.select_related("project", "task").order_by(
                    "project__code", "task__code", "pk"
                ),
            ),
            Prefetch(
                "line_customers",
                queryset=LineCustomer.objects.select_related(
                    "contract_customer__customer"
                ).order_by("-split_percent", "pk"),
            ),
            Prefetch(
                "billing_rules",
                queryset=LineBillingRule.objects.select_related(
                    "role", "category", "task"
                ).order_by("pk"),
            ),
            Prefetch(
                "schedule_entries",
                queryset=InvoiceScheduleEntry.objects.order_by("run_date", "pk"),
            ),
            Prefetch(
                "milestones",
                queryset=Milestone.objects.select_related(
                    "line_customer__contract_customer__customer"
                ).order_by("milestone_date", "name", "pk"),
            ),
        )
    )
    views = []
    for line in lines:
        grouped: dict[tuple[int, int | None], CoverageRow] = {}
        for scope in line.scopes.all():
            row = grouped.setdefault(
                (scope.project_id, scope.task_id), CoverageRow(scope.project, scope.task, [])
            )
            row.classes.append(scope.transaction_class)
        for row in grouped.values():
            row.classes = [
                str(class_label[c]) for c in sorted(row.classes, key=lambda c: class_order[c])
            ]
        views.append(
            LineView(
                line=line,
                coverage=list(grouped.values()),
                customers=list(line.line_customers.all()),
                rules=list(line.billing_rules.all()),
                schedule=list(line.schedule_entries.all()),
                milestones=list(line.milestones.all()),
            )
        )
    return views


@login_required
@permission_required("contracts.view_contract", raise_exception=True)
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(
        contracts_visible_to(request.user).select_related(
            "legal_entity", "project_manager", "sales_tax_group"
        ),
        pk=pk,
    )
    customers = list(
        contract.contract_customers.select_related("customer").order_by("-split_percent", "pk")
    )
    price_lists = list(contract.price_lists.order_by("kind", "valid_from", "pk"))
    return render(
        request,
        "contracts/contract_detail.html",
        {
            "contract": contract,
            "customers": customers,
            "lines": _line_views(contract),
            "price_lists": price_lists,
            # The contract's changes and those of its customers, lines and own price lists.
            "history": history_of(contract, also=[ContractCustomer, ContractLine, PriceList]),
        },
    )
