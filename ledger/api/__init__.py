"""The ledger's REST API (v1): accounts, periods (close/reopen), journals (post), journal lines
(tax groups and dimensions), the trial balance and the customer subledger's open items, the
aging report, the customer statement and the receivables reconciliation.

Reading needs the model's view permission, acting the ledger permission of the action
(``close_period``, ``post_journal``, ``change_journalline``): accountants hold them. A service's
:class:`ledger.services.LedgerError` is a 400 naming the field; a state that forbids the action
(:class:`ledger.services.LedgerStateError`) is a 409.

``POST /api/v1/journals/import/`` belongs to the actuals app (it reads actuals) and is not here.

Routes in :mod:`ledger.api_urls`. The package: :mod:`~ledger.api.setup` (accounts, periods),
:mod:`~ledger.api.journals` (journals, journal lines), :mod:`~ledger.api.receivables` (customer
transactions), :mod:`~ledger.api.reports` (trial balance, aging, customer statement, receivables
reconciliation) and :mod:`~ledger.api.common` (helpers of the reports).
"""

from ledger.api.journals import (
    JournalLineSerializer,
    JournalLineUpdateSerializer,
    JournalLineViewSet,
    JournalPostResultSerializer,
    JournalSerializer,
    JournalViewSet,
)
from ledger.api.receivables import CustomerTransactionSerializer, CustomerTransactionViewSet
from ledger.api.reports import (
    AgingView,
    CustomerStatementView,
    ReceivablesReconciliationView,
    TrialBalanceView,
)
from ledger.api.setup import AccountSerializer, AccountViewSet, PeriodSerializer, PeriodViewSet

__all__ = [
    "AccountSerializer",
    "AccountViewSet",
    "AgingView",
    "CustomerStatementView",
    "CustomerTransactionSerializer",
    "CustomerTransactionViewSet",
    "JournalLineSerializer",
    "JournalLineUpdateSerializer",
    "JournalLineViewSet",
    "JournalPostResultSerializer",
    "JournalSerializer",
    "JournalViewSet",
    "PeriodSerializer",
    "PeriodViewSet",
    "ReceivablesReconciliationView",
    "TrialBalanceView",
]
