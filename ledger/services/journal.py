"""The integration journal: post a journal line by line, edit a draft line."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from contracts.models import ItemSalesTaxGroup, SalesTaxGroup
from ledger.models import (
    DimensionValue,
    Journal,
    JournalLine,
    JournalLineDimension,
    JournalLineKind,
    JournalLineStatus,
    JournalStatus,
    LedgerEntry,
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
    if line.kind == JournalLineKind.TIME_COST:
        debit, credit = profile.project_cost_account, profile.payroll_allocation_account
    elif line.kind == JournalLineKind.EXPENSE_COST:
        debit, credit = profile.project_cost_account, profile.expense_offset_account
    elif line.kind == JournalLineKind.TM_UNBILLED_SALES:
        if not profile.accrue_tm_revenue:
            return None
        debit, credit = profile.wip_sales_value_account, profile.accrued_revenue_account
    else:  # pragma: no cover - the check constraint admits no other kind
        raise LedgerError(_("Unknown line kind %(k)s.") % {"k": line.kind}, field="kind")
    if line.amount < 0:  # a reversal posts the mirror image
        debit, credit = credit, debit
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
    return post_entry(
        legal_entity=legal_entity,
        entry_date=line.line_date,
        memo=f"{JournalLineKind(line.kind).label} {line.source_key}",
        lines=[
            LineSpec(account=debit, side=Side.DEBIT, **common),
            LineSpec(account=credit, side=Side.CREDIT, **common),
        ],
        posted_by=posted_by,
        posted_at=posted_at,
    )


def post_journal(*, journal: Journal, posted_by: Any, posted_at: dt.datetime) -> JournalPostResult:
    """Post every draft line of a journal, each in its own savepoint.

    A line that cannot post (closed period, missing posting profile or account, missing
    exchange rate …) stays in draft with its reason; the others post. A T&M unbilled-sales
    line under a profile that does not accrue revenue is marked posted without an entry. The
    journal is posted once no draft line is left.
    """
    posted = without_entry = failed = 0
    with transaction.atomic(durable=True):
        locked = (
            Journal.objects.select_for_update().select_related("legal_entity").get(pk=journal.pk)
        )
        if locked.status == JournalStatus.POSTED:
            raise JournalPosted(_("This journal is already posted."))
        lines = list(
            JournalLine.objects.select_for_update(of=("self",))
            .select_related("project", "customer")
            .filter(journal=locked, status=JournalLineStatus.DRAFT)
            .order_by("line_date", "pk")
        )
        for line in lines:
            line.journal = locked
            try:
                with transaction.atomic():
                    entry = _journal_line_entry(line=line, posted_by=posted_by, posted_at=posted_at)
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
        if not JournalLine.objects.filter(journal=locked, status=JournalLineStatus.DRAFT).exists():
            locked.status = JournalStatus.POSTED
            locked.save(update_fields=["status"])
    return JournalPostResult(posted=posted, posted_without_entry=without_entry, failed=failed)


def update_journal_line(
    *,
    line: JournalLine,
    sales_tax_group: SalesTaxGroup | None,
    item_sales_tax_group: ItemSalesTaxGroup | None,
    dimension_values: Sequence[DimensionValue | int],
) -> JournalLine:
    """Change what the accountant may change on a draft line: the tax groups and dimensions.

    Refused for a posted line (409), for an unknown or inactive dimension value, two values of
    one dimension, and a pair of tax groups that selects no VAT code (400); nothing changes.
    """
    with transaction.atomic():
        locked = JournalLine.objects.select_for_update().get(pk=line.pk)
        if locked.status == JournalLineStatus.POSTED:
            raise JournalLinePosted(
                _("Journal line %(k)s is posted and can no longer be changed.")
                % {"k": locked.source_key}
            )
        ids = [v.pk if isinstance(v, DimensionValue) else int(v) for v in dimension_values]
        values = {v.pk: v for v in DimensionValue.objects.filter(pk__in=ids)}
        unknown = [i for i in ids if i not in values]
        if unknown:
            raise ValidationError(
                {
                    "dimension_values": [
                        _("Unknown dimension value: %(ids)s.")
                        % {"ids": ", ".join(str(i) for i in unknown)}
                    ]
                }
            )
        inactive = [str(values[i]) for i in ids if not values[i].is_active]
        if inactive:
            raise ValidationError(
                {
                    "dimension_values": [
                        _("Inactive dimension value: %(v)s.") % {"v": ", ".join(inactive)}
                    ]
                }
            )
        dimension_ids = [values[i].dimension_id for i in ids]
        if len(dimension_ids) != len(set(dimension_ids)):
            raise ValidationError(
                {"dimension_values": [_("Choose at most one value per dimension.")]}
            )
        if sales_tax_group is not None and item_sales_tax_group is not None:
            vat_code_for(sales_tax_group=sales_tax_group, item_sales_tax_group=item_sales_tax_group)
        locked.sales_tax_group = sales_tax_group
        locked.item_sales_tax_group = item_sales_tax_group
        locked.save(update_fields=["sales_tax_group", "item_sales_tax_group"])
        JournalLineDimension.objects.filter(line=locked).delete()
        JournalLineDimension.objects.bulk_create(
            JournalLineDimension(line=locked, dimension_id=values[i].dimension_id, value=values[i])
            for i in ids
        )
    return locked
