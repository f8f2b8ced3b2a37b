"""Contract serializers: the nested read shape and the whole-contract create payload."""

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from contracts.models import (
    BillingMethod,
    Contract,
    ContractCustomer,
    ContractLine,
    Customer,
    ExpenseCategory,
    LegalEntity,
    LineCustomer,
    Project,
    Role,
    SalesTaxGroup,
    Task,
    TransactionClass,
)
from contracts.roles import Role as UserRole
from contracts.roles import has_role
from contracts.serializers import common as strict
from contracts.serializers.common import (
    NOT_NEGATIVE_LIMIT,
    DottedErrorsMixin,
    ModelCleanMixin,
)
from contracts.services import (
    BillingRule,
    ContractSpec,
    Coverage,
    CustomerSplit,
    LineSpec,
    LineSplit,
)

User = get_user_model()

# --- contracts: read ------------------------------------------------------------------------


class ContractCustomerSerializer(strict.ModelSerializer):
    class Meta:
        model = ContractCustomer
        fields = ["id", "customer", "split_percent", "is_rounding", "nte_limit"]
        read_only_fields = fields
        extra_kwargs = {
            "customer": {"help_text": _("Customer id.")},
            "split_percent": {"help_text": _("Share of the contract, in % (splits sum to 100).")},
            "is_rounding": {"help_text": _("Takes the rounding difference (exactly one does).")},
            "nte_limit": {"help_text": _("Not-to-exceed limit for this customer; null: none.")},
        }


class LineCustomerSerializer(strict.ModelSerializer):
    customer = strict.IntegerField(
        source="contract_customer.customer_id", read_only=True, help_text=_("Customer id.")
    )

    class Meta:
        model = LineCustomer
        fields = [
            "id",
            "customer",
            "contract_customer",
            "split_percent",
            "is_rounding",
            "nte_limit",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "contract_customer": {"help_text": _("The contract customer row (id).")},
            "split_percent": {"help_text": _("Share of the line, in % (splits sum to 100).")},
            "is_rounding": {"help_text": _("Takes the rounding difference (exactly one does).")},
            "nte_limit": {"help_text": _("Not-to-exceed limit on this line for this customer.")},
        }


class CoverageSerializer(strict.Serializer):
    project = strict.PrimaryKeyRelatedField(
        queryset=Project.objects.all(), help_text=_("Covered project (id).")
    )
    task = strict.PrimaryKeyRelatedField(
        queryset=Task.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Covered task of that project (id); null: every task."),
    )


class BillingRuleSerializer(strict.Serializer):
    role = strict.PrimaryKeyRelatedField(
        queryset=Role.objects.all(), required=False, allow_null=True, help_text=_("Role (id).")
    )
    category = strict.PrimaryKeyRelatedField(
        queryset=ExpenseCategory.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Expense category (id)."),
    )
    task = strict.PrimaryKeyRelatedField(
        queryset=Task.objects.all(), required=False, allow_null=True, help_text=_("Task (id).")
    )
    chargeable = serializers.BooleanField(
        help_text=_("Whether the role, category or task is chargeable on this line.")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        named = [k for k in ("role", "category", "task") if attrs.get(k) is not None]
        if len(named) != 1:
            raise serializers.ValidationError(
                _("A billing rule names exactly one role, category or task.")
            )
        return attrs


def _ordered_classes(line: ContractLine) -> list[str]:
    present = {s.transaction_class for s in line.scopes.all()}
    return [c for c in TransactionClass.values if c in present]


class ContractLineSerializer(strict.ModelSerializer):
    """A contract line with its coverage, customers and billing rules (read; PATCH of
    ``name``, ``external_description`` and ``nte_limit`` only)."""

    transaction_classes = serializers.SerializerMethodField(
        help_text=_("Transaction classes the line includes.")
    )
    coverage = serializers.SerializerMethodField(
        help_text=_("Projects (and tasks; null task = every task) the line covers.")
    )
    customers = LineCustomerSerializer(
        source="line_customers", many=True, read_only=True, help_text=_("Line customers and split.")
    )
    billing_rules = serializers.SerializerMethodField(
        help_text=_("Roles, categories and tasks marked chargeable or not on this line.")
    )
    nte_limit = strict.DecimalField(
        max_digits=20,
        decimal_places=2,
        required=False,
        allow_null=True,
        validators=[NOT_NEGATIVE_LIMIT],
        help_text=_("Not-to-exceed limit of the line; null: none."),
    )

    class Meta:
        model = ContractLine
        fields = [
            "id",
            "contract",
            "name",
            "billing_method",
            "transaction_classes",
            "coverage",
            "customers",
            "nte_limit",
            "external_description",
            "billing_rules",
        ]
        read_only_fields = ["contract", "billing_method"]
        extra_kwargs = {
            "contract": {"help_text": _("The contract (id).")},
            "name": {"help_text": _("Line name.")},
            "billing_method": {"help_text": _("tm: time and material; fp: fixed price.")},
            "external_description": {"help_text": _("Text printed on the invoice.")},
        }

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=TransactionClass.choices))
    )
    def get_transaction_classes(self, line: ContractLine) -> list[str]:
        return _ordered_classes(line)

    @extend_schema_field(CoverageSerializer(many=True))
    def get_coverage(self, line: ContractLine) -> list[dict[str, int | None]]:
        pairs = sorted(
            {(s.project_id, s.task_id) for s in line.scopes.all()},
            key=lambda p: (p[0], p[1] is not None, p[1] or 0),
        )
        return [{"project": p, "task": t} for p, t in pairs]

    @extend_schema_field(BillingRuleSerializer(many=True))
    def get_billing_rules(self, line: ContractLine) -> list[dict[str, Any]]:
        rules = sorted(line.billing_rules.all(), key=lambda r: r.pk)
        return [
            {
                "role": r.role_id,
                "category": r.category_id,
                "task": r.task_id,
                "chargeable": r.chargeable,
            }
            for r in rules
        ]

    def to_representation(self, instance: ContractLine) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["customers"] = sorted(data["customers"], key=lambda c: c["id"])
        return data


class ContractSerializer(strict.ModelSerializer):
    """A contract with its customers (split) and lines, nested (read)."""

    customers = ContractCustomerSerializer(
        source="contract_customers",
        many=True,
        read_only=True,
        help_text=_("Contract customers and their split."),
    )
    lines = ContractLineSerializer(many=True, read_only=True, help_text=_("Contract lines."))

    class Meta:
        model = Contract
        fields = [
            "id",
            "number",
            "name",
            "legal_entity",
            "project_manager",
            "currency",
            "status",
            "start_date",
            "end_date",
            "nte_limit",
            "sales_tax_group",
            "customer_reference",
            "description",
            "created_at",
            "customers",
            "lines",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "number": {"help_text": _("Unique contract number.")},
            "name": {"help_text": _("Contract name.")},
            "legal_entity": {"help_text": _("Contracting unit (legal entity id).")},
            "project_manager": {"help_text": _("User id of the responsible project manager.")},
            "currency": {"help_text": _("Sales currency (ISO 4217).")},
            "status": {"help_text": _("draft, active or closed.")},
            "start_date": {"help_text": _("First day of the contract.")},
            "end_date": {"help_text": _("Last day of the contract; null: open-ended.")},
            "nte_limit": {"help_text": _("Not-to-exceed limit of the contract; null: none.")},
            "sales_tax_group": {"help_text": _("Overrides the customers' sales tax group (id).")},
            "customer_reference": {"help_text": _("Customer reference / PO number.")},
            "description": {"help_text": _("Internal description.")},
            "created_at": {"help_text": _("When the contract was created.")},
        }

    def to_representation(self, instance: Contract) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["customers"] = sorted(data["customers"], key=lambda c: c["id"])
        data["lines"] = sorted(data["lines"], key=lambda c: c["id"])
        return data


# --- contracts: write -----------------------------------------------------------------------

_LIMIT_HELP = _("Not-to-exceed limit (decimal string); null: no limit.")


class CustomerSplitInputSerializer(strict.Serializer):
    customer = strict.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(), help_text=_("Customer id.")
    )
    split_percent = strict.DecimalField(
        max_digits=7, decimal_places=4, help_text=_("Share in % (all shares sum to 100).")
    )
    is_rounding = serializers.BooleanField(
        default=False, help_text=_("Takes the rounding difference; exactly one customer does.")
    )
    nte_limit = strict.DecimalField(
        max_digits=20, decimal_places=2, required=False, allow_null=True, help_text=_LIMIT_HELP
    )


class LineInputSerializer(strict.Serializer):
    name = serializers.CharField(max_length=200, help_text=_("Line name."))
    billing_method = serializers.ChoiceField(
        choices=BillingMethod.choices, help_text=_("tm: time and material; fp: fixed price.")
    )
    transaction_classes = serializers.ListField(
        child=serializers.ChoiceField(choices=TransactionClass.choices),
        help_text=_("Transaction classes the line includes."),
    )
    coverage = CoverageSerializer(many=True, help_text=_("Projects (and tasks) covered."))
    customers = CustomerSplitInputSerializer(
        many=True, help_text=_("Line customers (each a contract customer) and split.")
    )
    nte_limit = strict.DecimalField(
        max_digits=20, decimal_places=2, required=False, allow_null=True, help_text=_LIMIT_HELP
    )
    external_description = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Text printed on the invoice."),
    )
    billing_rules = BillingRuleSerializer(
        many=True, required=False, help_text=_("Chargeable / non-chargeable overrides.")
    )

    def validate_billing_rules(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[tuple[Any, ...]] = set()
        for rule in rules:
            key = (rule.get("role"), rule.get("category"), rule.get("task"))
            if key in seen:
                raise serializers.ValidationError(_("A role, category or task is named twice."))
            seen.add(key)
        return rules


class ContractCreateSerializer(DottedErrorsMixin, strict.Serializer):
    """The whole contract in one payload; written by ``contracts.services.create_contract``."""

    number = serializers.CharField(
        max_length=30,
        validators=[
            UniqueValidator(
                queryset=Contract.objects.all(),
                message=_("A contract with this number already exists."),
            )
        ],
        help_text=_("Unique contract number."),
    )
    name = serializers.CharField(max_length=200, help_text=_("Contract name."))
    legal_entity = strict.PrimaryKeyRelatedField(
        queryset=LegalEntity.objects.all(), help_text=_("Contracting unit (legal entity id).")
    )
    project_manager = strict.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        help_text=_("User id of the project manager (must hold the project manager role)."),
    )
    currency = serializers.CharField(max_length=3, help_text=_("Sales currency (ISO 4217)."))
    start_date = strict.DateField(help_text=_("First day of the contract."))
    end_date = strict.DateField(
        required=False, allow_null=True, help_text=_("Last day; null: open-ended.")
    )
    nte_limit = strict.DecimalField(
        max_digits=20, decimal_places=2, required=False, allow_null=True, help_text=_LIMIT_HELP
    )
    sales_tax_group = strict.PrimaryKeyRelatedField(
        queryset=SalesTaxGroup.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Overrides the customers' sales tax group (id)."),
    )
    customer_reference = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Customer reference / PO number."),
    )
    description = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Internal description.")
    )
    customers = CustomerSplitInputSerializer(
        many=True, help_text=_("Contract customers and split (sum 100, one rounding customer).")
    )
    lines = LineInputSerializer(many=True, required=False, help_text=_("Contract lines."))

    def validate_project_manager(self, user: Any) -> Any:
        if not has_role(user, UserRole.PROJECT_MANAGER):
            raise serializers.ValidationError(_("This user is not a project manager."))
        return user

    def to_spec(self) -> ContractSpec:
        data = self.validated_data
        return ContractSpec(
            number=data["number"],
            name=data["name"],
            legal_entity=data["legal_entity"],
            project_manager=data["project_manager"],
            currency=data["currency"],
            start_date=data["start_date"],
            end_date=data.get("end_date"),
            nte_limit=data.get("nte_limit"),
            sales_tax_group=data.get("sales_tax_group"),
            customer_reference=data.get("customer_reference", ""),
            description=data.get("description", ""),
            customers=[CustomerSplit(**c) for c in data["customers"]],
            lines=[
                LineSpec(
                    name=line["name"],
                    billing_method=line["billing_method"],
                    transaction_classes=list(line["transaction_classes"]),
                    coverage=[Coverage(**c) for c in line["coverage"]],
                    customers=[LineSplit(**c) for c in line["customers"]],
                    nte_limit=line.get("nte_limit"),
                    external_description=line.get("external_description", ""),
                    billing_rules=[BillingRule(**r) for r in line.get("billing_rules", [])],
                )
                for line in data.get("lines", [])
            ],
        )


class ContractUpdateSerializer(DottedErrorsMixin, ModelCleanMixin, strict.ModelSerializer):
    """PATCH of header fields only. Number, currency, contracting unit, start date, customers
    and lines are fixed once the contract exists (actuals and invoices depend on them)."""

    date_order = ("start_date", "end_date")
    end_date = strict.DateField(
        required=False, allow_null=True, help_text=_("Last day of the contract; null: open-ended.")
    )
    nte_limit = strict.DecimalField(
        max_digits=20,
        decimal_places=2,
        required=False,
        allow_null=True,
        validators=[NOT_NEGATIVE_LIMIT],
        help_text=_LIMIT_HELP,
    )

    class Meta:
        model = Contract
        fields = [
            "name",
            "project_manager",
            "status",
            "end_date",
            "nte_limit",
            "sales_tax_group",
            "customer_reference",
            "description",
        ]
        extra_kwargs = ContractSerializer.Meta.extra_kwargs

    def validate_project_manager(self, user: Any) -> Any:
        if not has_role(user, UserRole.PROJECT_MANAGER):
            raise serializers.ValidationError(_("This user is not a project manager."))
        return user
