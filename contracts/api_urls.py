"""API v1 routes of the contracts app (included at ``/api/v1/``)."""

from django.urls import path

from contracts import api
from contracts.api.base import Router

router = Router()
router.register("customers", api.CustomerViewSet, basename="customer")
router.register("projects", api.ProjectViewSet, basename="project")
router.register("tasks", api.TaskViewSet, basename="task")
router.register("roles", api.RoleViewSet, basename="role")
router.register("resources", api.ResourceViewSet, basename="resource")
router.register("expense-categories", api.ExpenseCategoryViewSet, basename="expensecategory")
router.register("price-lists", api.PriceListViewSet, basename="pricelist")
router.register("contracts", api.ContractViewSet, basename="contract")
router.register("contract-lines", api.ContractLineViewSet, basename="contractline")
router.register("invoice-schedules", api.InvoiceScheduleViewSet, basename="invoiceschedule")
router.register("milestones", api.MilestoneViewSet, basename="milestone")

urlpatterns = [
    path("auth/token/", api.ObtainTokenView.as_view(), name="api-token"),
    *router.urls,
]
