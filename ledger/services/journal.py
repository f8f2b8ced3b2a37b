"""The integration journal: post a journal line by line, edit a draft line."""

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils.translation import gettext as _

from contracts.models import ItemSalesTaxGroup, SalesTaxGroup
from ledger.models import (
    Account,
    Dimension,
    DimensionValue,
    Journal,
    JournalLine,
    JournalLineDimension,
    JournalLineKind,
    JournalLineStatus,
    JournalStatus,
    LedgerEntry,
    PostingProfile,
)
from ledger.queries import posting_profile_for

from .errors import (
    InvalidAccount,
    JournalLinePosted,
    JournalPosted,
    LedgerError,
    MissingPostingProfile,
)
from .posting import LineSpec, Side, post_entry, vat_code_for


@dataclass(frozen=True)
class JournalPostResult:
    """``posted`` lines reached the ledger; ``posted_without_entry`` were marked posted with
    nothing to post (T&M sales under a profile that does not accrue revenue); ``failed`` stay
    in draft with their reason."""

    posted: int
    posted_without_entry: int
    failed: int


def journal_line_accounts(
    *, kind: str, amount: Decimal, profile: PostingProfile
) -> tuple[Account, Account] | None:
    """The (debit, credit) accounts a journal line of ``kind`` and signed ``amount`` posts to
    under ``profile`` (DOMAIN.md §6; a reversal mirrors); ``None``: nothing to post (T&M
    unbilled sales under a profile that does not accrue revenue)."""
    if kind == JournalLineKind.TIME_COST:
        debit, credit = profile.project_cost_account, profile.payroll_allocation_account
    elif kind == JournalLineKind.EXPENSE_COST:
        debit, credit = profile.project_cost_account, profile.expense_offset_account
    elif kind == JournalLineKind.TM_UNBILLED_SALES:
        if not profile.accrue_tm_revenue:
            return None
        debit, credit = profile.wip_sales_value_account, profile.accrued_revenue_account
    else:  # pragma: no cover - the check constraint admits no other kind
        raise LedgerError(_("Unknown line kind %(k)s.") % {"k": kind}, field="kind")
    return (credit, debit) if amount < 0 else (debit, credit)


def _journal_line_entry(
    *, line: JournalLine, posted_by: Any, posted_at: dt.datetime
) -> LedgerEntry | None:
    """Post one journal line by DOMAIN.md §6; ``None`` when there is nothing to post."""
    legal_entity = line.journal.legal_entity
    profile = posting_profile_for(project=line.project)
    if profile is None:
        raise MissingPostingProfile(
            _(
                "Project %(p)s has no posting profile and %(le)s has no default one: assign a "
                "posting profile."
            )
            % {"p": line.project.code, "le": legal_entity.code}
        )
    if profile.legal_entity_id != legal_entity.pk:
        raise InvalidAccount(
            _("Posting profile %(pp)s belongs to another legal entity than the journal.")
            % {"pp": profile.code},
            field="project",
        )
    accounts = journal_line_accounts(kind=line.kind, amount=line.amount, profile=profile)
    if accounts is None:
        return None
    debit, credit = accounts
    amount = abs(line.amount)
    accounting = abs(line.accounting_amount) if line.accounting_amount is not None else None
    dimensions = tuple(line.dimension_values.all())
    common: dict[str, Any] = {
        "currency": line.currency,
        "amount": amount,
        "accounting_amount": accounting,
        "dimensions": dimensions,
        "project": line.project,
        "customer": line.customer,
        "description": line.description,
    }
    with legal_entity.books_language():
        memo = f"{JournalLineKind(line.kind).label} {line.source_key}"
    return post_entry(
        legal_entity=legal_entity,
        entry_date=line.line_date,
        memo=memo,
        lines=[
            LineSpec(account=debit, side=Side.DEBIT, **common),
            LineSpec(account=credit, side=Side.CREDIT, **common),
        ],
        posted_by=posted_by,
        posted_at=posted_at,
    )


#: Lines posted per transaction: a long journal shows progress and holds no lock for minutes.
POST_CHUNK = 500


def post_journal(
    *,
    journal: Journal,
    posted_by: Any,
    posted_at: dt.datetime,
    progress: Callable[[int, int], None] | None = None,
    chunk: int = POST_CHUNK,
) -> JournalPostResult:
    """Post every draft line of a journal, each in its own savepoint, ``chunk`` lines per
    transaction (in id order); ``progress(done, failed)`` is called after each.

    A line that cannot post (closed period, missing posting profile or account, missing
    exchange rate …) stays in draft with its reason; the others post. A T&M unbilled-sales
    line under a profile that does not accrue revenue is marked posted without an entry. The
    journal is posted once no draft line is left. Each chunk locks the journal row first, so
    an import adding lines, or a second post, waits; a second post then finds the lines
    posted and posts nothing twice.
    """
    posted = without_entry = failed = 0
    last_pk = 0
    if Journal.objects.filter(pk=journal.pk, status=JournalStatus.POSTED).exists():
        raise JournalPosted(_("This journal is already posted."))
    while True:
        with transaction.atomic(durable=True):
            locked = (
                Journal.objects.select_for_update()
                .select_related("legal_entity")
                .get(pk=journal.pk)
            )
            if locked.status == JournalStatus.POSTED:
                break
            lines = list(
                JournalLine.objects.select_for_update(of=("self",))
                .select_related("project", "customer")
                .filter(journal=locked, status=JournalLineStatus.DRAFT, pk__gt=last_pk)
                .order_by("pk")[:chunk]
            )
            for line in lines:
                line.journal = locked
                try:
                    with transaction.atomic():
                        entry = _journal_line_entry(
                            line=line, posted_by=posted_by, posted_at=posted_at
                        )
                        line.status = JournalLineStatus.POSTED
                        line.entry = entry
                        line.posted_at = posted_at
                        line.error_reason = ""
                        line.save(update_fields=["status", "entry", "posted_at", "error_reason"])
                except (LedgerError, DatabaseError) as exc:
                    line.status = JournalLineStatus.DRAFT
                    line.entry = None
                    line.posted_at = None
                    line.error_reason = str(exc)
                    line.save(update_fields=["error_reason"])
                    failed += 1
                    continue
                if entry is None:
                    without_entry += 1
                else:
                    posted += 1
            if not lines:
                if not JournalLine.objects.filter(
                    journal=locked, status=JournalLineStatus.DRAFT
                ).exists():
                    locked.status = JournalStatus.POSTED
                    locked.save(update_fields=["status"])
                break
            last_pk = lines[-1].pk
        if progress is not None:
            progress(posted + without_entry, failed)
    return JournalPostResult(posted=posted, posted_without_entry=without_entry, failed=failed)


class _Keep:
    """Leave the field as it is (:func:`edit_journal_lines`)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()

#: Sent inside the editing transaction with the ``line_ids`` whose tax groups changed and the
#: ``fields`` that were set (``sales_tax_group``, ``item_sales_tax_group``): the invoicing app
#: (which the ledger may not import) moves them onto the invoices not posted yet.
journal_tax_groups_changed = Signal()


@dataclass(frozen=True)
class JournalEditResult:
    """``changed`` draft lines took the edit; ``skipped_posted`` were posted already."""

    changed: int
    skipped_posted: int


def _dimension_values(ids: Sequence[int]) -> dict[int, DimensionValue]:
    """The dimension values of ``ids``; unknown or inactive ones are refused (400)."""
    values = {
        v.pk: v for v in DimensionValue.objects.select_related("dimension").filter(pk__in=ids)
    }
    if unknown := [i for i in ids if i not in values]:
        raise ValidationError(
            {
                "dimension_values": [
                    _("Unknown dimension value: %(ids)s.")
                    % {"ids": ", ".join(str(i) for i in unknown)}
                ]
            }
        )
    if inactive := [str(values[i]) for i in ids if not values[i].is_active]:
        raise ValidationError(
            {
                "dimension_values": [
                    _("Inactive dimension value: %(v)s.") % {"v": ", ".join(inactive)}
                ]
            }
        )
    return values


def _check_vat_pairs(ids: list[int], sales_tax_group: Any, item_sales_tax_group: Any) -> None:
    """Every pair of tax groups the edit leaves on a line must select a VAT code (a line with
    one group empty is left for the accountant to finish)."""
    pairs = {
        (
            sales if sales_tax_group is KEEP else getattr(sales_tax_group, "pk", None),
            item if item_sales_tax_group is KEEP else getattr(item_sales_tax_group, "pk", None),
        )
        for sales, item in JournalLine.objects.filter(pk__in=ids)
        .order_by()
        .values_list("sales_tax_group_id", "item_sales_tax_group_id")
        .distinct()
    }
    sales_groups = SalesTaxGroup.objects.in_bulk({s for s, _i in pairs if s})
    item_groups = ItemSalesTaxGroup.objects.in_bulk({i for _s, i in pairs if i})
    for sales, item in sorted(pairs, key=str):
        if sales and item:
            vat_code_for(
                sales_tax_group=sales_groups[sales], item_sales_tax_group=item_groups[item]
            )


def edit_journal_lines(
    *,
    line_ids: Sequence[int],
    sales_tax_group: SalesTaxGroup | None = KEEP,
    item_sales_tax_group: ItemSalesTaxGroup | None = KEEP,
    dimensions: Mapping[int, int | None] | None = None,
) -> JournalEditResult:
    """Set what the accountant may change on many draft lines at once (one transaction).

    Each field is left as it is unless given (``KEEP``); ``None`` empties a tax group.
    ``dimensions`` maps a dimension id to its new value id (``None`` removes the line's value
    of that dimension; dimensions not named are kept). Posted lines are skipped and counted.
    Refused, changing nothing (400): an unknown line, an unknown or inactive value, a value
    that is not of the dimension it is given for, a pair of tax groups that would select no
    VAT code on some line. Tax-group changes are sent as :data:`journal_tax_groups_changed`
    in the same transaction, so an invoice not yet posted carries the journal's groups
    (DOMAIN.md §5 VAT: "the accountant may change either group on a journal line").
    """
    wanted = sorted(set(line_ids))
    dimensions = dict(dimensions or {})
    values = _dimension_values([v for v in dimensions.values() if v is not None])
    if wrong := [
        str(values[v])
        for d, v in dimensions.items()
        if v is not None and values[v].dimension_id != d
    ]:
        raise ValidationError(
            {
                "dimension_values": [
                    _("Not a value of the dimension it was given for: %(v)s.")
                    % {"v": ", ".join(wrong)}
                ]
            }
        )
    with transaction.atomic():
        status = dict(
            JournalLine.objects.select_for_update()
            .filter(pk__in=wanted)
            .order_by("pk")
            .values_list("pk", "status")
        )
        if unknown := [i for i in wanted if i not in status]:
            raise ValidationError(
                _("Unknown journal lines: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}
            )
        ids = [i for i in wanted if status[i] == JournalLineStatus.DRAFT]
        groups = {
            name: value
            for name, value in (
                ("sales_tax_group", sales_tax_group),
                ("item_sales_tax_group", item_sales_tax_group),
            )
            if value is not KEEP
        }
        if groups and ids:
            _check_vat_pairs(ids, sales_tax_group, item_sales_tax_group)
            differ = Q()  # lines where a group given is not already the line's
            for name, value in groups.items():
                differ |= Q(**{f"{name}__isnull": False}) if value is None else ~Q(**{name: value})
            changed = list(
                JournalLine.objects.filter(differ, pk__in=ids).values_list("pk", flat=True)
            )
            JournalLine.objects.filter(pk__in=changed).update(**groups)
            if changed:
                journal_tax_groups_changed.send(
                    sender=JournalLine, line_ids=changed, fields=sorted(groups)
                )
        for dimension_id, value_id in dimensions.items():
            JournalLineDimension.objects.filter(line__in=ids, dimension_id=dimension_id).delete()
            if value_id is not None:
                JournalLineDimension.objects.bulk_create(
                    JournalLineDimension(line_id=i, dimension_id=dimension_id, value_id=value_id)
                    for i in ids
                )
    return JournalEditResult(changed=len(ids), skipped_posted=len(wanted) - len(ids))


def update_journal_line(
    *,
    line: JournalLine,
    sales_tax_group: SalesTaxGroup | None = KEEP,
    item_sales_tax_group: ItemSalesTaxGroup | None = KEEP,
    dimension_values: Sequence[DimensionValue | int],
) -> JournalLine:
    """Set one draft line's tax groups (each kept unless given) and its whole set of
    dimension values.

    Refused for a posted line (409), for an unknown or inactive dimension value, two values of
    one dimension, and a pair of tax groups that selects no VAT code (400); nothing changes.
    """
    ids = [v.pk if isinstance(v, DimensionValue) else int(v) for v in dimension_values]
    values = _dimension_values(ids)
    chosen = {values[i].dimension_id: i for i in ids}
    if len(chosen) != len(ids):
        raise ValidationError({"dimension_values": [_("Choose at most one value per dimension.")]})
    with transaction.atomic():
        result = edit_journal_lines(
            line_ids=[line.pk],
            sales_tax_group=sales_tax_group,
            item_sales_tax_group=item_sales_tax_group,
            dimensions={
                **dict.fromkeys(Dimension.objects.values_list("pk", flat=True)),
                **chosen,
            },
        )
        if result.skipped_posted:
            raise JournalLinePosted(
                _("Journal line %(k)s is posted and can no longer be changed.")
                % {"k": line.source_key}
            )
    return JournalLine.objects.get(pk=line.pk)
