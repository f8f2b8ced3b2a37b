"""The actuals app's models; public names re-exported here."""

from .actual import (
    BACKLOG_STATUSES,
    FINANCIAL_FIELDS,
    ON_INVOICE_STATUSES,
    WORKFLOW_FIELDS,
    Actual,
    ActualType,
    BillingStatus,
    BillingType,
    NteLevel,
    NteStatus,
)
from .entries import EDITABLE_STATES, Entry, EntryStatus, ExpenseEntry, TimeEntry

__all__ = [
    "BACKLOG_STATUSES",
    "EDITABLE_STATES",
    "FINANCIAL_FIELDS",
    "ON_INVOICE_STATUSES",
    "WORKFLOW_FIELDS",
    "Actual",
    "ActualType",
    "BillingStatus",
    "BillingType",
    "Entry",
    "EntryStatus",
    "ExpenseEntry",
    "NteLevel",
    "NteStatus",
    "TimeEntry",
]
