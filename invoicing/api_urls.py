"""API v1 routes of the billing app (included at ``/api/v1/``).

``contracts/{id}/create-invoice/`` is an explicit path: the contracts router's detail route
(``contracts/{pk}/``) ends there, so the two never clash.
"""

from django.urls import path

from contracts.api.base import Router
from invoicing import api

router = Router()
router.register("backlog", api.BacklogViewSet, basename="backlog")
router.register("invoices", api.InvoiceViewSet, basename="invoice")
router.register("invoice-runs", api.InvoiceRunViewSet, basename="invoicerun")
router.register("posting-batches", api.PostingBatchViewSet, basename="postingbatch")

urlpatterns = [
    # Before the router: the invoice's printed PDF (stored bytes once posted, else PRO FORMA).
    path("invoices/<int:pk>/pdf/", api.InvoicePdfView.as_view(), name="invoice-pdf"),
    path(
        "contracts/<int:pk>/create-invoice/",
        api.ContractCreateInvoiceView.as_view(),
        name="contract-create-invoice",
    ),
    # A milestone's billing moves (the milestones themselves are the contracts app's routes).
    path(
        "milestones/<int:pk>/mark-ready/",
        api.MilestoneMarkReadyView.as_view(),
        name="milestone-mark-ready",
    ),
    path(
        "milestones/<int:pk>/mark-not-ready/",
        api.MilestoneMarkNotReadyView.as_view(),
        name="milestone-mark-not-ready",
    ),
    *router.urls,
]
