"""The Django admin for master data and contracts (the administrator's tool, DOMAIN.md §7).

The rules that span rows are checked by the inline formsets before anything is written, so
the admin answers with a form error and never reaches the database trigger that refuses a
bad split at commit:

- contract customers and line customers: at least one row, split percentages summing to
  exactly 100, exactly one rounding customer; a line customer must be a customer of the
  line's contract;
- coverage: a task belongs to its project, and no two lines of a contract cover the same
  project + transaction class + task (a line covering the whole project overlaps any task);
- an invoice schedule only on a time-and-material line (cut-off is set to the day before the
  run date); milestones only on a fixed-price line, in the contract's currency.

A milestone's status is moved only by its transitions (a protected FSM field): read-only here.
Split rows and coverage are edited on their contract / line only; their own lists are
read-only, for looking things up.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from contracts.models import (
    BillingMethod,
    CategoryPrice,
    Contract,
    ContractCustomer,
    ContractLine,
    ContractLineScope,
    Customer,
    ExpenseCategory,
    InvoiceScheduleEntry,
    ItemSalesTaxGroup,
    LegalEntity,
    LineBillingRule,
    LineCustomer,
    Milestone,
    PriceList,
    Project,
    Resource,
    Role,
    RolePrice,
    SalesTaxGroup,
    Task,
)
from contracts.money import HUNDRED, ZERO
from contracts.roles import Role as UserRole

admin.site.site_header = _("Project invoicing administration")
admin.site.site_title = _("Project invoicing")
admin.site.index_title = _("Master data and setup")

# --- formset validation -----------------------------------------------------------------


def _live_forms(formset: BaseInlineFormSet) -> list[forms.ModelForm]:
    """The forms that will be saved: valid, filled in, not marked for deletion."""
    live = []
    for form in formset.forms:
        if not hasattr(form, "cleaned_data") or not form.cleaned_data:
            continue
        if formset.can_delete and form.cleaned_data.get("DELETE"):
            continue
        live.append(form)
    return live


class SplitFormSet(BaseInlineFormSet):
    """Customers with a split: at least one, splits sum to 100, exactly one rounding customer."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        live = _live_forms(self)
        if not live:
            raise ValidationError(_("Add at least one customer with its split."))
        total = sum((f.cleaned_data.get("split_percent") or ZERO for f in live), ZERO)
        errors = []
        if total != HUNDRED:
            errors.append(
                ValidationError(
                    _("Split percentages must sum to 100; they sum to %(total)s."),
                    code="split_total",
                    params={"total": f"{total.normalize():f}"},
                )
            )
        rounding = sum(1 for f in live if f.cleaned_data.get("is_rounding"))
        if rounding != 1:
            errors.append(
                ValidationError(
                    _("Exactly one customer must be the rounding customer; %(n)d are."),
                    code="rounding",
                    params={"n": rounding},
                )
            )
        if errors:
            raise ValidationError(errors)


class LineCustomerFormSet(SplitFormSet):
    def clean(self) -> None:
        super().clean()
        contract_id = getattr(self.instance, "contract_id", None)
        for form in _live_forms(self):
            cc = form.cleaned_data.get("contract_customer")
            if cc is not None and contract_id is not None and cc.contract_id != contract_id:
                form.add_error(
                    "contract_customer",
                    _("%(customer)s is not a customer of this line's contract.")
                    % {"customer": cc.customer},
                )


class ScopeFormSet(BaseInlineFormSet):
    """Coverage of a line; the contract column is copied from the line."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        line = self.instance
        contract_id = getattr(line, "contract_id", None)
        mine: list[tuple[int, int | None, str]] = []
        for form in _live_forms(self):
            project = form.cleaned_data.get("project")
            task = form.cleaned_data.get("task")
            cls = form.cleaned_data.get("transaction_class")
            if project is None or not cls:
                continue
            if task is not None and task.project_id != project.pk:
                form.add_error("task", _("The task belongs to another project."))
                continue
            key = (project.pk, task.pk if task else None, cls)
            if key in mine:
                form.add_error(None, _("This line already covers this project, task and class."))
                continue
            mine.append(key)
        if contract_id is None:
            return
        others = ContractLineScope.objects.filter(contract_id=contract_id).select_related(
            "line", "project"
        )
        if line.pk:
            others = others.exclude(line=line)
        for other in others:
            for project_id, task_id, cls in mine:
                if (
                    other.project_id == project_id
                    and other.transaction_class == cls
                    and (other.task_id is None or task_id is None or other.task_id == task_id)
                ):
                    raise ValidationError(
                        _(
                            "Line %(line)s already covers project %(project)s for %(cls)s "
                            "(a line that covers the whole project overlaps any task)."
                        )
                        % {"line": other.line.name, "project": other.project.code, "cls": cls}
                    )

    def save_new(self, form: forms.ModelForm, commit: bool = True) -> Any:
        form.instance.contract_id = self.instance.contract_id
        return super().save_new(form, commit=commit)

    def save_existing(self, form: forms.ModelForm, obj: Any, commit: bool = True) -> Any:
        obj.contract_id = self.instance.contract_id
        return super().save_existing(form, obj, commit=commit)


class ScheduleEntryForm(forms.ModelForm):
    """The cut-off date is always the day before the run date."""

    class Meta:
        model = InvoiceScheduleEntry
        fields = ["line", "run_date"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        run_date: dt.date | None = cleaned.get("run_date")
        if run_date is not None:
            self.instance.cut_off_date = run_date - dt.timedelta(days=1)
        line = cleaned.get("line")  # on the line's own page the formset checks the method
        if line is not None and line.billing_method != BillingMethod.TIME_AND_MATERIAL:
            raise ValidationError(_("Only a time-and-material line has an invoice schedule."))
        return cleaned


class ScheduleFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        method = getattr(self.instance, "billing_method", None)
        if _live_forms(self) and method != BillingMethod.TIME_AND_MATERIAL:
            raise ValidationError(_("Only a time-and-material line has an invoice schedule."))


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = [
            "line",
            "line_customer",
            "name",
            "milestone_date",
            "amount",
            "external_description",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        line = cleaned.get("line")  # on the line's own page the formset checks the line
        line_customer = cleaned.get("line_customer")
        if line is not None:
            if line.billing_method != BillingMethod.FIXED_PRICE:
                raise ValidationError(
                    _("Milestones belong on a fixed-price line; this line is time and material.")
                )
            if line_customer is not None and line.pk and line_customer.line_id != line.pk:
                self.add_error("line_customer", _("Choose a customer of this line."))
            self.instance.currency = line.contract.currency
        amount: Decimal | None = cleaned.get("amount")
        if amount is not None and amount <= 0:
            self.add_error("amount", _("A milestone amount must be more than 0."))
        return cleaned


class MilestoneFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        line = self.instance
        if _live_forms(self) and getattr(line, "billing_method", None) != BillingMethod.FIXED_PRICE:
            raise ValidationError(
                _("Milestones belong on a fixed-price line; this line is time and material.")
            )

    def save_new(self, form: forms.ModelForm, commit: bool = True) -> Any:
        form.instance.currency = self.instance.contract.currency
        return super().save_new(form, commit=commit)


def _parent_line(request: HttpRequest) -> ContractLine | None:
    """The contract line whose change page is being shown (for narrowing choices)."""
    match = request.resolver_match
    object_id = match.kwargs.get("object_id") if match else None
    if not object_id:
        return None
    return ContractLine.objects.filter(pk=object_id).first()


def _split_label(row: ContractCustomer | LineCustomer) -> str:
    customer = row.customer if isinstance(row, ContractCustomer) else row.contract_customer.customer
    return f"{customer.code} {customer.name} ({row.split_percent.normalize():f}%)"


def _labelled(field: Any) -> Any:
    """A choice field of split rows, labelled by customer and split (not by ids)."""
    if field is not None:
        field.label_from_instance = _split_label
    return field


class ReadOnlyAdmin(admin.ModelAdmin):
    """A list for looking rows up; they are edited on their parent's page."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- master data ------------------------------------------------------------------------


@admin.register(LegalEntity)
class LegalEntityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "vat_number", "accounting_currency"]
    search_fields = ["code", "name", "vat_number", "chamber_of_commerce"]
    list_filter = ["country", "accounting_currency"]
    ordering = ["code"]


@admin.register(SalesTaxGroup)
class SalesTaxGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    ordering = ["code"]


@admin.register(ItemSalesTaxGroup)
class ItemSalesTaxGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    ordering = ["code"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "country",
        "vat_number",
        "payment_terms_days",
        "sales_tax_group",
        "language",
    ]
    search_fields = ["code", "name", "vat_number", "email"]
    list_filter = ["country", "sales_tax_group", "language"]
    list_select_related = ["sales_tax_group"]
    ordering = ["code"]


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0
    fields = ["code", "name", "chargeable"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "customer",
        "project_manager",
        "legal_entity",
        "start_date",
        "end_date",
        "is_active",
    ]
    search_fields = ["code", "name", "customer__name", "customer__code"]
    list_filter = ["is_active", "legal_entity", "project_manager"]
    list_select_related = ["customer", "project_manager", "legal_entity"]
    autocomplete_fields = ["customer"]
    date_hierarchy = "start_date"
    ordering = ["code"]
    inlines = [TaskInline]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "project", "chargeable"]
    search_fields = ["code", "name", "project__code", "project__name"]
    list_filter = ["chargeable"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]
    ordering = ["project__code", "code"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "chargeable", "item_sales_tax_group"]
    search_fields = ["code", "name"]
    list_filter = ["chargeable", "item_sales_tax_group"]
    ordering = ["code"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "legal_entity", "default_role"]
    search_fields = ["name", "user__username", "user__email"]
    list_filter = ["legal_entity", "default_role"]
    list_select_related = ["user", "legal_entity", "default_role"]
    ordering = ["name"]


@admin.register(ExpenseCategory)
class ExpenseCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "chargeable", "item_sales_tax_group"]
    search_fields = ["code", "name"]
    list_filter = ["chargeable", "item_sales_tax_group"]
    ordering = ["code"]


# --- price lists ----------------------------------------------------------------------


class RolePriceInline(admin.TabularInline):
    model = RolePrice
    extra = 0
    fields = ["role", "price"]


class CategoryPriceInline(admin.TabularInline):
    model = CategoryPrice
    extra = 0
    fields = ["category", "method", "price", "markup_percent"]


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "currency", "valid_from", "valid_to", "contract"]
    search_fields = ["name", "contract__number", "contract__name"]
    list_filter = ["kind", "currency"]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]
    ordering = ["kind", "currency", "valid_from", "pk"]
    inlines = [RolePriceInline, CategoryPriceInline]


@admin.register(RolePrice)
class RolePriceAdmin(admin.ModelAdmin):
    list_display = ["price_list", "role", "price"]
    search_fields = ["price_list__name", "role__code", "role__name"]
    list_filter = ["price_list__kind", "price_list__currency", "role"]
    list_select_related = ["price_list", "role"]
    ordering = ["price_list__name", "role__code"]


@admin.register(CategoryPrice)
class CategoryPriceAdmin(admin.ModelAdmin):
    list_display = ["price_list", "category", "method", "price", "markup_percent"]
    search_fields = ["price_list__name", "category__code", "category__name"]
    list_filter = ["method", "price_list__kind", "category"]
    list_select_related = ["price_list", "category"]
    ordering = ["price_list__name", "category__code"]


# --- contracts ------------------------------------------------------------------------


class ContractCustomerInline(admin.TabularInline):
    model = ContractCustomer
    formset = SplitFormSet
    extra = 1
    fields = ["customer", "split_percent", "is_rounding", "nte_limit"]
    autocomplete_fields = ["customer"]


class ContractLineInline(admin.TabularInline):
    model = ContractLine
    extra = 0
    fields = ["name", "billing_method", "nte_limit", "external_description"]
    show_change_link = True


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "name",
        "customer_names",
        "project_manager",
        "currency",
        "nte_limit",
        "status",
        "start_date",
    ]
    search_fields = [
        "number",
        "name",
        "customer_reference",
        "contract_customers__customer__name",
        "contract_customers__customer__code",
    ]
    list_filter = ["status", "currency", "legal_entity", "project_manager"]
    list_select_related = ["project_manager"]
    date_hierarchy = "start_date"
    ordering = ["number"]
    readonly_fields = ["created_at"]
    fieldsets = [
        (None, {"fields": ["number", "name", "status", "project_manager", "legal_entity"]}),
        (
            _("Terms"),
            {"fields": ["currency", "start_date", "end_date", "nte_limit", "sales_tax_group"]},
        ),
        (_("Texts"), {"fields": ["customer_reference", "description", "created_at"]}),
    ]
    inlines = [ContractCustomerInline, ContractLineInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contract]:
        return super().get_queryset(request).prefetch_related("contract_customers__customer")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "project_manager":
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(Q(groups__name=UserRole.PROJECT_MANAGER) | Q(is_superuser=True))
                .distinct()
                .order_by("username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("customers"))
    def customer_names(self, obj: Contract) -> str:
        rows = sorted(obj.contract_customers.all(), key=lambda cc: (-cc.split_percent, cc.pk))
        return ", ".join(f"{cc.customer.name} ({cc.split_percent.normalize():f}%)" for cc in rows)


class ContractLineScopeInline(admin.TabularInline):
    model = ContractLineScope
    formset = ScopeFormSet
    extra = 1
    fields = ["project", "task", "transaction_class"]
    autocomplete_fields = ["project", "task"]
    verbose_name = _("coverage")
    verbose_name_plural = _("coverage")


class LineCustomerInline(admin.TabularInline):
    model = LineCustomer
    formset = LineCustomerFormSet
    extra = 1
    fields = ["contract_customer", "split_percent", "is_rounding", "nte_limit"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "contract_customer":
            line = _parent_line(request)
            choices = ContractCustomer.objects.select_related("customer").order_by("pk")
            kwargs["queryset"] = choices.filter(contract_id=line.contract_id) if line else choices
            return _labelled(super().formfield_for_foreignkey(db_field, request, **kwargs))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class LineBillingRuleInline(admin.TabularInline):
    model = LineBillingRule
    extra = 0
    fields = ["role", "category", "task", "chargeable"]
    autocomplete_fields = ["task"]


class InvoiceScheduleEntryInline(admin.TabularInline):
    model = InvoiceScheduleEntry
    form = ScheduleEntryForm
    formset = ScheduleFormSet
    extra = 0
    fields = ["run_date", "cut_off_date", "status", "ran_at", "failure_reason"]
    readonly_fields = ["cut_off_date", "status", "ran_at", "failure_reason"]
    ordering = ["run_date"]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    form = MilestoneForm
    formset = MilestoneFormSet
    extra = 0
    fields = ["name", "milestone_date", "line_customer", "amount", "currency", "status"]
    readonly_fields = ["currency", "status"]
    ordering = ["milestone_date", "pk"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "line_customer":
            line = _parent_line(request)
            choices = LineCustomer.objects.select_related("contract_customer__customer")
            kwargs["queryset"] = choices.filter(line=line) if line else choices.order_by("pk")
            return _labelled(super().formfield_for_foreignkey(db_field, request, **kwargs))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ContractLine)
class ContractLineAdmin(admin.ModelAdmin):
    list_display = ["name", "contract_link", "billing_method", "nte_limit"]
    search_fields = ["name", "contract__number", "contract__name"]
    list_filter = ["billing_method", "contract__status"]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]
    ordering = ["contract__number", "pk"]
    fields = ["contract", "name", "billing_method", "nte_limit", "external_description"]
    inlines = [
        ContractLineScopeInline,
        LineCustomerInline,
        LineBillingRuleInline,
        InvoiceScheduleEntryInline,
        MilestoneInline,
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A line's coverage, customers and milestones hang on its contract: it does not move.
        return ["contract"] if obj is not None else []

    @admin.display(description=_("contract"), ordering="contract__number")
    def contract_link(self, obj: ContractLine) -> str:
        url = reverse("admin:contracts_contract_change", args=[obj.contract_id])
        return format_html('<a href="{}">{}</a>', url, obj.contract)


@admin.register(ContractCustomer)
class ContractCustomerAdmin(ReadOnlyAdmin):
    list_display = ["contract", "customer", "split_percent", "is_rounding", "nte_limit"]
    search_fields = ["contract__number", "customer__name", "customer__code"]
    list_filter = ["is_rounding"]
    list_select_related = ["contract", "customer"]
    ordering = ["contract__number", "pk"]


@admin.register(LineCustomer)
class LineCustomerAdmin(ReadOnlyAdmin):
    list_display = ["line", "contract_customer", "split_percent", "is_rounding", "nte_limit"]
    search_fields = ["line__name", "line__contract__number", "contract_customer__customer__name"]
    list_filter = ["is_rounding"]
    list_select_related = ["line", "contract_customer"]
    ordering = ["line__contract__number", "line", "pk"]


@admin.register(ContractLineScope)
class ContractLineScopeAdmin(ReadOnlyAdmin):
    list_display = ["line", "contract", "project", "task", "transaction_class"]
    search_fields = ["line__name", "contract__number", "project__code", "project__name"]
    list_filter = ["transaction_class"]
    list_select_related = ["line", "contract", "project", "task"]
    ordering = ["contract__number", "line", "pk"]


@admin.register(LineBillingRule)
class LineBillingRuleAdmin(admin.ModelAdmin):
    list_display = ["line", "role", "category", "task", "chargeable"]
    search_fields = ["line__name", "line__contract__number"]
    list_filter = ["chargeable"]
    list_select_related = ["line", "role", "category", "task"]
    autocomplete_fields = ["line", "task"]
    ordering = ["line__contract__number", "line", "pk"]


@admin.register(InvoiceScheduleEntry)
class InvoiceScheduleEntryAdmin(admin.ModelAdmin):
    form = ScheduleEntryForm
    list_display = ["line", "run_date", "cut_off_date", "status", "ran_at"]
    search_fields = ["line__name", "line__contract__number"]
    list_filter = ["status"]
    list_select_related = ["line"]
    autocomplete_fields = ["line"]
    date_hierarchy = "run_date"
    ordering = ["run_date", "pk"]
    readonly_fields = ["cut_off_date", "status", "ran_at", "failure_reason"]


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    form = MilestoneForm
    list_display = [
        "name",
        "line",
        "line_customer",
        "milestone_date",
        "amount",
        "currency",
        "status",
    ]
    search_fields = ["name", "line__name", "line__contract__number"]
    list_filter = ["status", "currency"]
    list_select_related = ["line", "line_customer"]
    autocomplete_fields = ["line"]
    date_hierarchy = "milestone_date"
    ordering = ["milestone_date", "pk"]
    readonly_fields = ["currency", "status"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "line_customer":
            kwargs["queryset"] = LineCustomer.objects.select_related(
                "contract_customer__customer"
            ).order_by("pk")
            return _labelled(super().formfield_for_foreignkey(db_field, request, **kwargs))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- users: roles that cannot grant themselves more -----------------------------------------


class GuardedUserAdmin(UserAdmin):
    """The stock user admin, except that only a superuser changes who is a superuser or staff,
    the roles (groups) and single permissions. An administrator (``auth.change_user``) edits
    names, e-mail, active and passwords; the fields that grant power are shown read-only, so
    whatever a forged request sends for them is not taken (issue 12: an administrator made
    themselves superuser and so held every role)."""

    PRIVILEGES = ("is_superuser", "is_staff", "groups", "user_permissions")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else (*fields, *self.PRIVILEGES)


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), GuardedUserAdmin)
