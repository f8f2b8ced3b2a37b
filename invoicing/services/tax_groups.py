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
  :func:`follow_journal_tax_groups` sets them, in the same transaction, on the details of
  those actuals on every invoice not yet posted (draft, in review, confirmed), bumping each
  such invoice's ``version`` so a form opened before the change is refused as stale, not
  saved over it. Posted invoices never change; credit-note details keep the groups of the
  detail they credit;
- a change on the proposal (per invoice line) comes later and wins for that invoice.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection

from actuals.journal import SOURCE_PREFIX
from invoicing.models import InvoiceStatus

_FOLLOW = f"""
WITH changed AS (
    UPDATE invoicing_invoicedetail d
    SET sales_tax_group_id = jl.sales_tax_group_id,
        item_sales_tax_group_id = jl.item_sales_tax_group_id
    FROM ledger_journalline jl, invoicing_invoice i
    WHERE jl.id = ANY(%(line_ids)s)
      AND jl.source_key LIKE '{SOURCE_PREFIX}%%'
      AND d.actual_id = substr(jl.source_key, {len(SOURCE_PREFIX) + 1})::bigint
      AND d.credits_id IS NULL
      AND i.id = d.invoice_id
      AND i.status <> %(posted)s
      AND (d.sales_tax_group_id, d.item_sales_tax_group_id)
          IS DISTINCT FROM (jl.sales_tax_group_id, jl.item_sales_tax_group_id)
    RETURNING d.invoice_id
)
UPDATE invoicing_invoice SET version = version + 1
WHERE id IN (SELECT invoice_id FROM changed)
"""


def follow_journal_tax_groups(*, line_ids: Sequence[int], **_signal: Any) -> int:
    """Put the groups of these journal lines on their actuals' unposted invoice details;
    returns how many invoices changed."""
    with connection.cursor() as cursor:
        cursor.execute(_FOLLOW, {"line_ids": list(line_ids), "posted": InvoiceStatus.POSTED})
        return cursor.rowcount
