"""The integration-journal import (DOMAIN.md §6) and the project subledger of unbilled sales.

:func:`import_actuals` turns every actual that should reach the ledger, and is not journalled
yet, into a draft :class:`ledger.models.JournalLine`. The ledger knows nothing of actuals: a
line names its actual only by ``source_key = "actual:<id>"``, which is unique, so an actual is
journalled (and so posted) at most once; this module queries by that key and keeps no link
column on :class:`~actuals.models.Actual` (whose financial columns are immutable anyway).

Which actuals (decisions):

- every **cost** actual (time → ``time_cost``, expense → ``expense_cost``), reversals
  included;
- **chargeable unbilled sales** (only T&M lines write unbilled sales) → ``tm_unbilled_sales``,
  including the reversals written when an approval is cancelled (the original's billing status
  *cancelled*: negative lines, so WIP and cost go back when they post);
- **not** the reversal rows written when an invoice is confirmed (the original's billing
  status *invoiced*): the accrual is cleared by the invoice's own posting;
- **not** written-off items (their value never reaches WIP; a write-off of an item already
  posted posts it out again), and **not** the hours a credit note brings back to the backlog
  (``returned_from`` set: the credit note's posting accrues them);
- **not** non-chargeable or complimentary unbilled sales (never billed, never accrued),
  **not** billed sales (they reach the ledger with the invoice), and **not** actuals of amount
  0 (a missing price: nothing to post, and the ledger refuses a 0 line).

Each line carries the transaction date as its accounting date, the project, the customer (the
actual's, else the project's), the currency and signed amount, the sales tax group (project →
contract → customer), the item sales tax group (role or expense category) and the default
dimension values (``ledger.DefaultDimension``: project over contract over customer, per
dimension; inactive values are skipped). ``accounting_amount``: the amount itself when the
currency is the legal entity's accounting currency, else converted with the ledger's rate on
the transaction date. **A missing rate does not stop the import**: the line is imported with
an empty accounting amount, and posting converts it then or keeps the line in draft with the
reason ("No exchange rate from … on or before …"), so the accountant sees it in the journal.

Lines are grouped into journals per legal entity (the project's) × period: the day, or the
first day of the month (``settings.JOURNAL_GROUPING``, ``"month"`` by default). An open journal
of that key is reused (locked ``FOR UPDATE`` while lines are added, so a journal being posted
at the same moment is never given a line it will not see); otherwise a new one is created.

Set-based and safe under concurrency: actuals are read in batches ordered by id; each batch is
one transaction that inserts its lines with ``INSERT … ON CONFLICT (source_key) DO NOTHING
RETURNING``, so two imports running at once journal every actual exactly once and each counts
only what it really inserted. Running the import again creates nothing new.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from actuals.models import Actual, ActualType, BillingStatus, BillingType
from contracts.models import TransactionClass
from contracts.money import round_money
from ledger.models import (
    DefaultDimension,
    Journal,
    JournalGrouping,
    JournalJob,
    JournalLine,
    JournalLineDimension,
    JournalLineKind,
    JournalLineStatus,
    JournalStatus,
)
from ledger.services import MissingExchangeRate, exchange_rate, run_journal_job

SOURCE_PREFIX = "actual:"
BATCH_SIZE = 2000

#: Actuals that reach the ledger through the journal (see the module docstring).
JOURNALLED = (
    Q(actual_type=ActualType.COST)
    | (
        Q(
            actual_type=ActualType.UNBILLED_SALES,
            billing_type=BillingType.CHARGEABLE,
            returned_from__isnull=True,
        )
        & ~Q(billing__status=BillingStatus.WRITTEN_OFF)
        & ~Q(reverses__billing__status=BillingStatus.INVOICED)
    )
) & ~Q(amount=0)


def source_key(actual_id: int) -> str:
    return f"{SOURCE_PREFIX}{actual_id}"


def _source_key_of(ref: str | OuterRef = "pk") -> Concat:
    return Concat(Value(SOURCE_PREFIX), Cast(ref, CharField()), output_field=CharField())


def journal_lines_of(actuals: QuerySet[Actual]) -> QuerySet[JournalLine]:
    """The journal lines of some actuals (by ``source_key``)."""
    keys = actuals.annotate(key=_source_key_of()).values("key")
    return JournalLine.objects.filter(source_key__in=Subquery(keys))


def pending_actuals() -> QuerySet[Actual]:
    """Actuals that should reach the ledger and have no journal line yet."""
    journalled = JournalLine.objects.filter(source_key=_source_key_of(OuterRef("pk")))
    return Actual.objects.filter(JOURNALLED).filter(~Exists(journalled))


@dataclass(frozen=True)
class ImportResult:
    """``lines`` journal lines written (one per actual); ``journals`` the journals that
    received them, ``journals_created`` of which are new."""

    lines: int
    journals: int
    journals_created: int


def journal_grouping() -> str:
    return str(getattr(settings, "JOURNAL_GROUPING", JournalGrouping.MONTH))


def period_key(day: dt.date, grouping: str) -> dt.date:
    """The journal date of ``day``: itself, or the first of its month."""
    return day if grouping == JournalGrouping.DAY else day.replace(day=1)


def _insert_returning(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: str,
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """``INSERT … ON CONFLICT <conflict> DO NOTHING RETURNING …``: the rows really inserted."""
    if not rows:
        return []
    opts = model._meta
    qn = connection.ops.quote_name

    def column(name: str) -> str:
        field = opts.get_field(name)
        assert isinstance(field, models.Field) and field.column
        return qn(field.column)

    names = list(rows[0])
    columns = ", ".join(column(n) for n in names)
    placeholders = "(" + ", ".join(["%s"] * len(names)) + ")"
    returned = ", ".join(column(n) for n in returning)
    sql = (
        f"INSERT INTO {qn(opts.db_table)} ({columns}) VALUES "
        f"{', '.join([placeholders] * len(rows))} "
        f"ON CONFLICT {conflict} DO NOTHING RETURNING {returned}"
    )
    params = [row[n] for row in rows for n in names]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _lock_open_journal(
    *, legal_entity_id: int, grouping: str, journal_date: dt.date, now: dt.datetime
) -> tuple[Journal, bool]:
    """The open journal of the key, locked; created if there is none (``True``)."""
    label = journal_date.strftime("%Y-%m-%d" if grouping == JournalGrouping.DAY else "%Y-%m")
    while True:
        inserted = _insert_returning(
            Journal,
            [
                {
                    "legal_entity": legal_entity_id,
                    "grouping": grouping,
                    "journal_date": journal_date,
                    "status": JournalStatus.OPEN,
                    "description": _("Actuals %(period)s") % {"period": label},
                    "created_at": now,
                }
            ],
            conflict="",
            returning=["id"],
        )
        journal = (
            Journal.objects.select_for_update()
            .filter(
                legal_entity_id=legal_entity_id,
                grouping=grouping,
                journal_date=journal_date,
                status=JournalStatus.OPEN,
            )
            .first()
        )
        if journal is not None:  # else: posted between the insert and the lock; try again
            return journal, bool(inserted)


def _default_dimensions(
    rows: Iterable[Mapping[str, Any]],
) -> dict[tuple[str, int], dict[int, int]]:
    """``{("project"|"contract"|"customer", id): {dimension id: value id}}`` for the rows."""
    ids: dict[str, set[int]] = {"project": set(), "contract": set(), "customer": set()}
    for row in rows:
        ids["project"].add(row["project_id"])
        if row["contract_id"]:
            ids["contract"].add(row["contract_id"])
        if row["line_customer_id"]:
            ids["customer"].add(row["line_customer_id"])
    defaults: dict[tuple[str, int], dict[int, int]] = defaultdict(dict)
    found: Iterable[Mapping[str, Any]] = DefaultDimension.objects.filter(
        Q(project__in=ids["project"])
        | Q(contract__in=ids["contract"])
        | Q(customer__in=ids["customer"]),
        value__is_active=True,
    ).values("project_id", "contract_id", "customer_id", "dimension_id", "value_id")
    for d in found:
        for target in ("project", "contract", "customer"):
            if d[f"{target}_id"] is not None:
                defaults[(target, d[f"{target}_id"])][d["dimension_id"]] = d["value_id"]
    return defaults


_FIELDS = (
    "pk",
    "actual_type",
    "transaction_class",
    "project_id",
    "project__code",
    "project__legal_entity_id",
    "project__legal_entity__accounting_currency",
    "project__customer_id",
    "project__sales_tax_group_id",
    "contract_id",
    "contract__sales_tax_group_id",
    "customer_id",
    "customer__sales_tax_group_id",
    "project__customer__sales_tax_group_id",
    "role__name",
    "role__item_sales_tax_group_id",
    "category__name",
    "category__item_sales_tax_group_id",
    "resource__name",
    "transaction_date",
    "quantity",
    "amount",
    "currency",
    "description",
    "reverses_id",
)


def _kind(row: Mapping[str, Any]) -> str:
    if row["actual_type"] == ActualType.UNBILLED_SALES:
        return JournalLineKind.TM_UNBILLED_SALES
    if row["transaction_class"] == TransactionClass.EXPENSE:
        return JournalLineKind.EXPENSE_COST
    return JournalLineKind.TIME_COST


def _description(row: Mapping[str, Any]) -> str:
    what = row["role__name"] or row["category__name"] or ""
    parts = [f"{row['quantity']} × {what}".strip(), row["resource__name"] or "", row["description"]]
    text = " · ".join(p for p in parts if p)
    if row["reverses_id"]:
        text = _("Reversal of actual %(id)s: %(text)s") % {"id": row["reverses_id"], "text": text}
    return text[:300]


def _import_batch(
    rows: list[dict[str, Any]], *, grouping: str, now: dt.datetime, rates: dict[Any, Any]
) -> tuple[int, set[int], set[int]]:
    """Journal one batch of actuals (inside the caller's transaction)."""
    for row in rows:
        row["line_customer_id"] = row["customer_id"] or row["project__customer_id"]
    keys = sorted(
        {(r["project__legal_entity_id"], period_key(r["transaction_date"], grouping)) for r in rows}
    )
    journals: dict[tuple[int, dt.date], int] = {}
    created: set[int] = set()
    for legal_entity_id, journal_date in keys:  # one lock order for every import
        journal, is_new = _lock_open_journal(
            legal_entity_id=legal_entity_id, grouping=grouping, journal_date=journal_date, now=now
        )
        journals[(legal_entity_id, journal_date)] = journal.pk
        if is_new:
            created.add(journal.pk)

    lines: list[dict[str, Any]] = []
    for row in rows:
        accounting_currency = row["project__legal_entity__accounting_currency"]
        accounting: Decimal | None = row["amount"]
        if row["currency"] != accounting_currency:
            rate_key = (row["currency"], accounting_currency, row["transaction_date"])
            if rate_key not in rates:
                try:
                    rates[rate_key] = exchange_rate(
                        from_currency=row["currency"],
                        to_currency=accounting_currency,
                        on_date=row["transaction_date"],
                    )
                except MissingExchangeRate:
                    rates[rate_key] = None  # posting converts, or keeps the line with the reason
            rate = rates[rate_key]
            accounting = (
                None if rate is None else round_money(row["amount"] * rate, accounting_currency)
            )
        journal_date = period_key(row["transaction_date"], grouping)
        lines.append(
            {
                "journal": journals[(row["project__legal_entity_id"], journal_date)],
                "status": JournalLineStatus.DRAFT,
                "error_reason": "",
                "line_date": row["transaction_date"],
                "kind": _kind(row),
                "project": row["project_id"],
                "customer": row["line_customer_id"],
                "currency": row["currency"],
                "amount": row["amount"],
                "accounting_amount": accounting,
                "sales_tax_group": (
                    row["project__sales_tax_group_id"]
                    or row["contract__sales_tax_group_id"]
                    or row["customer__sales_tax_group_id"]
                    or row["project__customer__sales_tax_group_id"]
                ),
                "item_sales_tax_group": (
                    row["role__item_sales_tax_group_id"] or row["category__item_sales_tax_group_id"]
                ),
                "description": _description(row),
                "source_key": source_key(row["pk"]),
                "entry": None,
                "posted_at": None,
            }
        )
    inserted = _insert_returning(
        JournalLine, lines, conflict="(source_key)", returning=["id", "source_key", "journal"]
    )

    defaults = _default_dimensions(rows)
    by_key = {source_key(r["pk"]): r for r in rows}
    dimension_rows: list[JournalLineDimension] = []
    for line_id, key, _journal_id in inserted:
        row = by_key[key]
        values: dict[int, int] = {}
        for target, target_id in (
            ("customer", row["line_customer_id"]),
            ("contract", row["contract_id"]),
            ("project", row["project_id"]),
        ):  # later wins: project over contract over customer
            if target_id:
                values.update(defaults.get((target, target_id), {}))
        dimension_rows.extend(
            JournalLineDimension(line_id=line_id, dimension_id=d, value_id=v)
            for d, v in values.items()
        )
    JournalLineDimension.objects.bulk_create(dimension_rows)

    used = {journal_id for _id, _key, journal_id in inserted}
    empty_new = created - used
    if empty_new:  # another import took these actuals first: leave no empty journal behind
        Journal.objects.filter(pk__in=empty_new).delete()
    return len(inserted), used, created & used


def withdraw(actual_ids: Sequence[int]) -> int:
    """Take actuals that will never reach the ledger (written off) out of the journal, inside
    the caller's transaction: their *draft* lines are locked and deleted (a posted line stays:
    its value is in WIP, and the write-off posts it out). Returns how many were deleted."""
    drafts = list(
        JournalLine.objects.select_for_update()
        .filter(
            source_key__in=[source_key(pk) for pk in actual_ids], status=JournalLineStatus.DRAFT
        )
        .values_list("pk", flat=True)
    )
    JournalLine.objects.filter(pk__in=drafts).delete()
    return len(drafts)


def _written_off(actual_ids: Sequence[int]) -> set[int]:
    """Of these actuals, the written-off ones, their billing rows locked ``FOR KEY SHARE``: a
    write-off running at the same time waits for this import (then withdraws the new line), or
    this import waits for it (then skips the item)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT actual_id, status FROM actuals_actualbilling WHERE actual_id = ANY(%s)"
            " ORDER BY actual_id FOR KEY SHARE",
            [list(actual_ids)],
        )
        return {pk for pk, status in cursor.fetchall() if status == BillingStatus.WRITTEN_OFF}


def import_actuals(
    *,
    now: dt.datetime,
    grouping: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Journal every actual that should reach the ledger and is not journalled yet (see the
    module docstring); idempotent and safe to run twice at once. ``now`` stamps new journals;
    ``grouping`` (``"day"`` / ``"month"``) defaults to ``settings.JOURNAL_GROUPING``;
    ``progress(lines, 0)`` is called after every batch."""
    grouping = grouping or journal_grouping()
    if grouping not in JournalGrouping.values:
        raise ValidationError(
            {"grouping": [_("Group journals by day or month, not %(g)r.") % {"g": grouping}]}
        )
    total = 0
    journals: set[int] = set()
    created: set[int] = set()
    rates: dict[Any, Any] = {}
    last_pk = 0
    while True:
        with transaction.atomic(durable=True):
            rows = list(
                pending_actuals()
                .filter(pk__gt=last_pk)
                .order_by("pk")
                .values(*_FIELDS)[:batch_size]
            )
            if not rows:
                break
            last_pk = rows[-1]["pk"]
            skipped = _written_off([r["pk"] for r in rows])
            rows = [r for r in rows if r["pk"] not in skipped]
            if not rows:
                continue
            count, used, new = _import_batch(rows, grouping=grouping, now=now, rates=rates)
        total += count
        journals |= used
        created |= new
        if progress is not None:
            progress(total, 0)
    return ImportResult(lines=total, journals=len(journals), journals_created=len(created))


def run_import_job(*, job_id: int, clock: Callable[[], dt.datetime]) -> JournalJob | None:
    """The import as a background job (:func:`ledger.services.run_journal_job`): ``total`` is
    the number of actuals waiting when it starts (a few may turn out to have nothing to
    journal)."""

    def work(job: JournalJob, progress: Callable[[int, int], None]) -> tuple[int, int]:
        JournalJob.objects.filter(pk=job.pk).update(total=pending_actuals().count())
        return import_actuals(now=clock(), progress=progress).lines, 0

    return run_journal_job(job_id=job_id, work=work, clock=clock)
