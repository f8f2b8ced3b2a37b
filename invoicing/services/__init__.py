"""Writes of the billing app: backlog actions, drafts, confirmation and correction, runs."""

from .backlog import BacklogStateError, mark_not_ready, mark_ready, write_off
from .confirmation import confirm_invoice, create_correction
from .creation import BillingResult, bill_ready_items, claim_for_contracts, claim_selection
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
from .runs import execute_run, start_run

__all__ = [
    "BacklogStateError",
    "BillingResult",
    "InvoiceStateError",
    "StaleInvoice",
    "add_fee",
    "bill_ready_items",
    "claim_for_contracts",
    "claim_selection",
    "confirm_invoice",
    "create_correction",
    "create_invoice_for_contract",
    "delete_draft",
    "execute_run",
    "invoice_selection",
    "mark_not_ready",
    "mark_ready",
    "remove_detail",
    "start_run",
    "update_detail",
    "update_header",
    "write_off",
]
