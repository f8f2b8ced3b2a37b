from django.urls import path

from actuals import views

app_name = "actuals"
urlpatterns = [
    path("week/", views.my_week, name="my-week"),
    path("expenses/", views.my_expenses, name="my-expenses"),
    path("expenses/<int:pk>/edit/", views.expense_edit, name="expense-edit"),
    path("expenses/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("entries/<str:kind>/<int:pk>/<str:verb>/", views.entry_action, name="entry-action"),
    path("returned/", views.returned, name="returned"),
    path("approvals/", views.approvals, name="approvals"),
    path("actuals/", views.project_actuals, name="project-actuals"),
    path("journal/import/", views.journal_import, name="journal-import"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
]
