"""Portal pages of the actuals app.

Team member: my week (a weekly timesheet grid), my expenses (list, form with receipt upload),
returned entries with the reason. Project manager: approvals waiting (filters, bulk approve /
return, billable quantity per entry) and project actuals (filters, totals). Pages check the
permission (403), scope to what the user may see (404 otherwise), call one service per action
and turn its errors into messages a person understands. No inline JS or CSS (strict CSP).

The grid: one row per project / task / role, one cell per day holding one entry. Rows of
existing entries keep their project / task / role (set the hours to 0 and use a new row to move
hours); a cell whose entry is submitted or approved, or that holds more than one entry (e.g.
from an import), is shown read-only. Emptying an editable cell deletes its entry. "Save" keeps
drafts; "Submit week" saves, then submits every draft or returned entry of the week. Any error
rolls the whole save back and is listed per cell.

Routes in :mod:`actuals.urls`. The package: :mod:`~actuals.views.week` (my week),
:mod:`~actuals.views.expenses` (my expenses, entry actions, returned entries),
:mod:`~actuals.views.approval` (approvals), :mod:`~actuals.views.actuals` (project actuals),
:mod:`~actuals.views.journal` (journal import, WIP reconciliation) and
:mod:`~actuals.views.common` (helpers).
"""

from actuals.views.actuals import project_actuals
from actuals.views.approval import approvals
from actuals.views.expenses import entry_action, expense_edit, my_expenses, receipt, returned
from actuals.views.journal import journal_import, reconciliation
from actuals.views.week import BLANK_ROWS, my_week

__all__ = [
    "BLANK_ROWS",
    "approvals",
    "entry_action",
    "expense_edit",
    "journal_import",
    "my_expenses",
    "my_week",
    "project_actuals",
    "receipt",
    "reconciliation",
    "returned",
]
