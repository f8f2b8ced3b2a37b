"""The REST API (v1) for master data and contracts; routes in :mod:`contracts.api_urls`."""

from contracts.api.agreements import (
    ContractLineViewSet,
    ContractViewSet,
    InvoiceScheduleViewSet,
    MilestoneViewSet,
)
from contracts.api.auth import ObtainTokenView
from contracts.api.masterdata import (
    CustomerViewSet,
    ExpenseCategoryViewSet,
    PriceListViewSet,
    ProjectViewSet,
    ResourceViewSet,
    RoleViewSet,
    TaskViewSet,
)

__all__ = [
    "ContractLineViewSet",
    "ContractViewSet",
    "CustomerViewSet",
    "ExpenseCategoryViewSet",
    "InvoiceScheduleViewSet",
    "MilestoneViewSet",
    "ObtainTokenView",
    "PriceListViewSet",
    "ProjectViewSet",
    "ResourceViewSet",
    "RoleViewSet",
    "TaskViewSet",
]
