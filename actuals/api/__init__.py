"""REST API v1 for time entries, expense entries and actuals (API.md "Time and expenses",
"Actuals").

Team members create, edit and delete their own draft/returned entries and submit or recall
them; the project manager of an entry's project approves, returns or cancels the approval.
Errors: 400 bad input (with the field), 403 a role or person that may not, 404 not visible,
409 a state that forbids the action.

Routes in :mod:`actuals.api_urls`. The package: :mod:`~actuals.api.entries` (time and expense
entries), :mod:`~actuals.api.actuals` (actuals) and :mod:`~actuals.api.journal` (import into the
integration journal).
"""

from actuals.api.actuals import ActualFilter, ActualSerializer, ActualViewSet
from actuals.api.entries import (
    ApproveSerializer,
    CancelApprovalSerializer,
    ExpenseEntrySerializer,
    ExpenseEntryViewSet,
    ImportSerializer,
    ReturnSerializer,
    TimeEntrySerializer,
    TimeEntryViewSet,
)
from actuals.api.journal import (
    JournalImportResultSerializer,
    JournalImportSerializer,
    JournalImportView,
)

__all__ = [
    "ActualFilter",
    "ActualSerializer",
    "ActualViewSet",
    "ApproveSerializer",
    "CancelApprovalSerializer",
    "ExpenseEntrySerializer",
    "ExpenseEntryViewSet",
    "ImportSerializer",
    "JournalImportResultSerializer",
    "JournalImportSerializer",
    "JournalImportView",
    "ReturnSerializer",
    "TimeEntrySerializer",
    "TimeEntryViewSet",
]
