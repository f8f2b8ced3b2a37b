"""The accountant's ledger pages (included at ``/ledger/``)."""

from django.urls import path

from ledger import journal_views, views

app_name = "ledger"
urlpatterns = [
    path("journals/", journal_views.journal_list, name="journal-list"),
    path("journals/<int:pk>/", journal_views.journal_detail, name="journal-detail"),
    path("journals/<int:pk>/post/", journal_views.journal_post, name="journal-post"),
    path("journal-jobs/<int:pk>/", journal_views.job_detail, name="job-detail"),
    path("suggest/<slug:name>/", journal_views.suggest, name="suggest"),
    path("periods/", views.period_list, name="period-list"),
    path("periods/<int:pk>/close/", views.period_close, name="period-close"),
    path("periods/<int:pk>/reopen/", views.period_reopen, name="period-reopen"),
    path("reports/", views.reports, name="reports"),
    path("reports/trial-balance/", views.trial_balance_page, name="trial-balance"),
    path("reports/reconciliation/", views.reconciliation_page, name="reconciliation"),
    path("accounts/<int:pk>/", views.account_detail_page, name="account-detail"),
    path("receivables/", views.receivables, name="receivables"),
    path("receivables/aging/", views.aging_page, name="aging"),
    path("receivables/statement/", views.statement_page, name="customer-statement"),
    path(
        "receivables/reconciliation/",
        views.receivables_reconciliation_page,
        name="receivables-reconciliation",
    ),
]
