"""DRF serializers for master data and contracts (API v1); public names re-exported here.

Amounts, prices and percentages are decimal strings. Serializers that write check what the
database would refuse (the model's constraints, through ``full_clean``) so that a bad payload is
a 400 naming the field, never a database error. Nested errors are reported with dotted paths,
e.g. ``role_prices[1].price`` or ``lines[0].coverage[0].project``.

A contract is written whole by :func:`contracts.services.create_contract`: the create serializer
only checks types and references and hands a :class:`~contracts.services.ContractSpec` over.
"""

from contracts.serializers.common import (
    DottedErrorsMixin,
    ErrorSerializer,
    ModelCleanMixin,
    TokenRequestSerializer,
    TokenSerializer,
    dotted_errors,
    not_negative,
)
from contracts.serializers.contracts import (
    BillingRuleSerializer,
    ContractCreateSerializer,
    ContractCustomerSerializer,
    ContractLineSerializer,
    ContractSerializer,
    ContractUpdateSerializer,
    CoverageSerializer,
    CustomerSplitInputSerializer,
    LineCustomerSerializer,
    LineInputSerializer,
)
from contracts.serializers.masterdata import (
    CategoryPriceSerializer,
    CustomerSerializer,
    ExpenseCategorySerializer,
    PriceListSerializer,
    ProjectSerializer,
    ResourceSerializer,
    RolePriceSerializer,
    RoleSerializer,
    TaskSerializer,
)
from contracts.serializers.schedules import (
    InvoiceScheduleEntrySerializer,
    MilestoneCreateSerializer,
    MilestoneSerializer,
    ScheduleGenerationSerializer,
)

__all__ = [
    "BillingRuleSerializer",
    "CategoryPriceSerializer",
    "ContractCreateSerializer",
    "ContractCustomerSerializer",
    "ContractLineSerializer",
    "ContractSerializer",
    "ContractUpdateSerializer",
    "CoverageSerializer",
    "CustomerSerializer",
    "CustomerSplitInputSerializer",
    "DottedErrorsMixin",
    "ErrorSerializer",
    "ExpenseCategorySerializer",
    "InvoiceScheduleEntrySerializer",
    "LineCustomerSerializer",
    "LineInputSerializer",
    "MilestoneCreateSerializer",
    "MilestoneSerializer",
    "ModelCleanMixin",
    "PriceListSerializer",
    "ProjectSerializer",
    "ResourceSerializer",
    "RolePriceSerializer",
    "RoleSerializer",
    "ScheduleGenerationSerializer",
    "TaskSerializer",
    "TokenRequestSerializer",
    "TokenSerializer",
    "dotted_errors",
    "not_negative",
]
