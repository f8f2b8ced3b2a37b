from django.urls import path

from actuals import api
from contracts.api.base import Router

router = Router()
router.register("time-entries", api.TimeEntryViewSet, basename="time-entry")
router.register("expense-entries", api.ExpenseEntryViewSet, basename="expense-entry")
router.register("actuals", api.ActualViewSet, basename="actual")

#: ``POST journals/import/``: included by ``invoicing/urls.py`` *before* the ledger's routes,
#: whose ``journals/<pk>/`` would otherwise take "import" for a journal's id.
journal_import_urlpatterns = [
    path("journals/import/", api.JournalImportView.as_view(), name="api-journal-import"),
]

urlpatterns = router.urls
