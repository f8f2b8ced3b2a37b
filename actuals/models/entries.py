"""Time and expense entries: what a team member records, submits and a manager approves.

Lifecycle (DOMAIN.md §4): draft → submitted → approved | returned; returned entries are
editable and may be resubmitted; a submitted entry may be recalled by its author (back to
draft). Cancelling an approval (``actuals.services.cancel_approval``) puts the entry back to
*returned*, with the reason as its return comment, so that the author sees it in "returned
entries" and can correct and resubmit it (decision: returned rather than draft, because the
author must learn why an approved entry came back).

The transition methods only set fields; ``actuals.services`` locks the row, checks
``can_proceed``, runs the transition, saves and records who and when, in one transaction.
"""

from decimal import Decimal

import django_fsm
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contracts.fiscal_calendar import sane_date_q
from contracts.models import ExpenseCategory, Project, Resource, Role, Task
from contracts.money import money_field, quantity_field


class EntryStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


#: States in which the author may still edit or delete an entry.
EDITABLE_STATES = (EntryStatus.DRAFT, EntryStatus.RETURNED)


class Entry(django_fsm.ConcurrentTransitionMixin, models.Model):
    """What time and expense entries share (abstract)."""

    resource = models.ForeignKey(
        Resource, models.PROTECT, verbose_name=_("resource"), related_name="+"
    )
    project = models.ForeignKey(
        Project, models.PROTECT, verbose_name=_("project"), related_name="+"
    )
    task = models.ForeignKey(
        Task, models.PROTECT, verbose_name=_("task"), null=True, blank=True, related_name="+"
    )
    entry_date = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=300, blank=True)
    external_description = models.CharField(_("text on the invoice"), max_length=300, blank=True)
    status = django_fsm.FSMField(
        _("status"),
        max_length=10,
        choices=EntryStatus.choices,
        default=EntryStatus.DRAFT,
        protected=True,
    )
    return_comment = models.TextField(_("reason returned"), blank=True)
    billable_quantity = quantity_field(
        _("billable quantity"),
        null=True,
        blank=True,
        help_text=_("Set by the approver; empty means the submitted quantity."),
    )
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who recorded or imported the entry, when not its resource."),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        related_name="+",
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        verbose_name=_("returned by"),
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATES

    # --- transitions: they only set fields; services do the rest ------------------------

    @django_fsm.transition(
        field=status,
        source=[EntryStatus.DRAFT, EntryStatus.RETURNED],
        target=EntryStatus.SUBMITTED,
    )
    def submit(self) -> None:
        pass

    submit.alters_data = True  # type: ignore[attr-defined]

    @django_fsm.transition(field=status, source=EntryStatus.SUBMITTED, target=EntryStatus.DRAFT)
    def recall(self) -> None:
        self.submitted_at = None

    recall.alters_data = True  # type: ignore[attr-defined]

    @django_fsm.transition(field=status, source=EntryStatus.SUBMITTED, target=EntryStatus.APPROVED)
    def approve(self) -> None:
        pass

    approve.alters_data = True  # type: ignore[attr-defined]

    @django_fsm.transition(field=status, source=EntryStatus.SUBMITTED, target=EntryStatus.RETURNED)
    def return_to_author(self) -> None:
        pass

    return_to_author.alters_data = True  # type: ignore[attr-defined]

    @django_fsm.transition(field=status, source=EntryStatus.APPROVED, target=EntryStatus.RETURNED)
    def cancel_approval(self) -> None:
        self.approved_at = None
        self.approved_by = None
        self.billable_quantity = None

    cancel_approval.alters_data = True  # type: ignore[attr-defined]


def _entry_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        # A backstop for absurd dates (0001-01-01, 9999-12-31); the services hold the date to
        # the fiscal calendar (contracts.fiscal_calendar), which lies within this range.
        models.CheckConstraint(condition=sane_date_q("entry_date"), name=f"{prefix}_date_sane"),
        models.CheckConstraint(
            condition=Q(status__in=EntryStatus.values), name=f"{prefix}_status_valid"
        ),
        models.CheckConstraint(
            condition=Q(billable_quantity__isnull=True) | Q(billable_quantity__gte=0),
            name=f"{prefix}_billable_not_negative",
        ),
    ]


class TimeEntry(Entry):
    role = models.ForeignKey(Role, models.PROTECT, verbose_name=_("role"), related_name="+")
    hours = quantity_field(_("hours"))

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        permissions = [("approve_timeentry", "Can approve or return time entries")]
        constraints = [
            *_entry_constraints("timeentry"),
            models.CheckConstraint(
                condition=Q(hours__gt=0, hours__lte=24),
                name="timeentry_hours_range",
                violation_error_message=_("Hours must be more than 0 and at most 24."),
            ),
        ]
        indexes = [
            models.Index(fields=["resource", "entry_date"], name="timeentry_resource_date_idx"),
            models.Index(fields=["project", "status"], name="timeentry_project_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_date} {self.hours} h ({self.pk})"

    @property
    def quantity(self) -> Decimal:  # the submitted quantity, alike for both kinds of entry
        return self.hours


def receipt_path(instance: "ExpenseEntry", filename: str) -> str:
    return f"receipts/{instance.resource_id}/{filename}"


class ExpenseEntry(Entry):
    category = models.ForeignKey(
        ExpenseCategory, models.PROTECT, verbose_name=_("expense category"), related_name="+"
    )
    quantity = quantity_field(_("quantity"), default=1)
    amount = money_field(_("amount"), help_text=_("What was paid, in the currency beside it."))
    currency = models.CharField(_("currency"), max_length=3)
    receipt = models.FileField(_("receipt"), upload_to=receipt_path, blank=True)

    class Meta:
        verbose_name = _("expense entry")
        verbose_name_plural = _("expense entries")
        permissions = [("approve_expenseentry", "Can approve or return expense entries")]
        constraints = [
            *_entry_constraints("expenseentry"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="expenseentry_quantity_positive"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="expenseentry_amount_valid"),
        ]
        indexes = [
            models.Index(fields=["resource", "entry_date"], name="expense_resource_date_idx"),
            models.Index(fields=["project", "status"], name="expense_project_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_date} {self.amount} {self.currency} ({self.pk})"
