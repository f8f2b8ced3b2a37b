"""Ledger reports: trial balance, account detail and the WIP reconciliation per project.

All figures are in the legal entity's accounting currency and come straight from posted
ledger lines (signed: debit positive, credit negative).
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from contracts.models import LegalEntity, Project
from contracts.money import ZERO

from .models import (
    Account,
    JournalLine,
    JournalLineKind,
    JournalLineStatus,
    LedgerEntryLine,
    PostingProfile,
)


@dataclass(frozen=True)
class TrialBalanceRow:
    account: Account
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit


@dataclass(frozen=True)
class TrialBalance:
    legal_entity: LegalEntity
    on_date: dt.date
    rows: list[TrialBalanceRow]

    @property
    def total_debit(self) -> Decimal:
        return sum((r.debit for r in self.rows), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((r.credit for r in self.rows), ZERO)

    @property
    def total_balance(self) -> Decimal:
        return self.total_debit - self.total_credit


def trial_balance(*, legal_entity: LegalEntity, on_date: dt.date) -> TrialBalance:
    """Debit and credit totals and the balance of every account with postings up to and
    including ``on_date``, ordered by account code. The totals balance to zero."""
    lines = LedgerEntryLine.objects.filter(
        entry__legal_entity=legal_entity, entry__entry_date__lte=on_date
    )
    sums = {
        row["account"]: row
        for row in lines.values("account").annotate(
            debit_total=Sum("accounting_amount", filter=Q(accounting_amount__gt=0), default=ZERO),
            credit_total=Sum("accounting_amount", filter=Q(accounting_amount__lt=0), default=ZERO),
        )
    }
    accounts = Account.objects.filter(pk__in=sums).order_by("code", "pk")
    return TrialBalance(
        legal_entity=legal_entity,
        on_date=on_date,
        rows=[
            TrialBalanceRow(
                account=a, debit=sums[a.pk]["debit_total"], credit=-sums[a.pk]["credit_total"]
            )
            for a in accounts
        ],
    )


@dataclass(frozen=True)
class AccountDetailLine:
    line: LedgerEntryLine
    running_balance: Decimal


@dataclass(frozen=True)
class AccountDetail:
    account: Account
    date_from: dt.date
    date_to: dt.date
    opening_balance: Decimal
    lines: list[AccountDetailLine]

    @property
    def closing_balance(self) -> Decimal:
        return self.lines[-1].running_balance if self.lines else self.opening_balance


def account_detail(*, account: Account, date_from: dt.date, date_to: dt.date) -> AccountDetail:
    """The account's lines dated ``date_from`` to ``date_to`` in posting order, each with the
    running balance, after the opening balance of everything dated before."""
    base = LedgerEntryLine.objects.filter(account=account)
    opening = base.filter(entry__entry_date__lt=date_from).aggregate(
        total=Sum("accounting_amount", default=ZERO)
    )["total"]
    running = opening
    detail: list[AccountDetailLine] = []
    for line in (
        base.filter(entry__entry_date__gte=date_from, entry__entry_date__lte=date_to)
        .select_related("entry", "project", "customer")
        .order_by("entry__entry_date", "entry__pk", "line_number")
    ):
        running += line.accounting_amount
        detail.append(AccountDetailLine(line=line, running_balance=running))
    return AccountDetail(
        account=account,
        date_from=date_from,
        date_to=date_to,
        opening_balance=opening,
        lines=detail,
    )


@dataclass(frozen=True)
class ReconciliationRow:
    project: Project
    subledger: Decimal
    ledger: Decimal

    @property
    def difference(self) -> Decimal:
        return self.subledger - self.ledger

    @property
    def reconciles(self) -> bool:
        return self.difference == ZERO


def journal_unbilled_value(*, legal_entity: LegalEntity, on_date: dt.date) -> dict[int, Decimal]:
    """Unbilled T&M sales value per project as the journal posted it to WIP (accounting
    currency). The ledger's own view; the actuals app holds the real project subledger and
    passes it to :func:`wip_reconciliation`."""
    values: dict[int, Decimal] = {}
    rows = (
        JournalLine.objects.filter(
            journal__legal_entity=legal_entity,
            kind=JournalLineKind.TM_UNBILLED_SALES,
            status=JournalLineStatus.POSTED,
            entry__isnull=False,
            line_date__lte=on_date,
        )
        .annotate(
            posted_value=Sum(
                "entry__lines__accounting_amount", filter=Q(entry__lines__line_number=1)
            )
        )
        .values_list("project_id", "amount", "posted_value")
    )
    for project_id, amount, posted_value in rows:
        # Line 1 is the WIP debit (or, for a reversal, the accrued-revenue debit).
        value = posted_value if amount > 0 else -posted_value
        values[project_id] = values.get(project_id, ZERO) + value
    return values


def wip_reconciliation(
    *,
    legal_entity: LegalEntity,
    on_date: dt.date,
    subledger: Mapping[int, Decimal] | None = None,
) -> list[ReconciliationRow]:
    """Project subledger (unbilled sales value per project id) against the balance of the WIP
    – sales value account(s) per project, up to ``on_date``. Without ``subledger`` the
    journal's posted unbilled sales stand in for it (:func:`journal_unbilled_value`)."""
    if subledger is None:
        subledger = journal_unbilled_value(legal_entity=legal_entity, on_date=on_date)
    wip_accounts = PostingProfile.objects.filter(legal_entity=legal_entity).values(
        "wip_sales_value_account"
    )
    ledger = {
        row["project"]: row["total"]
        for row in LedgerEntryLine.objects.filter(
            entry__legal_entity=legal_entity,
            entry__entry_date__lte=on_date,
            account__in=wip_accounts,
            project__isnull=False,
        )
        .values("project")
        .annotate(total=Sum("accounting_amount"))
    }
    project_ids = set(subledger) | set(ledger)
    projects = Project.objects.filter(pk__in=project_ids).order_by("code", "pk")
    return [
        ReconciliationRow(
            project=p, subledger=subledger.get(p.pk, ZERO), ledger=ledger.get(p.pk, ZERO)
        )
        for p in projects
    ]
