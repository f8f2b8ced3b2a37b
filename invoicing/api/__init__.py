"""The billing REST API (v1): backlog, invoices, invoice runs; routes in
:mod:`invoicing.api_urls`."""

from .backlog import BacklogViewSet, MilestoneMarkNotReadyView, MilestoneMarkReadyView
from .documents import InvoicePdfView
from .invoices import ContractCreateInvoiceView, InvoiceViewSet
from .posting import PostingBatchViewSet
from .runs import InvoiceRunViewSet

__all__ = [
    "BacklogViewSet",
    "ContractCreateInvoiceView",
    "InvoicePdfView",
    "InvoiceRunViewSet",
    "InvoiceViewSet",
    "MilestoneMarkNotReadyView",
    "MilestoneMarkReadyView",
    "PostingBatchViewSet",
]
