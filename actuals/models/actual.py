"""Project actuals: the immutable financial facts about a project (DOMAIN.md §2, §5).

An actual is written once and never edited or deleted; a mistake is undone by a *reversal*
row (minus the quantity and amount, ``reverses`` pointing at the original). PostgreSQL keeps
that promise too (django-pgtrigger): DELETE is refused, and UPDATE is refused when any
financial column changes. Only the workflow columns may change: ``billing_status``, the
not-to-exceed columns (``nte_status``, ``nte_failed_level``, ``nte_message``) and
``write_off_reason``; their history is kept by django-pghistory triggers, so no bulk
``.update()`` slips past unrecorded.

Decisions:

- ``billing_status`` is set only on unbilled sales actuals (empty on cost and billed ones).
  A reversal row of an unbilled actual carries the terminal status of its pair (``cancelled``
  when an approval is cancelled, ``invoiced`` when an invoice is confirmed), so the backlog is
  simply "unbilled, status not ready / ready / on draft".
- ``nte_status`` is ``ok`` / ``failed`` on chargeable T&M unbilled actuals and empty
  elsewhere (not applicable).
- ``contract`` and ``customer`` are denormalized from the line and line customer so that the
  backlog (100,000s of rows) is filtered and invoiced with set-based SQL on indexed columns.
"""

import pghistory
import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contracts.models import (
    Contract,
    ContractLine,
    Customer,
    ExpenseCategory,
    LineCustomer,
    Milestone,
    Project,
    Resource,
    Role,
    Task,
    TransactionClass,
)
from contracts.money import money_field, price_field, quantity_field

from .entries import ExpenseEntry, TimeEntry


class ActualType(models.TextChoices):
    COST = "cost", _("Cost")
    UNBILLED_SALES = "unbilled_sales", _("Unbilled sales")
    BILLED_SALES = "billed_sales", _("Billed sales")


class BillingType(models.TextChoices):
    CHARGEABLE = "chargeable", _("Chargeable")
    NON_CHARGEABLE = "non_chargeable", _("Non-chargeable")
    COMPLIMENTARY = "complimentary", _("Complimentary")


class BillingStatus(models.TextChoices):
    NONE = "", _("—")
    NOT_READY = "not_ready", _("Not ready")
    READY = "ready", _("Ready to invoice")
    ON_DRAFT = "on_draft", _("On draft invoice")
    INVOICED = "invoiced", _("Invoiced")
    WRITTEN_OFF = "written_off", _("Written off")
    CANCELLED = "cancelled", _("Cancelled")


#: Unbilled statuses that count as "in the backlog" (not yet invoiced, written off, cancelled).
BACKLOG_STATUSES = (BillingStatus.NOT_READY, BillingStatus.READY, BillingStatus.ON_DRAFT)
#: Statuses that mean a sales actual is on an invoice (its approval can no longer be cancelled).
ON_INVOICE_STATUSES = (BillingStatus.ON_DRAFT, BillingStatus.INVOICED)


class NteStatus(models.TextChoices):
    NOT_APPLICABLE = "", _("—")
    OK = "ok", _("Within limit")
    FAILED = "failed", _("Not-to-exceed failed")


class NteLevel(models.TextChoices):
    NONE = "", _("—")
    LINE_CUSTOMER = "line_customer", _("Line customer")
    LINE = "line", _("Contract line")
    CONTRACT_CUSTOMER = "contract_customer", _("Contract customer")
    CONTRACT = "contract", _("Contract")


#: Columns that make up the financial fact; PostgreSQL refuses an UPDATE that changes any.
FINANCIAL_FIELDS = (
    "actual_type",
    "transaction_class",
    "project",
    "task",
    "contract",
    "contract_line",
    "line_customer",
    "customer",
    "resource",
    "role",
    "category",
    "transaction_date",
    "quantity",
    "unit_price",
    "amount",
    "currency",
    "billing_type",
    "reverses",
    "time_entry",
    "expense_entry",
    "milestone",
    "price_warning",
    "description",
    "external_description",
    "created_at",
)
#: The workflow columns that may change (and whose history pghistory keeps).
WORKFLOW_FIELDS = (
    "billing_status",
    "nte_status",
    "nte_failed_level",
    "nte_message",
    "write_off_reason",
)


@pghistory.track(
    # Fires only when one of the tracked (workflow) fields changes; stores the new values.
    # Statement level: one INSERT … SELECT per UPDATE statement, so an invoice run that marks
    # 100,000 actuals "on draft" records their history without a trigger call per row.
    pghistory.UpdateEvent("workflow_changed"),
    fields=list(WORKFLOW_FIELDS),
    model_name="ActualWorkflowEvent",
    level=pghistory.Statement,
)
class Actual(models.Model):
    actual_type = models.CharField(_("type"), max_length=20, choices=ActualType.choices)
    transaction_class = models.CharField(
        _("transaction class"), max_length=10, choices=TransactionClass.choices
    )
    project = models.ForeignKey(
        Project, models.PROTECT, verbose_name=_("project"), related_name="+", db_index=False
    )
    task = models.ForeignKey(
        Task,
        models.PROTECT,
        verbose_name=_("task"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    contract = models.ForeignKey(
        Contract,
        models.PROTECT,
        verbose_name=_("contract"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    contract_line = models.ForeignKey(
        ContractLine,
        models.PROTECT,
        verbose_name=_("contract line"),
        null=True,
        blank=True,
        related_name="+",
    )
    line_customer = models.ForeignKey(
        LineCustomer,
        models.PROTECT,
        verbose_name=_("line customer"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    customer = models.ForeignKey(
        Customer,
        models.PROTECT,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    resource = models.ForeignKey(
        Resource,
        models.PROTECT,
        verbose_name=_("resource"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    role = models.ForeignKey(
        Role,
        models.PROTECT,
        verbose_name=_("role"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    category = models.ForeignKey(
        ExpenseCategory,
        models.PROTECT,
        verbose_name=_("expense category"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    transaction_date = models.DateField(_("transaction date"))
    quantity = quantity_field(_("quantity"))
    unit_price = price_field(_("unit price"))
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    billing_type = models.CharField(
        _("billing type"),
        max_length=20,
        choices=BillingType.choices,
        default=BillingType.CHARGEABLE,
    )
    billing_status = models.CharField(
        _("billing status"),
        max_length=20,
        choices=BillingStatus.choices,
        blank=True,
        default=BillingStatus.NONE,
    )
    nte_status = models.CharField(
        _("not-to-exceed status"),
        max_length=10,
        choices=NteStatus.choices,
        blank=True,
        default=NteStatus.NOT_APPLICABLE,
    )
    nte_failed_level = models.CharField(
        _("not-to-exceed level failed"),
        max_length=20,
        choices=NteLevel.choices,
        blank=True,
        default=NteLevel.NONE,
    )
    nte_message = models.CharField(_("not-to-exceed message"), max_length=500, blank=True)
    write_off_reason = models.TextField(_("write-off reason"), blank=True)
    reverses = models.ForeignKey(
        "self",
        models.PROTECT,
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        related_name="reversals",
    )
    time_entry = models.ForeignKey(
        TimeEntry,
        models.PROTECT,
        verbose_name=_("time entry"),
        null=True,
        blank=True,
        related_name="actuals",
    )
    expense_entry = models.ForeignKey(
        ExpenseEntry,
        models.PROTECT,
        verbose_name=_("expense entry"),
        null=True,
        blank=True,
        related_name="actuals",
    )
    milestone = models.ForeignKey(
        Milestone,
        models.PROTECT,
        verbose_name=_("milestone"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    price_warning = models.CharField(_("price warning"), max_length=500, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    external_description = models.CharField(_("text on the invoice"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("actual")
        verbose_name_plural = _("actuals")
        permissions = [
            ("manage_backlog", "Can mark backlog items ready, not ready or written off"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(actual_type__in=ActualType.values), name="actual_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(transaction_class__in=TransactionClass.values),
                name="actual_class_valid",
            ),
            models.CheckConstraint(
                condition=Q(billing_type__in=BillingType.values), name="actual_billing_type_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        actual_type=ActualType.UNBILLED_SALES,
                        billing_status__in=[s for s in BillingStatus.values if s],
                    )
                    | (~Q(actual_type=ActualType.UNBILLED_SALES) & Q(billing_status=""))
                ),
                name="actual_billing_status_valid",
                violation_error_message=_(
                    "Unbilled sales carry a billing status; other actuals carry none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(nte_status__in=NteStatus.values), name="actual_nte_status_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(nte_status=NteStatus.FAILED) & ~Q(nte_failed_level="")
                    | ~Q(nte_status=NteStatus.FAILED) & Q(nte_failed_level="")
                )
                & Q(nte_failed_level__in=NteLevel.values),
                name="actual_nte_level_valid",
                violation_error_message=_("A failed not-to-exceed check names its level."),
            ),
            models.CheckConstraint(
                condition=~(Q(time_entry__isnull=False) & Q(expense_entry__isnull=False)),
                name="actual_one_source_entry",
            ),
        ]
        # Few indexes on purpose: marking 100,000 items "on draft" in an invoice run updates
        # every index of every row (billing_status is indexed, so no HOT update). Foreign keys
        # are covered by these composite indexes or are rarely queried alone (db_index=False).
        indexes = [
            # The billing backlog: a contract's unbilled rows by status and date.
            models.Index(
                fields=["contract", "billing_status", "transaction_date"],
                name="actual_backlog_idx",
                condition=Q(actual_type=ActualType.UNBILLED_SALES),
            ),
            models.Index(fields=["project", "transaction_date"], name="actual_project_date_idx"),
            models.Index(fields=["line_customer", "nte_status"], name="actual_nte_idx"),
        ]
        triggers = [
            pgtrigger.Protect(name="actual_no_delete", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="actual_financial_columns_immutable",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange(*FINANCIAL_FIELDS),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_actual_type_display()} {self.transaction_date} "
            f"{self.quantity} × {self.unit_price} = {self.amount} {self.currency} ({self.pk})"
        )

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None
