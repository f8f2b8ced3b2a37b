"""Master data endpoints: customers, projects, tasks, roles, resources, expense categories and
price lists. Reading needs the model's view permission; writing is the administrator's."""

from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from contracts.api.base import ModelPermissions, ProtectedDestroyMixin, StableOrderingFilter
from contracts.filters import CustomerFilter, PriceListFilter, ProjectFilter, TaskFilter
from contracts.models import (
    CategoryPrice,
    Customer,
    ExpenseCategory,
    PriceList,
    Project,
    Resource,
    Role,
    RolePrice,
    Task,
)
from contracts.queries import price_lists_visible_to, projects_visible_to, tasks_visible_to
from contracts.serializers import (
    CustomerSerializer,
    ExpenseCategorySerializer,
    PriceListSerializer,
    ProjectSerializer,
    ResourceSerializer,
    RoleSerializer,
    TaskSerializer,
)


class MasterDataViewSet(ProtectedDestroyMixin, viewsets.ModelViewSet):
    permission_classes = [ModelPermissions]
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]


@extend_schema_view(
    list=extend_schema(summary="List customers"),
    create=extend_schema(summary="Create a customer"),
)
class CustomerViewSet(MasterDataViewSet):
    """Customers (who is invoiced)."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    ordering_fields = ["id", "code", "name"]
    ordering = ["code"]


class ProjectViewSet(MasterDataViewSet):
    """Projects. A project manager sees only the projects they manage."""

    queryset = Project.objects.all()
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["id", "code", "name", "start_date"]
    ordering = ["code"]

    def get_queryset(self) -> QuerySet[Project]:
        return projects_visible_to(self.request.user)


class TaskViewSet(MasterDataViewSet):
    """Tasks of projects. A project manager sees only the tasks of their own projects."""

    queryset = Task.objects.all()
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    ordering_fields = ["id", "code", "name", "project"]
    ordering = ["project", "code"]

    def get_queryset(self) -> QuerySet[Task]:
        return tasks_visible_to(self.request.user)


class RoleViewSet(MasterDataViewSet):
    """Roles resources work in (developer, consultant …)."""

    queryset = Role.objects.all()
    serializer_class = RoleSerializer
    filterset_fields = ["chargeable"]
    ordering_fields = ["id", "code", "name"]
    ordering = ["code"]


class ResourceViewSet(MasterDataViewSet):
    """Resources: the people who book time."""

    queryset = Resource.objects.all()
    serializer_class = ResourceSerializer
    filterset_fields = ["legal_entity", "user", "default_role"]
    ordering_fields = ["id", "name"]
    ordering = ["name"]


class ExpenseCategoryViewSet(MasterDataViewSet):
    """Expense categories (travel, hotel, mileage …)."""

    queryset = ExpenseCategory.objects.all()
    serializer_class = ExpenseCategorySerializer
    filterset_fields = ["chargeable"]
    ordering_fields = ["id", "code", "name"]
    ordering = ["code"]


class PriceListViewSet(MasterDataViewSet):
    """Sales and cost price lists with their role and category prices, nested.

    Two lists of the same kind and currency (for the same contract, or two standard ones) may
    not be effective on the same day. A contract's own lists are visible to whoever sees the
    contract; standard lists to every reader.
    """

    queryset = PriceList.objects.all()
    serializer_class = PriceListSerializer
    filterset_class = PriceListFilter
    ordering_fields = ["id", "name", "valid_from", "kind", "currency"]
    ordering = ["kind", "currency", "valid_from"]

    def get_queryset(self) -> QuerySet[PriceList]:
        return price_lists_visible_to(self.request.user).prefetch_related(
            Prefetch("role_prices", RolePrice.objects.order_by("pk")),
            Prefetch("category_prices", CategoryPrice.objects.order_by("pk")),
        )
