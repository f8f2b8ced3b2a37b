"""Portal routes of the billing pages (included at ``/billing/``, namespace ``invoicing``)."""

from django.urls import path

from invoicing.portal import backlog, documents, invoices, proposals, runs

app_name = "invoicing"

urlpatterns = [
    path("backlog/", backlog.backlog, name="backlog"),
    path("suggest/<slug:name>/", backlog.suggest, name="suggest"),
    path("contracts/<int:pk>/create-invoice/", backlog.create_invoice, name="create-invoice"),
    path("milestones/", backlog.milestones, name="milestones"),
    path("drafts/", invoices.drafts, name="drafts"),
    path("invoices/", invoices.invoice_list, name="invoice-list"),
    path("invoices/<int:pk>/", invoices.invoice_detail, name="invoice-detail"),
    path("invoices/<int:pk>/header/", invoices.invoice_header, name="invoice-header"),
    path(
        "invoices/<int:pk>/details/<int:detail_id>/",
        invoices.detail_edit,
        name="invoice-detail-edit",
    ),
    path(
        "invoices/<int:pk>/details/<int:detail_id>/remove/",
        invoices.detail_remove,
        name="invoice-detail-remove",
    ),
    path("invoices/<int:pk>/fees/", invoices.fee_add, name="invoice-add-fee"),
    path("invoices/<int:pk>/confirm/", invoices.invoice_confirm, name="invoice-confirm"),
    path("invoices/<int:pk>/delete/", invoices.invoice_delete, name="invoice-delete"),
    path("invoices/<int:pk>/correct/", invoices.invoice_correct, name="invoice-correct"),
    path("invoices/<int:pk>/pdf/", documents.invoice_pdf, name="invoice-pdf"),
    path("proposals/", proposals.proposal_list, name="proposal-list"),
    path("proposals/<int:pk>/", proposals.proposal_detail, name="proposal-detail"),
    path("proposals/<int:pk>/post/", proposals.proposal_post, name="proposal-post"),
    path("posted-invoices/", proposals.posted_invoice_list, name="posted-invoice-list"),
    path("posting-batches/<int:pk>/", proposals.batch_detail, name="batch-detail"),
    path("runs/", runs.run_list, name="run-list"),
    path("runs/<int:pk>/", runs.run_detail, name="run-detail"),
    path("runs/<int:pk>/retry/", runs.run_retry, name="run-retry"),
]
