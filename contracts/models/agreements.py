"""Contracts: customers and split, lines, coverage, invoice schedules and milestones.

The rules that span rows (splits sum to 100, exactly one rounding customer, no two lines
covering the same project + class + task) are checked by :mod:`contracts.services` before
anything is written, and the database keeps what it can on its own: one rounding customer at
most, coverage unique per contract, non-negative limits, schedule cut-off = run date − 1.
"""

import datetime as dt

import django_fsm
import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from contracts.money import money_field, percent_field
from contracts.moves import moves_trigger, starts_in_trigger

from .masterdata import Customer, ExpenseCategory, LegalEntity, Project, Role, SalesTaxGroup, Task


def _split_trigger(*, name: str, table: str, parent: str) -> pgtrigger.Trigger:
    """A deferred constraint trigger: at commit, the splits of a parent sum to exactly 100 with
    exactly one rounding row (or the parent has no rows at all)."""
    return pgtrigger.Trigger(
        name=name,
        when=pgtrigger.After,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        timing=pgtrigger.Deferred,
        func=f"""
        DECLARE
            parent_id bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.{parent} ELSE NEW.{parent} END;
            n integer; total numeric; rounding integer;
        BEGIN
            SELECT count(*), coalesce(sum(split_percent), 0), count(*) FILTER (WHERE is_rounding)
              INTO n, total, rounding FROM {table} WHERE {parent} = parent_id;
            IF n > 0 AND (total <> 100 OR rounding <> 1) THEN
                RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = format(
                    '%s %s: split percentages sum to %s with %s rounding rows; they must sum to 100 '
                    'with exactly one rounding row', TG_TABLE_NAME, parent_id, total, rounding);
            END IF;
            RETURN NULL;
        END;
        """,
    )


class TransactionClass(models.TextChoices):
    TIME = "time", _("Time")
    EXPENSE = "expense", _("Expense")
    MATERIAL = "material", _("Material")
    FEE = "fee", _("Fee")
    MILESTONE = "milestone", _("Milestone")


class BillingMethod(models.TextChoices):
    TIME_AND_MATERIAL = "tm", _("Time and material")
    FIXED_PRICE = "fp", _("Fixed price")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Contract(models.Model):
    number = models.CharField(_("number"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    legal_entity = models.ForeignKey(
        LegalEntity, models.PROTECT, verbose_name=_("contracting unit"), related_name="contracts"
    )
    project_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        verbose_name=_("project manager"),
        related_name="managed_contracts",
    )
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    nte_limit = money_field(
        _("not-to-exceed limit"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    sales_tax_group = models.ForeignKey(
        SalesTaxGroup,
        models.PROTECT,
        verbose_name=_("sales tax group"),
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Overrides the customer's sales tax group."),
    )
    customer_reference = models.CharField(_("customer reference / PO"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ContractStatus.values), name="contract_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="contract_end_after_start",
                violation_error_message=_("The end date may not be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(nte_limit__isnull=True) | Q(nte_limit__gte=0),
                name="contract_nte_not_negative",
                violation_error_message=_("A not-to-exceed limit may not be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ContractCustomer(models.Model):
    contract = models.ForeignKey(
        Contract, models.CASCADE, verbose_name=_("contract"), related_name="contract_customers"
    )
    customer = models.ForeignKey(
        Customer, models.PROTECT, verbose_name=_("customer"), related_name="contract_customers"
    )
    split_percent = percent_field(_("split %"))
    is_rounding = models.BooleanField(_("rounding customer"), default=False)
    nte_limit = money_field(_("not-to-exceed limit"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract customer")
        verbose_name_plural = _("contract customers")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "customer"], name="contractcustomer_unique"
            ),
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(is_rounding=True),
                name="contractcustomer_one_rounding",
            ),
            models.CheckConstraint(
                condition=Q(split_percent__gt=0, split_percent__lte=100),
                name="contractcustomer_split_range",
            ),
            models.CheckConstraint(
                condition=Q(nte_limit__isnull=True) | Q(nte_limit__gte=0),
                name="contractcustomer_nte_not_negative",
            ),
        ]
        triggers = [
            _split_trigger(
                name="contractcustomer_split_sums_to_100",
                table="contracts_contractcustomer",
                parent="contract_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}/{self.customer_id} {self.split_percent}%"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ContractLine(models.Model):
    contract = models.ForeignKey(
        Contract, models.CASCADE, verbose_name=_("contract"), related_name="lines"
    )
    name = models.CharField(_("name"), max_length=200)
    billing_method = models.CharField(
        _("billing method"), max_length=2, choices=BillingMethod.choices
    )
    nte_limit = money_field(_("not-to-exceed limit"), null=True, blank=True)
    external_description = models.CharField(_("text on the invoice"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("contract line")
        verbose_name_plural = _("contract lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(billing_method__in=BillingMethod.values),
                name="contractline_method_valid",
            ),
            models.CheckConstraint(
                condition=Q(nte_limit__isnull=True) | Q(nte_limit__gte=0),
                name="contractline_nte_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContractLineScope(models.Model):
    """One covered (project, task or all tasks, transaction class) of a contract line.

    ``contract`` repeats the line's contract so that PostgreSQL itself refuses two lines of one
    contract covering the same project + class + task (task empty = every task).
    """

    contract = models.ForeignKey(Contract, models.CASCADE, related_name="+")
    line = models.ForeignKey(
        ContractLine, models.CASCADE, verbose_name=_("line"), related_name="scopes"
    )
    project = models.ForeignKey(
        Project, models.PROTECT, verbose_name=_("project"), related_name="+"
    )
    task = models.ForeignKey(
        Task, models.PROTECT, verbose_name=_("task"), null=True, blank=True, related_name="+"
    )
    transaction_class = models.CharField(
        _("transaction class"), max_length=10, choices=TransactionClass.choices
    )

    class Meta:
        verbose_name = _("contract line coverage")
        verbose_name_plural = _("contract line coverage")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "project", "task", "transaction_class"],
                nulls_distinct=False,
                name="contractlinescope_unique_in_contract",
                violation_error_message=_(
                    "Two lines of a contract may not cover the same project, class and task."
                ),
            ),
            models.CheckConstraint(
                condition=Q(transaction_class__in=TransactionClass.values),
                name="contractlinescope_class_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.project_id}/{self.task_id or '*'} {self.transaction_class}"


class LineCustomer(models.Model):
    line = models.ForeignKey(
        ContractLine, models.CASCADE, verbose_name=_("line"), related_name="line_customers"
    )
    contract_customer = models.ForeignKey(
        ContractCustomer,
        models.PROTECT,
        verbose_name=_("contract customer"),
        related_name="line_customers",
    )
    split_percent = percent_field(_("split %"))
    is_rounding = models.BooleanField(_("rounding customer"), default=False)
    nte_limit = money_field(_("not-to-exceed limit"), null=True, blank=True)

    class Meta:
        verbose_name = _("line customer")
        verbose_name_plural = _("line customers")
        constraints = [
            models.UniqueConstraint(
                fields=["line", "contract_customer"], name="linecustomer_unique"
            ),
            models.UniqueConstraint(
                fields=["line"], condition=Q(is_rounding=True), name="linecustomer_one_rounding"
            ),
            models.CheckConstraint(
                condition=Q(split_percent__gt=0, split_percent__lte=100),
                name="linecustomer_split_range",
            ),
            models.CheckConstraint(
                condition=Q(nte_limit__isnull=True) | Q(nte_limit__gte=0),
                name="linecustomer_nte_not_negative",
            ),
        ]
        triggers = [
            _split_trigger(
                name="linecustomer_split_sums_to_100",
                table="contracts_linecustomer",
                parent="line_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.line_id}/{self.contract_customer_id} {self.split_percent}%"


class LineBillingRule(models.Model):
    """Marks one role, expense category or task chargeable or not on a line.

    Without a rule the role's / category's / task's own ``chargeable`` flag decides.
    """

    line = models.ForeignKey(
        ContractLine, models.CASCADE, verbose_name=_("line"), related_name="billing_rules"
    )
    role = models.ForeignKey(Role, models.PROTECT, null=True, blank=True, related_name="+")
    category = models.ForeignKey(
        ExpenseCategory, models.PROTECT, null=True, blank=True, related_name="+"
    )
    task = models.ForeignKey(Task, models.PROTECT, null=True, blank=True, related_name="+")
    chargeable = models.BooleanField(_("chargeable"))

    class Meta:
        verbose_name = _("line billing rule")
        verbose_name_plural = _("line billing rules")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__isnull=False, category__isnull=True, task__isnull=True)
                    | Q(role__isnull=True, category__isnull=False, task__isnull=True)
                    | Q(role__isnull=True, category__isnull=True, task__isnull=False)
                ),
                name="linebillingrule_one_target",
                violation_error_message=_(
                    "A billing rule names exactly one role, category or task."
                ),
            ),
            models.UniqueConstraint(
                fields=["line", "role", "category", "task"],
                nulls_distinct=False,
                name="linebillingrule_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {'chargeable' if self.chargeable else 'non-chargeable'}"


class ScheduleStatus(models.TextChoices):
    PENDING = "pending", _("Not run")
    DONE = "done", _("Run")
    FAILED = "failed", _("Failed")


class ScheduleFrequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")
    TIMES_A_MONTH = "n_per_month", _("n times a month")


class InvoiceScheduleEntry(models.Model):
    """One run date of a T&M line's invoice schedule; cut-off is always the day before."""

    line = models.ForeignKey(
        ContractLine, models.CASCADE, verbose_name=_("line"), related_name="schedule_entries"
    )
    run_date = models.DateField(_("run date"))
    cut_off_date = models.DateField(_("cut-off date"))
    status = models.CharField(
        _("status"), max_length=10, choices=ScheduleStatus.choices, default=ScheduleStatus.PENDING
    )
    failure_reason = models.TextField(_("failure reason"), blank=True)
    ran_at = models.DateTimeField(_("ran at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice schedule entry")
        verbose_name_plural = _("invoice schedule")
        constraints = [
            models.UniqueConstraint(fields=["line", "run_date"], name="schedule_run_date_unique"),
            models.CheckConstraint(
                condition=Q(cut_off_date=F("run_date") - dt.timedelta(days=1)),
                name="schedule_cut_off_day_before",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ScheduleStatus.values), name="schedule_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "run_date"], name="schedule_due_idx")]

    def __str__(self) -> str:
        return f"{self.line_id} @ {self.run_date}"


class MilestoneStatus(models.TextChoices):
    NOT_READY = "not_ready", _("Not ready")
    READY = "ready", _("Ready to invoice")
    ON_DRAFT = "on_draft", _("On draft invoice")
    INVOICED = "invoiced", _("Invoiced")


_M = MilestoneStatus
#: A milestone's allowed moves and the transition (and billing-service verb) that makes each
#: (DOMAIN.md §4): not ready ⇄ ready → on a draft → invoiced; a removed detail or a deleted
#: draft releases it to ready; a full credit puts it back to ready. PostgreSQL refuses any
#: other move (:func:`contracts.moves.moves_trigger`).
MILESTONE_MOVES: dict[tuple[str, str], str] = {
    (_M.NOT_READY, _M.READY): "mark_ready",
    (_M.READY, _M.NOT_READY): "mark_not_ready",
    (_M.READY, _M.ON_DRAFT): "claim",
    (_M.ON_DRAFT, _M.READY): "release",
    (_M.ON_DRAFT, _M.INVOICED): "invoice",
    (_M.INVOICED, _M.READY): "credit",
}


def _source(verb: str) -> str:
    return next(a for (a, _b), v in MILESTONE_MOVES.items() if v == verb)


def _target(verb: str) -> str:
    return next(b for (_a, b), v in MILESTONE_MOVES.items() if v == verb)


class Milestone(django_fsm.ConcurrentTransitionMixin, models.Model):
    """A fixed-price billing point of one line customer (the milestone's amount is split over
    the line's customers when it is created, one row each).

    Its status moves only by its transitions (a protected FSM field), which the billing service
    (:mod:`actuals.services.billing`) calls; each sets its own fields."""

    line = models.ForeignKey(
        ContractLine, models.CASCADE, verbose_name=_("line"), related_name="milestones"
    )
    line_customer = models.ForeignKey(
        LineCustomer, models.PROTECT, verbose_name=_("line customer"), related_name="milestones"
    )
    name = models.CharField(_("name"), max_length=200)
    milestone_date = models.DateField(_("date"))
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    external_description = models.CharField(_("text on the invoice"), max_length=300, blank=True)
    status = django_fsm.FSMField(
        _("status"),
        max_length=10,
        choices=MilestoneStatus.choices,
        default=MilestoneStatus.NOT_READY,
        protected=True,
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    ready_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        verbose_name=_("marked ready by"),
        null=True,
        blank=True,
        related_name="+",
    )
    invoiced_at = models.DateTimeField(_("invoiced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        permissions = [("mark_milestone_ready", "Can mark milestones ready or not ready")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MilestoneStatus.values), name="milestone_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="milestone_amount_positive",
                violation_error_message=_("A milestone amount must be more than 0."),
            ),
            models.CheckConstraint(
                condition=Q(status=MilestoneStatus.INVOICED) | Q(invoiced_at__isnull=True),
                name="milestone_invoiced_at_when_invoiced",
            ),
        ]
        triggers = [
            moves_trigger(name="milestone_moves", column="status", moves=MILESTONE_MOVES),
            starts_in_trigger(
                name="milestone_starts_not_ready", column="status", states=[_M.NOT_READY]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.milestone_date})"

    @django_fsm.transition(field=status, source=_source("mark_ready"), target=_target("mark_ready"))
    def mark_ready(self, *, by: object, at: dt.datetime) -> None:
        self.ready_by = by  # type: ignore[assignment]
        self.status_changed_at = at

    @django_fsm.transition(
        field=status, source=_source("mark_not_ready"), target=_target("mark_not_ready")
    )
    def mark_not_ready(self, *, at: dt.datetime) -> None:
        self.ready_by = None
        self.status_changed_at = at

    @django_fsm.transition(field=status, source=_source("claim"), target=_target("claim"))
    def claim(self, *, at: dt.datetime) -> None:
        """Put on a draft invoice."""
        self.status_changed_at = at

    @django_fsm.transition(field=status, source=_source("release"), target=_target("release"))
    def release(self, *, at: dt.datetime) -> None:
        """Taken off its draft (detail removed, draft deleted): ready again."""
        self.status_changed_at = at

    @django_fsm.transition(field=status, source=_source("invoice"), target=_target("invoice"))
    def invoice(self, *, at: dt.datetime) -> None:
        """Its invoice was confirmed."""
        self.invoiced_at = at
        self.status_changed_at = at

    @django_fsm.transition(field=status, source=_source("credit"), target=_target("credit"))
    def credit(self, *, at: dt.datetime) -> None:
        """Credited in full by a confirmed credit note: ready to be invoiced again."""
        self.invoiced_at = None
        self.status_changed_at = at

    mark_ready.alters_data = True  # type: ignore[attr-defined]
    mark_not_ready.alters_data = True  # type: ignore[attr-defined]
    claim.alters_data = True  # type: ignore[attr-defined]
    release.alters_data = True  # type: ignore[attr-defined]
    invoice.alters_data = True  # type: ignore[attr-defined]
    credit.alters_data = True  # type: ignore[attr-defined]
