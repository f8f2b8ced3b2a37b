"""API v1 routes of the ledger app (included at ``/api/v1/``)."""

from django.urls import path

from contracts.api.base import Router
from ledger import api

router = Router()
router.register("accounts", api.AccountViewSet, basename="account")
router.register("periods", api.PeriodViewSet, basename="period")
router.register("journals", api.JournalViewSet, basename="journal")
router.register("journal-lines", api.JournalLineViewSet, basename="journalline")
router.register(
    "customer-transactions", api.CustomerTransactionViewSet, basename="customertransaction"
)

urlpatterns = [
    path("trial-balance/", api.TrialBalanceView.as_view(), name="api-trial-balance"),
    path("reports/aging/", api.AgingView.as_view(), name="api-aging"),
    path(
        "reports/customer-statement/",
        api.CustomerStatementView.as_view(),
        name="api-customer-statement",
    ),
    path(
        "reports/receivables-reconciliation/",
        api.ReceivablesReconciliationView.as_view(),
        name="api-receivables-reconciliation",
    ),
    *router.urls,
]
