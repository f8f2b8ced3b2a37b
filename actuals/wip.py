"""The project subledger of unbilled sales in WIP, and the postings that move items out of it
and back (DOMAIN.md §6; the records are :class:`~actuals.models.WipMovement`).

An unbilled actual's **WIP balance** is what the integration journal accrued for it (its journal
line, posted with an entry) plus its movements. Posting code asks for balances and gets back a
:class:`WipPosting`: the ledger lines to add to its entry and the movements to record once the
entry exists (:meth:`WipPosting.record`), so the lines and the records come from one place and
cannot disagree:

- :func:`clear` takes balances out of WIP, to the account they were accrued from (an invoice's
  accrual reversal) or to the project's write-off account (a write-off), at exactly the
  amounts and rate they were booked at;
- :func:`accrue` puts new items into WIP at a given rate (the hours a credit note brings back);
- :func:`restore` puts written-off balances back (a reversed write-off).

Lines are grouped per project × accounts × currency, each group's accounting amount the sum of
its items' (so the records add up to the lines to the cent).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from actuals.journal import source_key
from actuals.models import Actual, WipMovement, WipMovementKind
from contracts.models import LegalEntity, Project
from contracts.money import ZERO, round_money
from ledger.models import (
    Account,
    JournalLine,
    JournalLineKind,
    JournalLineStatus,
    LedgerEntry,
    LedgerEntryLine,
)
from ledger.queries import PostingProfiles
from ledger.reports import journal_unbilled_value
from ledger.services import LedgerError, LineSpec, Side


@dataclass
class WipBalance:
    """What one actual holds in WIP now (signed: positive is in WIP), and the accounts it was
    accrued with."""

    actual: Actual
    currency: str
    amount: Decimal = ZERO
    accounting: Decimal = ZERO
    wip_account: Account | None = None
    accrued_account: Account | None = None

    @property
    def is_zero(self) -> bool:
        return self.amount == 0 and self.accounting == 0


def wip_balances(actuals: Sequence[Actual]) -> dict[int, WipBalance]:
    """actual id → its WIP balance (every actual given has one, possibly zero)."""
    balances = {a.pk: WipBalance(actual=a, currency=a.currency) for a in actuals}
    keys = {source_key(pk): pk for pk in balances}
    entry_of = {
        keys[key]: entry_id
        for key, entry_id in JournalLine.objects.filter(
            source_key__in=list(keys),
            kind=JournalLineKind.TM_UNBILLED_SALES,
            status=JournalLineStatus.POSTED,
            entry__isnull=False,
        ).values_list("source_key", "entry_id")
    }
    rows: dict[int, list[LedgerEntryLine]] = defaultdict(list)
    for row in (
        LedgerEntryLine.objects.select_related("account")
        .filter(entry_id__in=list(entry_of.values()))
        .order_by("entry_id", "line_number")
    ):
        rows[row.entry_id].append(row)
    for pk, entry_id in entry_of.items():
        balance = balances[pk]
        # The journal debits WIP for an actual (credits it for a reversal): WIP is the line on
        # the actual's own side.
        debit, credit = rows[entry_id][0], rows[entry_id][1]
        wip, accrued = (debit, credit) if balance.actual.amount > 0 else (credit, debit)
        balance.amount += wip.amount
        balance.accounting += wip.accounting_amount
        balance.wip_account, balance.accrued_account = wip.account, accrued.account
    for movement in (
        WipMovement.objects.select_related("wip_account", "offset_account")
        .filter(actual_id__in=list(balances))
        .order_by("pk")
    ):
        balance = balances[movement.actual_id]
        balance.amount += movement.amount
        balance.accounting += movement.accounting_amount
        balance.wip_account = balance.wip_account or movement.wip_account
        if movement.kind == WipMovementKind.ACCRUED:
            balance.accrued_account = balance.accrued_account or movement.offset_account
    return balances


def written_off_balances(
    actuals: Sequence[Actual],
) -> dict[int, tuple[WipMovement, Decimal, Decimal]]:
    """actual id → (its last write-off movement, amount, accounting amount still written off)
    for the actuals whose write-off took something out of WIP."""
    found: dict[int, tuple[WipMovement, Decimal, Decimal]] = {}
    for movement in (
        WipMovement.objects.select_related("entry__period", "wip_account", "offset_account")
        .filter(
            actual__in=[a.pk for a in actuals],
            kind__in=[WipMovementKind.WRITTEN_OFF, WipMovementKind.WRITE_OFF_REVERSED],
        )
        .order_by("pk")
    ):
        last, amount, accounting = found.get(movement.actual_id, (movement, ZERO, ZERO))
        if movement.kind == WipMovementKind.WRITTEN_OFF:
            last = movement
        found[movement.actual_id] = (
            last,
            amount - movement.amount,
            accounting - movement.accounting_amount,
        )
    return {pk: v for pk, v in found.items() if v[1] or v[2]}


@dataclass
class WipPosting:
    """Ledger lines for the caller's entry, and the movements they stand for."""

    lines: list[LineSpec] = field(default_factory=list)
    movements: list[WipMovement] = field(default_factory=list)

    def record(self, entry: LedgerEntry) -> None:
        """Write the movements, once the entry that carries the lines is posted."""
        for movement in self.movements:
            movement.entry = entry
        WipMovement.objects.bulk_create(self.movements)


@dataclass
class _Group:
    amount: Decimal = ZERO
    accounting: Decimal = ZERO


def _posting(
    moves: Sequence[tuple[Actual, Account, Account, Decimal, Decimal]],
    *,
    kind: str,
    description: str,
) -> WipPosting:
    """Lines and movements for moves of (actual, WIP account, offset account, signed amount,
    signed accounting amount), WIP's side."""
    posting = WipPosting()
    groups: dict[tuple[int, int, int, str], _Group] = defaultdict(_Group)
    accounts: dict[int, Account] = {}
    projects: dict[int, Project] = {}
    for actual, wip_account, offset_account, amount, accounting in moves:
        if amount == 0 and accounting == 0:
            continue
        accounts[wip_account.pk], accounts[offset_account.pk] = wip_account, offset_account
        projects[actual.project_id] = actual.project
        group = groups[(actual.project_id, wip_account.pk, offset_account.pk, actual.currency)]
        group.amount += amount
        group.accounting += accounting
        posting.movements.append(
            WipMovement(
                actual=actual,
                kind=kind,
                currency=actual.currency,
                amount=amount,
                accounting_amount=accounting,
                wip_account=wip_account,
                offset_account=offset_account,
            )
        )
    for (project_id, wip_id, offset_id, currency), group in sorted(groups.items()):
        if group.amount == 0 and group.accounting == 0:
            continue
        into_wip = group.amount > 0 or (group.amount == 0 and group.accounting > 0)
        common: dict[str, Any] = {
            "currency": currency,
            "amount": abs(group.amount),
            "accounting_amount": abs(group.accounting),
            "project": projects[project_id],
            "description": description,
        }
        debit, credit = (wip_id, offset_id) if into_wip else (offset_id, wip_id)
        posting.lines += [
            LineSpec(account=accounts[debit], side=Side.DEBIT, **common),
            LineSpec(account=accounts[credit], side=Side.CREDIT, **common),
        ]
    return posting


def write_off_account(project: Project, profiles: PostingProfiles | None = None) -> Account:
    """The project's write-off account (its posting profile's), or a clear refusal."""
    profile = (profiles or PostingProfiles()).of(project)
    if profile is None or profile.wip_write_off_account is None:
        raise LedgerError(
            _(
                "Project %(p)s has no posting profile with a WIP write-off account: set one on "
                "its posting profile before writing off what is in WIP."
            )
            % {"p": project.code},
            field="project",
        )
    return profile.wip_write_off_account


def clear(balances: Sequence[WipBalance], *, kind: str, description: str) -> WipPosting:
    """Take the balances out of WIP: to the account each was accrued from (``invoiced``) or
    to its project's write-off account (``written_off``)."""
    profiles = PostingProfiles()
    moves = []
    for b in balances:
        if b.is_zero:
            continue
        assert b.wip_account is not None and b.accrued_account is not None
        offset = (
            write_off_account(b.actual.project, profiles)
            if kind == WipMovementKind.WRITTEN_OFF
            else b.accrued_account
        )
        moves.append((b.actual, b.wip_account, offset, -b.amount, -b.accounting))
    return _posting(moves, kind=kind, description=description)


def restore(
    written_off: Sequence[tuple[Actual, WipMovement, Decimal, Decimal]], *, description: str
) -> WipPosting:
    """Put written-off balances back in WIP, against the accounts the write-off used."""
    return _posting(
        [
            (actual, last.wip_account, last.offset_account, amount, accounting)
            for actual, last, amount, accounting in written_off
        ],
        kind=WipMovementKind.WRITE_OFF_REVERSED,
        description=description,
    )


def accrue(
    actuals: Sequence[Actual],
    *,
    rate: Callable[[str], Decimal],
    accounting_currency: str,
    description: str,
) -> WipPosting:
    """Accrue new items in WIP at ``rate(currency)`` under their projects' posting profiles
    (those whose profile does not accrue T&M revenue are left out)."""
    profiles = PostingProfiles()
    moves = []
    for actual in actuals:
        profile = profiles.of(actual.project)
        if profile is None or not profile.accrue_tm_revenue or actual.amount == 0:
            continue
        accounting = round_money(actual.amount * rate(actual.currency), accounting_currency)
        moves.append(
            (
                actual,
                profile.wip_sales_value_account,
                profile.accrued_revenue_account,
                actual.amount,
                accounting,
            )
        )
    return _posting(moves, kind=WipMovementKind.ACCRUED, description=description)


def unbilled_wip_subledger(*, legal_entity: LegalEntity, on_date: dt.date) -> dict[int, Decimal]:
    """The project subledger that the WIP – sales value account must equal, per project id, in
    the legal entity's accounting currency, up to and including ``on_date``: what the journal
    accrued (:func:`ledger.reports.journal_unbilled_value`) plus every movement a billing event
    posted (invoices clearing their accruals, write-offs and their reversals, credit notes
    accruing the hours they bring back). A confirmed invoice stays in WIP until it is posted."""
    totals = dict(journal_unbilled_value(legal_entity=legal_entity, on_date=on_date))
    for project_id, total in (
        WipMovement.objects.filter(entry__legal_entity=legal_entity, entry__entry_date__lte=on_date)
        .values("actual__project")
        .annotate(total=Sum("accounting_amount"))
        .values_list("actual__project", "total")
    ):
        totals[project_id] = totals.get(project_id, ZERO) + total
    return totals
