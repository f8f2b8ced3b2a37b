"""Receivables: the customer subledger's open items at a date, the aging report, the customer
statement and the reconciliation of open items with the receivables control account(s).

Reads only. Decisions (DOMAIN.md is silent on them):

- **When an item exists.** An item counts from its entry's accounting date
  (``entry.entry_date``), the same date the general ledger uses, so that the open items and the
  receivables account can be compared at any date. Document and due dates are shown; the due
  date decides the aging bucket.
- **Open at a date.** :func:`ledger.services.record_customer_transaction` keeps the current
  open amount and the link ``settles``. What a settling item applied is derived from them:
  ``applied(S) = |S.amount − S.open_amount| − Σ applied(T)`` over the items T that settle S.
  A settlement counts at a date once both items are posted on or before it. Today (after
  everything) the derived open amount equals ``open_amount``.
- **Accounting currency.** An item's open accounting amount is its accounting amount in
  proportion to what is open, rounded once (the settlement service posts the difference of
  these, so the receivables account follows the open items exactly).
- **Aging** by days past the due date at the report date: current (not yet due), 1–30, 31–60,
  61–90, over 90. Credit notes and payments not yet applied age by their own due date (they
  reduce the bucket they fall in). Currencies are never added: each currency has its own
  buckets, beside the accounting-currency buckets.
- **Kind** of an item: positive is an invoice; negative is a payment when every line of its
  entry is on an asset account (bank against receivables), else a credit note (it debits
  revenue, revenue on account or VAT).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer, LegalEntity
from contracts.money import round_money

from .models import Account, AccountType, CustomerTransaction, LedgerEntryLine, PostingProfile

StrOrPromise = str | Promise
#: Zero as an amount (shown as 0.00).
ZERO = Decimal("0.00")

#: (key, label) of the aging buckets, in order.
BUCKETS: list[tuple[str, StrOrPromise]] = [
    ("current", _("Current")),
    ("days_1_30", _("1–30 days")),
    ("days_31_60", _("31–60 days")),
    ("days_61_90", _("61–90 days")),
    ("over_90", _("Over 90 days")),
]
BUCKET_KEYS = [key for key, _label in BUCKETS]


def bucket_for(*, days_overdue: int) -> str:
    """The aging bucket of an item ``days_overdue`` days past its due date."""
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "days_1_30"
    if days_overdue <= 60:
        return "days_31_60"
    if days_overdue <= 90:
        return "days_61_90"
    return "over_90"


class ItemKind:
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"

    labels = {INVOICE: _("Invoice"), CREDIT_NOTE: _("Credit note"), PAYMENT: _("Payment")}


def with_kind(qs: QuerySet[CustomerTransaction]) -> QuerySet[CustomerTransaction]:
    """Annotate ``has_non_asset_line`` (the item's entry has a line on an account that is not
    an asset), which tells a credit note from a payment."""
    return qs.annotate(
        has_non_asset_line=Exists(
            LedgerEntryLine.objects.filter(entry=OuterRef("entry")).exclude(
                account__account_type=AccountType.ASSET
            )
        )
    )


def kind_of(item: CustomerTransaction) -> str:
    """Invoice, credit note or payment (``item`` annotated by :func:`with_kind`)."""
    if item.amount >= 0:
        return ItemKind.INVOICE
    return ItemKind.CREDIT_NOTE if getattr(item, "has_non_asset_line", True) else ItemKind.PAYMENT


def open_accounting_amount(*, item: CustomerTransaction, open_amount: Decimal) -> Decimal:
    """The accounting-currency part of ``open_amount`` of ``item`` (proportional, rounded)."""
    if open_amount == item.amount:
        return item.accounting_amount
    if open_amount == ZERO or item.amount == ZERO:
        return ZERO
    currency = item.legal_entity.accounting_currency
    return round_money(item.accounting_amount * open_amount / item.amount, currency)


# --- open items at a date ----------------------------------------------------------------


@dataclass(frozen=True)
class OpenItem:
    item: CustomerTransaction
    on_date: dt.date
    open_amount: Decimal
    open_accounting_amount: Decimal

    @property
    def days_overdue(self) -> int:
        return max((self.on_date - self.item.due_date).days, 0)

    @property
    def bucket(self) -> str:
        return bucket_for(days_overdue=self.days_overdue)

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue > 0

    @property
    def kind(self) -> str:
        return kind_of(self.item)


@dataclass(frozen=True)
class _Link:
    settler: int
    target: int
    applied: Decimal
    effective: dt.date


def _settlement_links(*, legal_entity: LegalEntity) -> list[_Link]:
    """Every settlement of the legal entity with the amount it applied (see the module doc)."""
    rows = list(
        CustomerTransaction.objects.filter(legal_entity=legal_entity, settles__isnull=False)
        .order_by("-pk")
        .values_list(
            "pk", "settles_id", "amount", "open_amount", "entry__entry_date",
            "settles__entry__entry_date",
        )
    )  # fmt: skip
    applied_to_me: dict[int, Decimal] = defaultdict(lambda: ZERO)
    links = []
    # A settling item is always created after the item it settles (a higher pk): newest first,
    # so that what later items applied to an item is known before the item's own share.
    for pk, target, amount, open_amount, posted, target_posted in rows:
        applied = abs(amount - open_amount) - applied_to_me[pk]
        applied_to_me[target] += applied
        links.append(_Link(pk, target, applied, max(posted, target_posted)))
    return links


def open_items(
    *,
    legal_entity: LegalEntity,
    on_date: dt.date,
    customer: Customer | None = None,
) -> list[OpenItem]:
    """The items of ``legal_entity`` (of ``customer``) open at the end of ``on_date``, with the
    amount open then, ordered by customer code, due date and id."""
    applied: dict[int, Decimal] = defaultdict(lambda: ZERO)
    reopened: set[int] = set()  # settled now, but (partly) open at the date
    for link in _settlement_links(legal_entity=legal_entity):
        if link.effective <= on_date:
            applied[link.settler] += link.applied
            applied[link.target] += link.applied
        elif link.applied:
            reopened.update((link.settler, link.target))
    qs = with_kind(
        CustomerTransaction.objects.filter(
            legal_entity=legal_entity, entry__entry_date__lte=on_date
        )
        .filter(~Q(open_amount=ZERO) | Q(pk__in=reopened))
        .select_related("customer", "entry", "legal_entity")
    )
    if customer is not None:
        qs = qs.filter(customer=customer)
    result = []
    for item in qs.order_by("customer__code", "due_date", "pk"):
        sign = 1 if item.amount >= 0 else -1
        open_amount = item.amount - sign * applied[item.pk]
        if open_amount:
            result.append(
                OpenItem(
                    item=item,
                    on_date=on_date,
                    open_amount=open_amount,
                    open_accounting_amount=open_accounting_amount(
                        item=item, open_amount=open_amount
                    ),
                )
            )
    return result


# --- aging ---------------------------------------------------------------------------------


@dataclass
class BucketAmounts:
    """Amounts per aging bucket (one currency)."""

    current: Decimal = ZERO
    days_1_30: Decimal = ZERO
    days_31_60: Decimal = ZERO
    days_61_90: Decimal = ZERO
    over_90: Decimal = ZERO

    def add(self, bucket: str, amount: Decimal) -> None:
        setattr(self, bucket, getattr(self, bucket) + amount)

    @property
    def total(self) -> Decimal:
        return sum(self.as_list(), ZERO)

    def as_list(self) -> list[Decimal]:
        return [getattr(self, key) for key in BUCKET_KEYS]

    def as_dict(self) -> dict[str, Decimal]:
        return {**{key: getattr(self, key) for key in BUCKET_KEYS}, "total": self.total}


@dataclass
class AgingRow:
    customer: Customer
    #: currency → buckets, in transaction currency
    by_currency: dict[str, BucketAmounts] = field(default_factory=dict)
    #: in the legal entity's accounting currency
    accounting: BucketAmounts = field(default_factory=BucketAmounts)


@dataclass
class AgingReport:
    legal_entity: LegalEntity
    on_date: dt.date
    rows: list[AgingRow]
    totals_by_currency: dict[str, BucketAmounts]
    accounting_totals: BucketAmounts

    @property
    def accounting_currency(self) -> str:
        return self.legal_entity.accounting_currency


def aging_report(*, legal_entity: LegalEntity, on_date: dt.date) -> AgingReport:
    """The open items at ``on_date`` per customer, bucketed by days past due, per transaction
    currency and in accounting currency, with totals (rows by customer code)."""
    rows: dict[int, AgingRow] = {}
    totals: dict[str, BucketAmounts] = {}
    accounting_totals = BucketAmounts()
    for open_item in open_items(legal_entity=legal_entity, on_date=on_date):
        item = open_item.item
        row = rows.setdefault(item.customer_id, AgingRow(customer=item.customer))
        bucket = open_item.bucket
        row.by_currency.setdefault(item.currency, BucketAmounts()).add(
            bucket, open_item.open_amount
        )
        row.accounting.add(bucket, open_item.open_accounting_amount)
        totals.setdefault(item.currency, BucketAmounts()).add(bucket, open_item.open_amount)
        accounting_totals.add(bucket, open_item.open_accounting_amount)
    for row in rows.values():
        row.by_currency = dict(sorted(row.by_currency.items()))
    return AgingReport(
        legal_entity=legal_entity,
        on_date=on_date,
        rows=list(rows.values()),  # open_items orders by customer code
        totals_by_currency=dict(sorted(totals.items())),
        accounting_totals=accounting_totals,
    )


# --- customer statement --------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    item: CustomerTransaction
    running_balance: Decimal

    @property
    def kind(self) -> str:
        return kind_of(self.item)

    @property
    def kind_label(self) -> str:
        return str(ItemKind.labels[self.kind])


@dataclass
class CurrencyStatement:
    currency: str
    opening_balance: Decimal
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def closing_balance(self) -> Decimal:
        return self.lines[-1].running_balance if self.lines else self.opening_balance


@dataclass
class Statement:
    legal_entity: LegalEntity
    customer: Customer
    date_from: dt.date
    date_to: dt.date
    currencies: list[CurrencyStatement]
    open_items: list[OpenItem]


def customer_statement(
    *, legal_entity: LegalEntity, customer: Customer, date_from: dt.date, date_to: dt.date
) -> Statement:
    """Per currency: the balance before ``date_from``, every invoice, credit note and payment
    posted from ``date_from`` to ``date_to`` with the running balance, the closing balance;
    and the items open at ``date_to``."""
    base = CustomerTransaction.objects.filter(legal_entity=legal_entity, customer=customer)
    opening = {
        row["currency"]: row["total"]
        for row in base.filter(entry__entry_date__lt=date_from)
        .values("currency")
        .annotate(total=Sum("amount"))
    }
    sections = {
        currency: CurrencyStatement(currency=currency, opening_balance=total)
        for currency, total in opening.items()
        if total
    }
    lines = with_kind(
        base.filter(entry__entry_date__gte=date_from, entry__entry_date__lte=date_to)
    ).select_related("entry")
    for item in lines.order_by("entry__entry_date", "document_date", "pk"):
        section = sections.setdefault(
            item.currency,
            CurrencyStatement(
                currency=item.currency, opening_balance=opening.get(item.currency, ZERO)
            ),
        )
        section.lines.append(
            StatementLine(item=item, running_balance=section.closing_balance + item.amount)
        )
    return Statement(
        legal_entity=legal_entity,
        customer=customer,
        date_from=date_from,
        date_to=date_to,
        currencies=[sections[c] for c in sorted(sections)],
        open_items=open_items(legal_entity=legal_entity, on_date=date_to, customer=customer),
    )


# --- reconciliation ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivablesReconciliationRow:
    """One customer (``None``: receivables lines that name no customer)."""

    customer: Customer | None
    open_items: Decimal
    ledger: Decimal

    @property
    def difference(self) -> Decimal:
        return self.open_items - self.ledger


@dataclass(frozen=True)
class ReceivablesReconciliation:
    legal_entity: LegalEntity
    on_date: dt.date
    accounts: list[Account]
    open_items_total: Decimal
    ledger_balance: Decimal
    rows: list[ReceivablesReconciliationRow]

    @property
    def currency(self) -> str:
        return self.legal_entity.accounting_currency

    @property
    def difference(self) -> Decimal:
        """Open items minus the receivables account balance (0 when they reconcile)."""
        return self.open_items_total - self.ledger_balance

    @property
    def in_balance(self) -> bool:
        return self.difference == ZERO

    @property
    def differences(self) -> list[ReceivablesReconciliationRow]:
        return [row for row in self.rows if row.difference]


def receivables_accounts(*, legal_entity: LegalEntity) -> list[Account]:
    """The receivables control accounts: those of the legal entity's posting profiles."""
    return list(
        Account.objects.filter(
            pk__in=PostingProfile.objects.filter(legal_entity=legal_entity).values(
                "receivables_account"
            )
        ).order_by("code", "pk")
    )


def receivables_reconciliation(
    *, legal_entity: LegalEntity, on_date: dt.date
) -> ReceivablesReconciliation:
    """The open items at ``on_date`` (accounting currency) against the balance of the
    receivables control account(s) up to ``on_date``, in total and per customer."""
    accounts = receivables_accounts(legal_entity=legal_entity)
    subledger: dict[int | None, Decimal] = defaultdict(lambda: ZERO)
    for open_item in open_items(legal_entity=legal_entity, on_date=on_date):
        subledger[open_item.item.customer_id] += open_item.open_accounting_amount
    ledger: dict[int | None, Decimal] = {
        row["customer"]: row["total"]
        for row in LedgerEntryLine.objects.filter(
            entry__legal_entity=legal_entity, entry__entry_date__lte=on_date, account__in=accounts
        )
        .values("customer")
        .annotate(total=Sum("accounting_amount"))
    }
    customers = Customer.objects.in_bulk([pk for pk in {*subledger, *ledger} if pk is not None])
    rows = [
        ReceivablesReconciliationRow(
            customer=customers[pk], open_items=subledger.get(pk, ZERO), ledger=ledger.get(pk, ZERO)
        )
        for pk in sorted(customers, key=lambda pk: (customers[pk].code, pk))
    ]
    if None in ledger:
        rows.append(
            ReceivablesReconciliationRow(customer=None, open_items=ZERO, ledger=ledger[None])
        )
    return ReceivablesReconciliation(
        legal_entity=legal_entity,
        on_date=on_date,
        accounts=accounts,
        open_items_total=sum(subledger.values(), ZERO),
        ledger_balance=sum(ledger.values(), ZERO),
        rows=rows,
    )
