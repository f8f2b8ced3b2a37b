"""Writes of the billing app: backlog actions, drafts, confirmation and correction, runs."""

from .confirmation import confirm_invoice, create_correction
from .creation import BillingResult, bill_ready_items
from .drafts import (
    InvoiceStateError,
    StaleInvoice,
    add_fee,
    create_invoice_for_contract,
    delete_draft,
    invoice_selection,
    remove_detail,
    update_detail,
    update_header,
)
from .posting import (
    MissingJournalPosting,
    PostingBlocked,
    PostingNotAllowed,
    creditor_reference,
    effective_accounting_date,
    effective_due_date,
    missing_journal_postings,
    post_invoice,
    posting_blockers,
    run_posting_batch,
    start_posting_batch,
    update_proposal,
)
from .runs import execute_run, start_run

__all__ = [
    "BillingResult",
    "InvoiceStateError",
    "MissingJournalPosting",
    "PostingBlocked",
    "PostingNotAllowed",
    "StaleInvoice",
    "add_fee",
    "bill_ready_items",
    "confirm_invoice",
    "create_correction",
    "create_invoice_for_contract",
    "creditor_reference",
    "delete_draft",
    "effective_accounting_date",
    "effective_due_date",
    "execute_run",
    "invoice_selection",
    "missing_journal_postings",
    "post_invoice",
    "posting_blockers",
    "remove_detail",
    "run_posting_batch",
    "start_posting_batch",
    "start_run",
    "update_detail",
    "update_header",
    "update_proposal",
]
