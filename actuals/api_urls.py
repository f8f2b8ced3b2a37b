from rest_framework.routers import SimpleRouter

from actuals import api

router = SimpleRouter()
router.register("time-entries", api.TimeEntryViewSet, basename="time-entry")
router.register("expense-entries", api.ExpenseEntryViewSet, basename="expense-entry")
router.register("actuals", api.ActualViewSet, basename="actual")

urlpatterns = router.urls
