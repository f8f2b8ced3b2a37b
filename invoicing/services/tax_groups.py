"""The tax groups chosen on a journal line are the ones its actual's invoice uses.

DOMAIN.md §5 (VAT): the accountant may change either tax group on a journal line or on an
invoice proposal before posting. The journal line of a T&M actual (``source_key
"actual:<id>"``) is that actual's word on VAT, so (decisions):

- a detail created for an actual that has a journal line takes the line's two groups
  (:mod:`invoicing.services.creation`, in the detail insert), else the defaults (project →
  contract → customer; role or category);
- when the accountant changes the groups of journal lines
  (:func:`ledger.services.edit_journal_lines`), the ledger announces it
  (``journal_tax_groups_changed``: the ledger may not import invoicing) and
  :func:`follow_journal_tax_groups` sets the groups that were edited (only those: a group the
  invoice chose itself and the journal edit left alone stays), in the same transaction, on
  the details of those actuals on every invoice not yet posted (draft, in review, confirmed),
  bumping each such invoice's ``version`` so a form opened before the change is refused as
  stale, not saved over it. Posted invoices never change; credit-note details keep the
  groups of the detail they credit;
- concurrency: the edit locks the invoices in id order before their details, as
  confirmation, proposal edits and posting do, so none of them deadlocks with it, and an
  invoice posted meanwhile is left alone. Known gap: a run that bills the same actuals at the
  very moment of the edit read the old groups and commits after the edit looked for details,
  so its details keep the old groups (the proposal shows them; the accountant changes them
  there, or edits the journal line again). Closing it would have the run share-lock every
  journal line it reads, which costs the run and risks deadlocks with confirmation;
- a change on the proposal (per invoice line) comes later and wins for that invoice.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection

from actuals.journal import SOURCE_PREFIX
from invoicing.models import InvoiceStatus

#: The actuals of the journal lines (their ``source_key``).
_ACTUALS = f"""
SELECT substr(source_key, {len(SOURCE_PREFIX) + 1})::bigint FROM ledger_journalline
WHERE id = ANY(%(line_ids)s) AND source_key LIKE '{SOURCE_PREFIX}%%'
"""

#: 1. Lock the invoices not posted that hold them, in id order, as confirmation, proposal
#: edits and posting do (invoice first, then its details): a posting that wins the lock
#: leaves its invoice out.
_LOCK_INVOICES = f"""
SELECT i.id FROM invoicing_invoice i
WHERE i.status <> %(posted)s
  AND i.id IN (SELECT d.invoice_id FROM invoicing_invoicedetail d
               WHERE d.actual_id IN ({_ACTUALS}) AND d.credits_id IS NULL)
ORDER BY i.id FOR UPDATE OF i
"""

#: 2. Set the groups that were edited (only those) and bump each changed invoice's version.
_FOLLOW = f"""
WITH changed AS (
    UPDATE invoicing_invoicedetail d
    SET sales_tax_group_id = CASE WHEN %(sales)s THEN jl.sales_tax_group_id
                                  ELSE d.sales_tax_group_id END,
        item_sales_tax_group_id = CASE WHEN %(item)s THEN jl.item_sales_tax_group_id
                                       ELSE d.item_sales_tax_group_id END
    FROM ledger_journalline jl
    WHERE jl.id = ANY(%(line_ids)s)
      AND jl.source_key LIKE '{SOURCE_PREFIX}%%'
      AND d.actual_id = substr(jl.source_key, {len(SOURCE_PREFIX) + 1})::bigint
      AND d.credits_id IS NULL
      AND d.invoice_id = ANY(%(invoices)s)
      AND (%(sales)s AND d.sales_tax_group_id IS DISTINCT FROM jl.sales_tax_group_id
           OR %(item)s AND d.item_sales_tax_group_id IS DISTINCT FROM jl.item_sales_tax_group_id)
    RETURNING d.invoice_id
)
UPDATE invoicing_invoice SET version = version + 1
WHERE id IN (SELECT invoice_id FROM changed)
"""


def follow_journal_tax_groups(
    *, line_ids: Sequence[int], fields: Sequence[str], **_signal: Any
) -> int:
    """Put the edited groups (``fields``) of these journal lines on their actuals' unposted
    invoice details; returns how many invoices changed."""
    params: dict[str, Any] = {
        "line_ids": list(line_ids),
        "posted": InvoiceStatus.POSTED,
        "sales": "sales_tax_group" in fields,
        "item": "item_sales_tax_group" in fields,
    }
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_INVOICES, params)
        params["invoices"] = [row[0] for row in cursor.fetchall()]
        if not params["invoices"]:
            return 0
        cursor.execute(_FOLLOW, params)
        return cursor.rowcount
