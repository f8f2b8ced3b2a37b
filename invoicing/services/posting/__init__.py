"""Invoice proposals and posting (DOMAIN.md §5–7; the ledger postings of §6).

**The proposal.** A confirmed invoice waits for the accountant as an *invoice proposal*.
:func:`update_proposal` changes only what the accountant may still change: the invoice date,
accounting date, due date, description, customer reference, and per invoice line the sales
tax group and item sales tax group (set on every detail of the line, so
:func:`invoicing.queries.invoice_totals` recomputes the VAT). An empty accounting date means
*the invoice date*; an empty due date means *the invoice date + the customer's payment terms*
(:func:`effective_accounting_date`, :func:`effective_due_date`); posting writes the dates it
used.

**Posting** (:func:`post_invoice`, the django-fsm-2 transition confirmed → posted, in ONE
durable transaction): the invoice row is locked (``SELECT … FOR UPDATE``) and its status
checked, so a second post (two accountants, a double click) waits for the first and is then
refused with :class:`InvoiceStateError` (409): one entry, one number, one PDF. The one who
confirmed the invoice may not post it (DOMAIN.md §7: :class:`PostingNotAllowed`, 403).
Posting is refused, with everything to fix at once (:class:`PostingBlocked`, 400, by field),
when:

- a T&M actual on the invoice (a detail's unbilled ``actual``) whose posting profile accrues
  revenue has no *posted* integration-journal line (``source_key "actual:<id>"``): the
  message lists them, imported or not, and hours whose credit note is not posted yet
  (``journal``);
- a line's pair of tax groups selects no VAT code (``lines``);
- the customer has no address (``customer``);
- the accounting date lies in a closed period or in no period (``accounting_date``). With
  ``settings.POST_INTO_NEXT_OPEN_PERIOD`` the accounting date moves instead to the first day
  of the next open period of the legal entity (refused if there is none);
- a credit note's original invoice is not posted yet (``corrects``), a due date lies before the
  invoice date (``due_date``), a project has no posting profile (``project``), or the currency
  has no exchange rate (``currency``).

Then, in the same transaction:

1. the **number**: :func:`ledger.services.next_number` of the legal entity's ``"invoice"``
   series for the fiscal year of the accounting date (``INV2026-000001``), under the series'
   row lock: a rollback gives it back, so posted numbers have no gaps. Credit notes share the
   series (a Dutch credit note is an invoice with negative amounts);
2. **one balanced ledger entry** (:func:`ledger.services.post_entry`) dated on the accounting
   date: debit *receivables* the gross amount (net + VAT, ``customer`` set); credit *invoiced
   revenue* per invoice line and project (the chargeable details' net; milestone details go
   to *invoiced revenue on account*; ``project`` set); credit *VAT payable* per VAT code (the
   code's ``payable_account``, else the profile's; codes with 0 VAT have no line); and, for
   every T&M detail whose unbilled actual is in WIP (accrued by its journal line, or by the
   credit note that brought it back), the accrual is reversed: debit *accrued revenue*, credit
   *WIP – sales value*, per project, for exactly the actual's WIP balance in accounting
   currency (:mod:`actuals.wip`: so WIP clears to the cent, on the accounts it was booked on),
   each actual's share recorded as a WIP movement. Revenue and receivables come from the
   posting profile of each detail's
   project; receivables and VAT from the legal entity's default profile (else the first
   project's). Zero amounts make no line; an invoice with nothing at all to post is refused.
   **Credit notes** post the mirror image (their amounts are negative, so every side flips)
   and name the invoice they correct in the memo. The credited quantity went back to the
   backlog as a *new* unbilled actual: the credit note's posting accrues it in WIP at once
   (debit WIP, credit accrued revenue, at the credit note's rate; not if it was written off
   meanwhile), where the journal would otherwise have waited for an import;
3. **currency**: amounts are in the contract's currency; when the legal entity's accounting
   currency differs, each revenue and VAT line is converted with the ledger's
   :func:`~ledger.services.exchange_rate` on the accounting date and rounded once, and the
   receivables line takes their sum, so the entry balances exactly. A rate fixed by the
   contract is not modelled yet;
4. a **customer open item** (:func:`ledger.services.record_customer_transaction`): number,
   invoice date, due date, gross (signed), open = gross, currency. A credit note's item
   settles its original invoice's open item as far as both allow, so a full credit nets the
   open items to zero;
5. the **project subledger link**: the billed actuals written on confirmation are reachable
   from ``InvoiceDetail.billed_actual`` and the voucher from ``Invoice.ledger_entry`` (the
   ledger knows no actuals; revenue and accrual lines carry the project). Nothing is written on
   the actuals themselves (their financial columns are immutable);
6. the invoice: number, **payment reference** — a structured creditor reference ISO 11649
   (``RF`` + two check digits + the digits of the number, e.g. ``RF422026000001``) for every
   customer: Dutch and Belgian banks both accept it, so one rule serves both — posted_at/by,
   ledger entry, accounting and due dates; then the **PDF** is rendered
   (``invoicing.documents.render_invoice_pdf(invoice=…, proforma=False)``) and stored in
   ``invoice.pdf`` (``<number>.pdf``) with its SHA-256. If rendering fails the whole posting
   rolls back (no number is used); a file already written for a posting that rolls back is
   deleted.

**Batches** (*post selected*): :func:`start_posting_batch` records a
:class:`~invoicing.models.PostingBatch`; :func:`run_posting_batch` (a Celery task wraps it)
posts each proposal in its own transaction and records the counts and each failure's reason
after every invoice, so the batch page shows progress.
"""

from .batches import (
    fail_stalled_posting_batches,
    failure_reason,
    queue_posting_batch,
    run_posting_batch,
    start_posting_batch,
)
from .blockers import (
    JournalBlocker,
    MissingJournalPosting,
    journal_blockers,
    missing_journal_postings,
    posting_blockers,
)
from .entry import creditor_reference, post_invoice
from .proposal import (
    INVOICE_SERIES,
    PostingBlocked,
    PostingNotAllowed,
    effective_accounting_date,
    effective_due_date,
    posting_period,
    update_proposal,
)

__all__ = [
    "INVOICE_SERIES",
    "JournalBlocker",
    "MissingJournalPosting",
    "PostingBlocked",
    "PostingNotAllowed",
    "creditor_reference",
    "effective_accounting_date",
    "effective_due_date",
    "fail_stalled_posting_batches",
    "failure_reason",
    "journal_blockers",
    "missing_journal_postings",
    "post_invoice",
    "posting_blockers",
    "posting_period",
    "queue_posting_batch",
    "run_posting_batch",
    "start_posting_batch",
    "update_proposal",
]
