"""Writes of the actuals app (entries, approval, import); public names re-exported here."""

from actuals.importing import ImportRefused, import_time_entries

from .approval import (
    ApprovalResult,
    CancelResult,
    approve_entries,
    approve_expense_entry,
    approve_time_entry,
    cancel_approval,
)
from .billing import BillingStateError, reevaluate_nte
from .entries import (
    create_expense_entry,
    create_time_entry,
    delete_entry,
    recall_entry,
    return_entries,
    return_entry,
    submit_entries,
    submit_entry,
    update_expense_entry,
    update_time_entry,
)
from .errors import EntryStateError, NotAuthorError

__all__ = [
    "ApprovalResult",
    "BillingStateError",
    "CancelResult",
    "EntryStateError",
    "ImportRefused",
    "NotAuthorError",
    "approve_entries",
    "approve_expense_entry",
    "approve_time_entry",
    "cancel_approval",
    "create_expense_entry",
    "create_time_entry",
    "delete_entry",
    "import_time_entries",
    "recall_entry",
    "reevaluate_nte",
    "return_entries",
    "return_entry",
    "submit_entries",
    "submit_entry",
    "update_expense_entry",
    "update_time_entry",
]
