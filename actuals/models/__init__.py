"""The actuals app's models; public names re-exported here."""

from .actual import FINANCIAL_FIELDS, Actual, ActualType, BillingType
from .billing import (
    BACKLOG_STATUSES,
    BILLING_MOVES,
    ON_INVOICE_STATUSES,
    UNBILLABLE_STATUSES,
    WORKFLOW_FIELDS,
    ActualBilling,
    BacklogTotal,
    BillingStatus,
    NteLevel,
    NteStatus,
)
from .entries import EDITABLE_STATES, Entry, EntryStatus, ExpenseEntry, TimeEntry
from .wip import WipMovement, WipMovementKind

__all__ = [
    "BACKLOG_STATUSES",
    "BILLING_MOVES",
    "EDITABLE_STATES",
    "FINANCIAL_FIELDS",
    "ON_INVOICE_STATUSES",
    "UNBILLABLE_STATUSES",
    "WORKFLOW_FIELDS",
    "Actual",
    "ActualBilling",
    "ActualType",
    "BacklogTotal",
    "BillingStatus",
    "BillingType",
    "Entry",
    "EntryStatus",
    "ExpenseEntry",
    "NteLevel",
    "NteStatus",
    "TimeEntry",
    "WipMovement",
    "WipMovementKind",
]
