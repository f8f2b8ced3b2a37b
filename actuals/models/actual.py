"""Project actuals: the immutable financial facts about a project (DOMAIN.md §2, §5).

An actual is written once and never edited or deleted; a mistake is undone by a *reversal*
row (minus the quantity and amount, ``reverses`` pointing at the original, made by
:meth:`Actual.reversal`, the one way to reverse an actual). PostgreSQL keeps that promise too
(django-pgtrigger): UPDATE and DELETE are refused outright. What changes over an unbilled
sales actual's life (its billing status, its not-to-exceed check, a write-off) lives beside it
in :class:`~actuals.models.ActualBilling`, a narrow row of its own.

Decisions:

- ``contract`` and ``customer`` are denormalized from the line and line customer so that the
  backlog (100,000s of rows) is filtered and invoiced with set-based SQL on indexed columns.
- ``returned_from`` marks the unbilled actual a credit note writes for the quantity it credits
  (it names the billed actual it came back from): that actual is accrued in WIP by the credit
  note's posting, not by the integration journal.
"""

import datetime as dt
from typing import Any

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
from contracts.seals import no_truncate

from .entries import ExpenseEntry, TimeEntry


class ActualType(models.TextChoices):
    COST = "cost", _("Cost")
    UNBILLED_SALES = "unbilled_sales", _("Unbilled sales")
    BILLED_SALES = "billed_sales", _("Billed sales")


class BillingType(models.TextChoices):
    CHARGEABLE = "chargeable", _("Chargeable")
    NON_CHARGEABLE = "non_chargeable", _("Non-chargeable")
    COMPLIMENTARY = "complimentary", _("Complimentary")


#: The columns of the financial fact (all of them: an actual never changes).
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
    "returned_from",
    "time_entry",
    "expense_entry",
    "milestone",
    "price_warning",
    "description",
    "external_description",
    "created_at",
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
    reverses = models.ForeignKey(
        "self",
        models.PROTECT,
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        related_name="reversals",
        db_index=False,
    )
    returned_from = models.ForeignKey(
        "self",
        models.PROTECT,
        verbose_name=_("returned from billed actual"),
        null=True,
        blank=True,
        related_name="returned",
        db_index=False,
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
                condition=~(Q(time_entry__isnull=False) & Q(expense_entry__isnull=False)),
                name="actual_one_source_entry",
            ),
            models.CheckConstraint(
                condition=Q(returned_from__isnull=True)
                | Q(actual_type=ActualType.UNBILLED_SALES, reverses__isnull=True),
                name="actual_returned_is_unbilled",
            ),
        ]
        # Few indexes: every approval and confirmation inserts here, and the backlog is read
        # through the narrow ActualBilling rows. Foreign keys are covered by these or are
        # rarely queried alone (db_index=False).
        indexes = [
            models.Index(fields=["project", "transaction_date"], name="actual_project_date_idx"),
            models.Index(fields=["contract", "actual_type"], name="actual_contract_idx"),
            # The default order of the actuals API and of the backlog (date, id): a first page
            # is read off this index instead of sorting every actual.
            models.Index(fields=["transaction_date", "id"], name="actual_date_idx"),
            # The backlog sorted by amount (largest first, or smallest): its chargeable unbilled
            # sales only, read from either end.
            models.Index(
                fields=["amount", "id"],
                name="actual_backlog_amount_idx",
                condition=Q(actual_type="unbilled_sales", billing_type="chargeable"),
            ),
            models.Index(fields=["line_customer"], name="actual_line_customer_idx"),
            models.Index(
                fields=["reverses"],
                name="actual_reverses_idx",
                condition=Q(reverses__isnull=False),
            ),
            models.Index(
                fields=["returned_from"],
                name="actual_returned_from_idx",
                condition=Q(returned_from__isnull=False),
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="actual_no_delete", operation=pgtrigger.Delete),
            pgtrigger.Protect(name="actual_immutable", operation=pgtrigger.Update),
            no_truncate(name="actual_no_truncate"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_actual_type_display()} {self.transaction_date} "
            f"{self.quantity} × {self.unit_price} = {self.amount} {self.currency} ({self.pk})"
        )

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    def derived(self, **changes: Any) -> "Actual":
        """A new (unsaved) actual with this one's facts, changed where named (e.g. the billed
        actual an invoice writes for an unbilled one). Identity, reversal and return links are
        never copied."""
        attnames = (
            self._meta.get_field(name).attname  # type: ignore[union-attr]
            for name in FINANCIAL_FIELDS
            if name not in ("reverses", "returned_from")
        )
        return Actual(**{**{a: getattr(self, a) for a in attnames}, **changes})

    def reversal(self, *, at: dt.datetime) -> "Actual":
        """The (unsaved) row that undoes this one: minus its quantity and amount."""
        return self.derived(
            quantity=-self.quantity, amount=-self.amount, reverses=self, created_at=at
        )
