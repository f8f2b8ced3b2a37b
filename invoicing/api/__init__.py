"""The billing REST API (v1): backlog, invoices, invoice runs; routes in
:mod:`invoicing.api_urls`."""

from .backlog import BacklogViewSet
from .invoices import ContractCreateInvoiceView, InvoiceViewSet
from .runs import InvoiceRunViewSet

__all__ = [
    "BacklogViewSet",
    "ContractCreateInvoiceView",
    "InvoiceRunViewSet",
    "InvoiceViewSet",
]
