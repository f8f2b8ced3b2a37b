"""The billing state of unbilled sales actuals (DOMAIN.md §4), beside the immutable actual.

Every unbilled sales actual that may be billed or shown in the backlog (an original, not a
reversal) has one :class:`ActualBilling` row, written with it: its billing status, its
not-to-exceed check and a write-off's reason. Only :mod:`actuals.services.billing` writes these
rows, and PostgreSQL keeps them honest on its own:

- a status moves only along :data:`BILLING_MOVES` and a new row starts *not ready*
  (:mod:`contracts.moves`);
- only a billable item (its actual is not non-chargeable) whose not-to-exceed check passed can
  be ready, on a draft or invoiced; a written-off item says why;
- the copies of the actual's facts (contract, line, contract customer, date, billable) never
  change, and no row is ever deleted;
- pghistory keeps every change of the workflow columns but one: the claim *ready → on draft*,
  which the invoice detail it creates records (``detail_actual_once`` keeps that unique), so
  the nightly run's 100,000 claims write no history rows.

Decision (speed, measured in ``bench/nightly_run.py``): the state lives in this narrow row, not
on the wide actual. The nightly run moves 100,000 items *ready → on draft* in one statement;
updating a narrow row and its two small indexes costs a fraction of rewriting the wide actual
and its eight indexes, and it lets the actual be immutable outright. The copied columns let
the run find ready items of a line up to a cut-off from one partial index, and group them by
contract customer, without reading the actuals at all.
"""

import pghistory
import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, ContractCustomer, ContractLine
from contracts.moves import moves_trigger, starts_in_trigger
from contracts.seals import no_truncate

from .actual import Actual


class BillingStatus(models.TextChoices):
    NOT_READY = "not_ready", _("Not ready")
    READY = "ready", _("Ready to invoice")
    ON_DRAFT = "on_draft", _("On draft invoice")
    INVOICED = "invoiced", _("Invoiced")
    WRITTEN_OFF = "written_off", _("Written off")
    CANCELLED = "cancelled", _("Cancelled")


_S = BillingStatus
#: The allowed moves of an unbilled actual's billing status and the verb of the billing service
#: that makes each (DOMAIN.md §4). *Invoiced* and *cancelled* are final: a credit note brings
#: credited quantity back as a *new* actual, so "billed at most once" holds for ever.
BILLING_MOVES: dict[tuple[str, str], str] = {
    (_S.NOT_READY, _S.READY): "mark_ready",
    (_S.READY, _S.NOT_READY): "mark_not_ready",
    (_S.READY, _S.ON_DRAFT): "claim",
    (_S.ON_DRAFT, _S.READY): "release",
    (_S.ON_DRAFT, _S.INVOICED): "invoice",
    (_S.NOT_READY, _S.WRITTEN_OFF): "write_off",
    (_S.READY, _S.WRITTEN_OFF): "write_off",
    (_S.WRITTEN_OFF, _S.NOT_READY): "reverse_write_off",
    (_S.NOT_READY, _S.CANCELLED): "cancel",
    (_S.READY, _S.CANCELLED): "cancel",
}

#: Statuses that count as "in the backlog" (not yet invoiced, written off or cancelled).
BACKLOG_STATUSES = (_S.NOT_READY, _S.READY, _S.ON_DRAFT)
#: Statuses that mean a sales actual is on an invoice (its approval can no longer be cancelled).
ON_INVOICE_STATUSES = (_S.ON_DRAFT, _S.INVOICED)
#: Statuses an item that may not be billed (not billable, or failed its limit) can be in.
UNBILLABLE_STATUSES = (_S.NOT_READY, _S.WRITTEN_OFF, _S.CANCELLED)


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


#: The columns that change over an item's life (and whose history pghistory keeps).
WORKFLOW_FIELDS = ("status", "nte_status", "nte_failed_level", "nte_message", "write_off_reason")
#: Copies of the actual's facts, for the run's index: they never change.
COPIED_FIELDS = (
    "actual_id",
    "contract_id",
    "contract_line_id",
    "contract_customer_id",
    "transaction_date",
    "billable",
)


def _workflow_changed_but_not_claimed() -> pgtrigger.Q:
    """A trigger condition: a workflow column changed, and not by the claim *ready → on
    draft*."""
    changed = pgtrigger.Q()
    for field in WORKFLOW_FIELDS:
        changed |= pgtrigger.Q(**{f"old__{field}__df": pgtrigger.F(f"new__{field}")})
    return changed & ~pgtrigger.Q(old__status=_S.READY, new__status=_S.ON_DRAFT)


def _upsert_backlog_totals(changes: str) -> str:
    """Add ``changes`` (rows of actual_id, contract_id, old_status, new_status; old_status
    NULL for a new row) of chargeable items to :class:`BacklogTotal`: each takes one item from
    its old status's total and gives it to its new one. Each actual is read once; the totals'
    rows are written in key order (so concurrent statements lock them in one order). The
    actuals are looked up one by one on their key (``LATERAL … OFFSET 0``): the planner knows
    nothing of a transition table's size and would otherwise read the whole table to hash it."""
    backlog = ", ".join(f"'{s}'" for s in BACKLOG_STATUSES)
    return f"""
        INSERT INTO actuals_backlogtotal AS t (contract_id, status, currency, items, hours,
                                              amount)
        SELECT c.contract_id, s.status, a.currency, sum(s.sign),
               sum(s.sign * CASE WHEN a.transaction_class = 'time' THEN a.quantity ELSE 0 END),
               sum(s.sign * a.amount)
        FROM ({changes}) c
        CROSS JOIN LATERAL (
            SELECT currency, transaction_class, quantity, amount FROM actuals_actual
            WHERE id = c.actual_id AND billing_type = 'chargeable' OFFSET 0
        ) a
        CROSS JOIN LATERAL (VALUES (c.old_status, -1), (c.new_status, 1)) s (status, sign)
        WHERE s.status IN ({backlog})
        GROUP BY c.contract_id, s.status, a.currency
        ORDER BY c.contract_id, s.status, a.currency
        ON CONFLICT (contract_id, status, currency) DO UPDATE
        SET items = t.items + excluded.items, hours = t.hours + excluded.hours,
            amount = t.amount + excluded.amount;
        RETURN NULL;
    """


def backlog_total_triggers() -> list[pgtrigger.Trigger]:
    """Statement-level triggers that keep :class:`BacklogTotal` equal to the backlog: new rows
    add, a status change moves the item from its old status's total to its new one. Only rows
    whose status changed are read: the nightly claim of a batch of 10,000 items reads those
    10,000 actuals once more (measured in ``bench/nightly_run.py``)."""
    return [
        pgtrigger.Trigger(
            name="billing_backlog_total_insert",
            when=pgtrigger.After,
            operation=pgtrigger.Insert,
            level=pgtrigger.Statement,
            referencing=pgtrigger.Referencing(new="new_rows"),
            func=_upsert_backlog_totals(
                "SELECT actual_id, contract_id, NULL::varchar AS old_status, "
                "status AS new_status FROM new_rows"
            ),
        ),
        pgtrigger.Trigger(
            name="billing_backlog_total_update",
            when=pgtrigger.After,
            operation=pgtrigger.Update,
            level=pgtrigger.Statement,
            referencing=pgtrigger.Referencing(old="old_rows", new="new_rows"),
            func=_upsert_backlog_totals(
                "SELECT o.actual_id, o.contract_id, o.status AS old_status, "
                "n.status AS new_status FROM old_rows o JOIN new_rows n USING (actual_id) "
                "WHERE o.status IS DISTINCT FROM n.status"
            ),
        ),
    ]


@pghistory.track(
    # Statement level: one INSERT … SELECT per UPDATE statement, however many rows it moves,
    # and none of the claim's rows (see the module).
    pghistory.UpdateEvent("billing_changed", condition=_workflow_changed_but_not_claimed()),
    fields=list(WORKFLOW_FIELDS),
    model_name="ActualBillingEvent",
    obj_field=pghistory.ObjForeignKey(related_name="events"),
    level=pghistory.Statement,
)
class ActualBilling(models.Model):
    actual = models.OneToOneField(
        Actual,
        models.PROTECT,
        primary_key=True,
        verbose_name=_("actual"),
        related_name="billing",
    )
    contract = models.ForeignKey(
        Contract, models.PROTECT, verbose_name=_("contract"), related_name="+", db_index=False
    )
    contract_line = models.ForeignKey(
        ContractLine,
        models.PROTECT,
        verbose_name=_("contract line"),
        related_name="+",
        db_index=False,
    )
    #: The contract customer the item is billed to (its invoice's), from the line customer.
    contract_customer = models.ForeignKey(
        ContractCustomer,
        models.PROTECT,
        verbose_name=_("contract customer"),
        related_name="+",
        db_index=False,
    )
    transaction_date = models.DateField(_("transaction date"))
    #: The actual is chargeable or complimentary (not non-chargeable): it may go on an invoice.
    billable = models.BooleanField(_("billable"))
    status = models.CharField(
        _("billing status"),
        max_length=20,
        choices=BillingStatus.choices,
        default=BillingStatus.NOT_READY,
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

    class Meta:
        verbose_name = _("billing state of an actual")
        verbose_name_plural = _("billing states of actuals")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BillingStatus.values), name="billing_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(billable=True, nte_status__in=["", NteStatus.OK])
                | Q(status__in=UNBILLABLE_STATUSES),
                name="billing_only_billable_items_move",
                violation_error_message=_(
                    "Only a billable item within its not-to-exceed limit can be ready, on a "
                    "draft or invoiced."
                ),
            ),
            models.CheckConstraint(
                condition=Q(nte_status__in=NteStatus.values), name="billing_nte_status_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(nte_status=NteStatus.FAILED) & ~Q(nte_failed_level="")
                    | ~Q(nte_status=NteStatus.FAILED) & Q(nte_failed_level="")
                )
                & Q(nte_failed_level__in=NteLevel.values),
                name="billing_nte_level_valid",
                violation_error_message=_("A failed not-to-exceed check names its level."),
            ),
            models.CheckConstraint(
                condition=~Q(status=BillingStatus.WRITTEN_OFF) | ~Q(write_off_reason=""),
                name="billing_write_off_has_reason",
                violation_error_message=_("A write-off says why."),
            ),
        ]
        indexes = [
            # The invoice run: ready items of a contract line up to a cut-off date.
            # (The only index that names the status: every other index a claim would have to
            # update too. Lists by contract go through the actuals' own index.)
            models.Index(
                fields=["contract_line", "transaction_date"],
                name="billing_ready_idx",
                condition=Q(status=BillingStatus.READY),
            ),
        ]
        triggers = [
            moves_trigger(
                name="billing_moves", column="status", moves=BILLING_MOVES, key="actual_id"
            ),
            no_truncate(name="billing_no_truncate"),
            starts_in_trigger(
                name="billing_starts_not_ready",
                column="status",
                states=[BillingStatus.NOT_READY],
                key="actual_id",
            ),
            pgtrigger.Protect(
                name="billing_copies_immutable",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange(*(f.removesuffix("_id") for f in COPIED_FIELDS)),
            ),
            pgtrigger.Protect(name="billing_no_delete", operation=pgtrigger.Delete),
            *backlog_total_triggers(),
        ]

    def __str__(self) -> str:
        return f"{self.actual_id}: {self.get_status_display()}"


class BacklogTotal(models.Model):
    """How many chargeable items of a contract are in the backlog in one status and currency,
    their hours (time items only: kilometres and nights are never added to hours) and amount:
    kept by the triggers of :class:`ActualBilling`
    (:func:`backlog_total_triggers`), never written by Python.

    Decision (speed, measured in ``bench/pages.py``): the backlog page and API show totals of
    what the filters select; summing a manager's million items took 0.7 s a request. Filtered by
    contract and status only (the default view included), the totals are read from these few
    rows instead (:func:`invoicing.filters.backlog_totals`); any other filter sums the items.
    Rows whose count reaches 0 stay (at 0)."""

    contract = models.ForeignKey(
        Contract, models.DO_NOTHING, verbose_name=_("contract"), related_name="+"
    )
    status = models.CharField(_("billing status"), max_length=20, choices=BillingStatus.choices)
    currency = models.CharField(_("currency"), max_length=3)
    items = models.BigIntegerField(_("items"))
    hours = models.DecimalField(_("hours"), max_digits=24, decimal_places=4)
    amount = models.DecimalField(_("amount"), max_digits=24, decimal_places=4)

    class Meta:
        verbose_name = _("backlog total")
        verbose_name_plural = _("backlog totals")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "status", "currency"], name="backlogtotal_one_per_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.status} {self.currency}: {self.items}"
