"""Pro-forma invoices, their lines and details, and invoice runs (DOMAIN.md §4–5).

One document carries the invoice through its life: draft ⇄ in review → confirmed → posted.
A corrective document is a new invoice whose ``corrects`` names the one it corrects and goes
through the same lifecycle: a **credit note** (``is_credit_note``) credits details of an
invoice, and a corrected credit note is an invoice again that re-invoices what it credited.

Guarantees kept by PostgreSQL itself:

- an unbilled actual is on at most one invoice detail, ever (``detail_actual_once``): a run
  repeated, two runs at once, or a run racing a manual *create invoice* cannot bill it twice.
  Credited quantity comes back as a *new* unbilled actual, so the rule holds across credits,
  however often a detail is credited;
- a milestone is on at most one live detail (``detail_milestone_once``: a detail whose
  milestone was credited in full is marked ``credited`` and no longer counts);
- at most one open (draft / in review) regular invoice per contract × contract customer
  (``invoice_one_open_draft``): new ready items join the open draft, which is also how
  *add to an existing draft* works;
- confirmed and posted invoices, their lines and details cannot be updated or deleted, except
  the few workflow columns named in the triggers.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

import django_fsm
import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from actuals.models import Actual, BillingType
from contracts.fiscal_calendar import sane_date_q
from contracts.models import (
    Contract,
    ContractCustomer,
    ContractLine,
    Customer,
    ExpenseCategory,
    ItemSalesTaxGroup,
    LegalEntity,
    Milestone,
    Resource,
    Role,
    SalesTaxGroup,
    TransactionClass,
)
from contracts.money import ZERO, money_field, price_field, quantity_field
from contracts.queueing import JobStatus
from contracts.seals import no_truncate
from ledger.models import LedgerEntry


def _any_changed(*columns: str) -> pgtrigger.Q:
    """A trigger condition: any of the columns is distinct between OLD and NEW."""
    condition = pgtrigger.Q()
    for column in columns:
        condition |= pgtrigger.Q(**{f"old__{column}__df": pgtrigger.F(f"new__{column}")})
    return condition


#: The references of invoice details, checked for all the rows of a statement at once, where
#: row-level foreign keys would look up every row one by one (the detail insert of a 100,000-item
#: run takes a fraction of the time):
#:
#: - the invoices named are locked ``FOR KEY SHARE``, as a foreign key would, so none is deleted
#:   before this transaction commits (the invoice, line, milestone and tax-group tables refuse
#:   deleting a row that details still name);
#: - each distinct combination of invoice, line, milestone and tax groups (a few per statement)
#:   is looked up once: the line is on the detail's invoice, the rest exists;
#: - per row, a detail that bills an actual finds its billing state: on insert *on draft*
#:   (the billing service claimed it in the same transaction; it exists, then), on update it
#:   exists; a billed milestone is *on draft* on insert too; on update the links confirmation
#:   writes name existing details and actuals.
#:
#: Every join is on the referenced key alone (a state is tested after the join), so a stale
#: estimate of how many rows have it cannot turn a check into a loop over the whole statement.
DETAIL_REFERENCES = """
DECLARE problem text;
BEGIN
PERFORM 1 FROM invoicing_invoice i
WHERE i.id IN (SELECT DISTINCT invoice_id FROM new_rows) ORDER BY i.id FOR KEY SHARE;
SELECT CASE
        WHEN l.id IS NULL THEN format('line %s is not on invoice %s', c.line_id, c.invoice_id)
        WHEN c.milestone_id IS NOT NULL AND m.id IS NULL
            THEN format('milestone %s does not exist', c.milestone_id)
        ELSE 'a tax group does not exist'
    END INTO problem
FROM (
    SELECT DISTINCT invoice_id, line_id, milestone_id, sales_tax_group_id,
           item_sales_tax_group_id
    FROM new_rows
) c
LEFT JOIN invoicing_invoiceline l ON l.id = c.line_id AND l.invoice_id = c.invoice_id
LEFT JOIN contracts_milestone m ON m.id = c.milestone_id
LEFT JOIN contracts_salestaxgroup g ON g.id = c.sales_tax_group_id
LEFT JOIN contracts_itemsalestaxgroup ig ON ig.id = c.item_sales_tax_group_id
WHERE l.id IS NULL
   OR c.milestone_id IS NOT NULL AND m.id IS NULL
   OR c.sales_tax_group_id IS NOT NULL AND g.id IS NULL
   OR c.item_sales_tax_group_id IS NOT NULL AND ig.id IS NULL
LIMIT 1;
IF problem IS NULL THEN
    {rows}
END IF;
IF problem IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
        MESSAGE = format('invoice detail: %s', problem);
END IF;
RETURN NULL;
END;
"""
DETAIL_REFERENCES_ON_INSERT = DETAIL_REFERENCES.format(
    rows="""
    IF EXISTS (
        SELECT 1 FROM invoicing_invoice i
        WHERE i.id IN (SELECT DISTINCT invoice_id FROM new_rows)
          AND i.status IN ('confirmed', 'posted')
    ) THEN
        RAISE EXCEPTION USING ERRCODE = 'restrict_violation',
            MESSAGE = 'invoice detail: a confirmed or posted invoice takes no new details';
    END IF;
    SELECT format('detail %s bills an item that is not claimed for a draft', d.id) INTO problem
    FROM new_rows d
    LEFT JOIN actuals_actualbilling b ON b.actual_id = d.actual_id
    LEFT JOIN contracts_milestone m ON m.id = d.milestone_id
    WHERE d.actual_id IS NOT NULL AND b.status IS DISTINCT FROM 'on_draft'
       OR d.milestone_id IS NOT NULL AND d.credits_id IS NULL
          AND m.status IS DISTINCT FROM 'on_draft'
    LIMIT 1;"""
)
#: On update (confirmation fills the links): what they name exists.
_LINKS = {
    "actual_id": "actuals_actual",
    "credits_id": "invoicing_invoicedetail",
    "reinvoices_id": "invoicing_invoicedetail",
    "billed_actual_id": "actuals_actual",
    "given_away_actual_id": "actuals_actual",
    "remaining_actual_id": "actuals_actual",
    "returned_actual_id": "actuals_actual",
}
DETAIL_REFERENCES_ON_UPDATE = DETAIL_REFERENCES.format(
    rows="""
    SELECT format('detail %s names a detail or actual that does not exist', d.id) INTO problem
    FROM new_rows d
    {joins}
    WHERE {missing}
    LIMIT 1;""".format(
        joins="\n    ".join(
            f"LEFT JOIN {table} x{i} ON x{i}.id = d.{column}"
            for i, (column, table) in enumerate(_LINKS.items())
        ),
        missing="\n       OR ".join(
            f"d.{column} IS NOT NULL AND x{i}.id IS NULL" for i, column in enumerate(_LINKS)
        ),
    )
)


def _no_children(*, table: str, column: str, parent: str = "") -> pgtrigger.Trigger:
    """Refuse deleting rows that invoice details still name (the other half of a foreign key);
    ``parent``: the deleted row's invoice column, so the check uses the details' index."""
    on = f"o.id = d.{column}" + (f" AND d.invoice_id = o.{parent}" if parent else "")
    return pgtrigger.Trigger(
        name=f"{table}_still_named_by_details",
        when=pgtrigger.After,
        operation=pgtrigger.Delete,
        level=pgtrigger.Statement,
        referencing=pgtrigger.Referencing(old="old_rows"),
        func=f"""
        IF EXISTS (
            SELECT 1 FROM invoicing_invoicedetail d JOIN old_rows o ON {on}
        ) THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
                MESSAGE = format('%s: invoice details still name a deleted row', TG_TABLE_NAME);
        END IF;
        RETURN NULL;
        """,
    )


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CONFIRMED = "confirmed", _("Confirmed")
    POSTED = "posted", _("Posted")


OPEN_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.IN_REVIEW)


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Nightly schedule")
    COMMAND = "command", _("Command line")
    API = "api", _("API")
    PORTAL = "portal", _("Portal")


RunStatus = JobStatus  # runs and posting batches share every job's statuses


class InvoiceRun(models.Model):
    """One invoice run (nightly, command or API) with its counts, shown on the runs page.

    ``heartbeat_at`` moves with every batch billed; a running run whose heartbeat stopped is
    marked *failed* (``invoicing.services.runs.fail_stalled_runs``) with the reason in
    ``message``."""

    run_date = models.DateField(_("run date"))
    trigger = models.CharField(_("started by"), max_length=10, choices=RunTrigger.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        related_name="+",
    )
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    retry_of = models.ForeignKey(
        "self",
        models.PROTECT,
        verbose_name=_("retry of run"),
        null=True,
        blank=True,
        related_name="retries",
    )
    batches_total = models.PositiveIntegerField(_("batches to do"), default=0)
    #: The contract ids of each batch, as planned once: a run task delivered again queues the
    #: same batches, so a batch number always names the same contracts.
    plan = models.JSONField(_("plan"), default=list, blank=True)
    batches_done = models.PositiveIntegerField(_("batches done"), default=0)
    #: The numbers of the batches billed (a batch delivered twice counts once).
    batches_billed = ArrayField(
        models.PositiveIntegerField(), verbose_name=_("batches billed"), default=list, blank=True
    )
    contracts_total = models.PositiveIntegerField(_("contracts to do"), default=0)
    contracts_done = models.PositiveIntegerField(_("contracts done"), default=0)
    invoices_count = models.PositiveIntegerField(_("invoices"), default=0)
    items_count = models.PositiveIntegerField(_("items"), default=0)
    failures_count = models.PositiveIntegerField(_("failures"), default=0)
    #: Amount invoiced per currency, e.g. {"EUR": "1234.50"} (amounts in different currencies
    #: are never added).
    amounts = models.JSONField(_("amounts"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("invoice run")
        verbose_name_plural = _("invoice runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="invoicerun_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(trigger__in=RunTrigger.values), name="invoicerun_trigger_valid"
            ),
            # Backstop for absurd dates; services hold run dates to the fiscal calendar.
            models.CheckConstraint(condition=sane_date_q("run_date"), name="invoicerun_date_sane"),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} for {self.run_date}"


class InvoiceRunFailure(models.Model):
    """A contract that failed in a run, with the reason (the others went on)."""

    run = models.ForeignKey(InvoiceRun, models.CASCADE, related_name="failures")
    contract = models.ForeignKey(Contract, models.PROTECT, related_name="+")
    message = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("invoice run failure")
        verbose_name_plural = _("invoice run failures")

    def __str__(self) -> str:
        return f"{self.run_id}: {self.contract_id}"


class PostingBatch(models.Model):
    """A background *post selected* of many invoice proposals, with its progress (its heartbeat
    moves with every invoice; a batch whose heartbeat stopped is marked *failed*)."""

    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, verbose_name=_("started by"), related_name="+"
    )
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    invoice_ids = ArrayField(models.BigIntegerField(), verbose_name=_("invoices"), default=list)
    total = models.PositiveIntegerField(_("to post"), default=0)
    posted = models.PositiveIntegerField(_("posted"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    #: invoice id → the reason it was not posted.
    failures = models.JSONField(_("failures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("posting batch")
        verbose_name_plural = _("posting batches")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="postingbatch_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Posting batch {self.pk}"


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    # The version only counts edits for the optimistic lock: no history of its own.
    exclude=["version"],
)
class Invoice(django_fsm.ConcurrentTransitionMixin, models.Model):
    contract = models.ForeignKey(
        Contract, models.PROTECT, verbose_name=_("contract"), related_name="invoices"
    )
    contract_customer = models.ForeignKey(
        ContractCustomer, models.PROTECT, verbose_name=_("contract customer"), related_name="+"
    )
    customer = models.ForeignKey(
        Customer, models.PROTECT, verbose_name=_("customer"), related_name="invoices"
    )
    legal_entity = models.ForeignKey(
        LegalEntity, models.PROTECT, verbose_name=_("legal entity"), related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3)
    status = django_fsm.FSMField(
        _("status"),
        max_length=10,
        choices=InvoiceStatus.choices,
        default=InvoiceStatus.DRAFT,
        protected=True,
    )
    invoice_date = models.DateField(_("invoice date"))
    accounting_date = models.DateField(_("accounting date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    customer_reference = models.CharField(_("customer reference / PO"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    corrects = models.ForeignKey(
        "self",
        models.PROTECT,
        verbose_name=_("corrects invoice"),
        null=True,
        blank=True,
        related_name="corrections",
    )
    run = models.ForeignKey(
        InvoiceRun,
        models.SET_NULL,
        verbose_name=_("created by run"),
        null=True,
        blank=True,
        related_name="invoices",
    )
    #: Raised on every edit; a save that names an older version is refused (two managers).
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: The legal number, given when the invoice is posted (gapless per legal entity and year).
    number = models.CharField(_("invoice number"), max_length=30, blank=True)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: The ledger entry of the posted invoice (receivables, revenue, VAT, accrual reversal).
    ledger_entry = models.OneToOneField(
        LedgerEntry,
        models.PROTECT,
        verbose_name=_("ledger entry"),
        null=True,
        blank=True,
        related_name="invoice",
    )
    #: A credit note credits details of the invoice it ``corrects``; a corrective document that
    #: is not a credit note re-invoices what the credit note it corrects credited.
    is_credit_note = models.BooleanField(_("credit note"), default=False)
    #: The payment reference printed on the invoice (given when posted).
    payment_reference = models.CharField(_("payment reference"), max_length=40, blank=True)
    #: The printed invoice, rendered once when posted and never again (a posted invoice always
    #: prints the same); ``pdf_sha256`` lets anyone check the stored bytes.
    pdf = models.FileField(_("printed invoice"), upload_to="invoices/%Y/", blank=True)
    pdf_sha256 = models.CharField(_("PDF checksum (SHA-256)"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        permissions = [
            ("confirm_invoice", "Can confirm pro-forma invoices"),
            ("correct_invoice", "Can create corrective invoices (credit notes)"),
            ("post_invoice", "Can post invoices"),
            ("change_invoiceproposal", "Can update invoice proposals"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"
            ),
            # Backstop for absurd dates (an invoice dated 9999-12-31 broke its PDF, proposal and
            # posting); services hold the dates to the fiscal calendar.
            models.CheckConstraint(
                condition=sane_date_q("invoice_date"), name="invoice_invoice_date_sane"
            ),
            models.CheckConstraint(
                condition=Q(accounting_date__isnull=True) | sane_date_q("accounting_date"),
                name="invoice_accounting_date_sane",
            ),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True) | sane_date_q("due_date"),
                name="invoice_due_date_sane",
            ),
            models.UniqueConstraint(
                fields=["contract", "contract_customer"],
                condition=Q(status__in=OPEN_STATUSES, corrects__isnull=True),
                name="invoice_one_open_draft",
                violation_error_message=_(
                    "This contract customer already has an open draft invoice."
                ),
            ),
            models.UniqueConstraint(
                fields=["legal_entity", "number"],
                condition=~Q(number=""),
                name="invoice_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(status=InvoiceStatus.POSTED) | Q(number=""),
                name="invoice_number_only_when_posted",
            ),
            models.CheckConstraint(
                condition=Q(is_credit_note=False) | Q(corrects__isnull=False),
                name="invoice_credit_note_corrects",
                violation_error_message=_("A credit note names the invoice it corrects."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "contract"], name="invoice_status_contract_idx"),
        ]
        triggers = [
            # Confirmed and posted invoices are read-only; posting fills in its own columns.
            pgtrigger.Protect(
                name="invoice_confirmed_read_only",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__status__in=["confirmed", "posted"])
                & _any_changed(
                    "contract_id",
                    "contract_customer_id",
                    "customer_id",
                    "currency",
                    "corrects_id",
                    "created_at",
                    "confirmed_at",
                ),
            ),
            pgtrigger.Protect(
                name="invoice_posted_read_only",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__status="posted"),
            ),
            pgtrigger.Protect(
                name="invoice_confirmed_no_delete",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Q(old__status__in=["confirmed", "posted"]),
            ),
            _no_children(table="invoice", column="invoice_id"),
            no_truncate(name="invoice_no_truncate"),
        ]

    def __str__(self) -> str:
        return self.number or self.reference

    @property
    def reference(self) -> str:
        """The internal reference a draft carries (the legal number comes with posting)."""
        return f"PF-{self.pk:06d}" if self.pk else "PF-new"

    @property
    def is_corrective(self) -> bool:
        """A credit note, or a re-invoice of what a credit note credited."""
        return self.corrects_id is not None

    @property
    def is_editable(self) -> bool:
        return self.status in OPEN_STATUSES

    @django_fsm.transition(field=status, source=InvoiceStatus.DRAFT, target=InvoiceStatus.IN_REVIEW)
    def submit_for_review(self) -> None:
        pass

    submit_for_review.alters_data = True  # type: ignore[attr-defined]

    @django_fsm.transition(field=status, source=InvoiceStatus.IN_REVIEW, target=InvoiceStatus.DRAFT)
    def back_to_draft(self) -> None:
        pass

    back_to_draft.alters_data = True  # type: ignore[attr-defined]

    @django_fsm.transition(field=status, source=OPEN_STATUSES, target=InvoiceStatus.CONFIRMED)
    def confirm(self, *, by: Any, at: dt.datetime) -> None:
        self.confirmed_by = by
        self.confirmed_at = at
        self.version += 1

    confirm.alters_data = True  # type: ignore[attr-defined]

    @django_fsm.transition(
        field=status, source=InvoiceStatus.CONFIRMED, target=InvoiceStatus.POSTED
    )
    def post(
        self, *, number: str, payment_reference: str, entry: LedgerEntry, by: Any, at: dt.datetime
    ) -> None:
        self.number = number
        self.payment_reference = payment_reference
        self.ledger_entry = entry
        self.posted_by = by
        self.posted_at = at
        self.version += 1

    post.alters_data = True  # type: ignore[attr-defined]

    def can_be_corrected(self) -> bool:
        """Confirmed or posted, with something left to correct: a detail still billed (an
        invoice) or a credited item that can be invoiced again (a credit note). The one
        predicate the service, the API and the pages use (it queries)."""
        from invoicing.queries import correctable_details

        return self.status in (InvoiceStatus.CONFIRMED, InvoiceStatus.POSTED) and any(
            c.available for c in correctable_details(self)
        )


class InvoiceLine(models.Model):
    """One line per contract line with something to bill."""

    invoice = models.ForeignKey(
        Invoice, models.CASCADE, verbose_name=_("invoice"), related_name="lines"
    )
    contract_line = models.ForeignKey(
        ContractLine, models.PROTECT, verbose_name=_("contract line"), related_name="+"
    )
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "contract_line"], name="invoiceline_one_per_contract_line"
            ),
        ]
        triggers = [
            _no_children(table="invoiceline", column="line_id", parent="invoice_id"),
            no_truncate(name="invoiceline_no_truncate"),
            # The lines of a confirmed or posted invoice are sealed: none added, changed,
            # moved in or out, or deleted (issue 12: a posted line's text was changed).
            pgtrigger.Trigger(
                name="invoiceline_sealed",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                func="""
                IF TG_OP <> 'INSERT' THEN
                    IF (SELECT status FROM invoicing_invoice WHERE id = OLD.invoice_id)
                            IN ('confirmed', 'posted') THEN
                        RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = format(
                            'invoice line %s belongs to a confirmed or posted invoice and '
                            'cannot change', OLD.id);
                    END IF;
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                IF (SELECT status FROM invoicing_invoice WHERE id = NEW.invoice_id)
                        IN ('confirmed', 'posted') THEN
                    RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = format(
                        'invoice %s is confirmed or posted and takes no new lines',
                        NEW.invoice_id);
                END IF;
                RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.contract_line_id}"


class InvoiceDetail(models.Model):
    """One actual, milestone or manual fee on an invoice line, with its editable values.

    The links to actuals keep every hour traceable to the detail that billed or credited it:

    - a detail that bills names its unbilled ``actual`` (or ``milestone``); confirmation fills
      ``billed_actual`` (the billed actual) and ``given_away_actual`` (the non-chargeable
      remainder, when the quantity was lowered);
    - a credit-note detail ``credits`` a detail, with a negative quantity and amount (what is
      credited, not what remains); confirmation fills ``billed_actual`` (the reversal of what
      was billed), ``remaining_actual`` (the billed actual for what stays, if anything does)
      and ``returned_actual`` (the unbilled actual that brings the credited quantity back to
      the backlog). A detail can be credited again and again: what is billed now is the last
      of its billed and remaining actuals that is not reversed;
    - a detail of a corrected credit note ``reinvoices`` the credit-note detail whose credited
      item (its ``returned_actual`` or milestone) it bills again.
    """

    # The references an invoice run writes 100,000 at a time are checked per statement by the
    # ``detail_references_*`` triggers (see Meta), not row by row by foreign-key constraints.
    invoice = models.ForeignKey(
        Invoice,
        models.CASCADE,
        verbose_name=_("invoice"),
        related_name="details",
        db_index=False,
        db_constraint=False,
    )
    # Deleted with its invoice (a line never goes while details name it: a trigger refuses it).
    line = models.ForeignKey(
        InvoiceLine,
        models.DO_NOTHING,
        verbose_name=_("invoice line"),
        related_name="details",
        db_index=False,
        db_constraint=False,
    )
    transaction_class = models.CharField(
        _("transaction class"), max_length=10, choices=TransactionClass.choices
    )
    actual = models.ForeignKey(
        Actual,
        models.PROTECT,
        verbose_name=_("unbilled actual"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    milestone = models.ForeignKey(
        Milestone,
        models.PROTECT,
        verbose_name=_("milestone"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    credits = models.ForeignKey(
        "self",
        models.PROTECT,
        verbose_name=_("credits detail"),
        null=True,
        blank=True,
        related_name="credited_by",
        db_index=False,
        db_constraint=False,
    )
    reinvoices = models.ForeignKey(
        "self",
        models.PROTECT,
        verbose_name=_("re-invoices credit detail"),
        null=True,
        blank=True,
        related_name="reinvoiced_by",
        db_index=False,
        db_constraint=False,
    )
    #: The billed actual written on confirmation (a credit: the reversal of what was billed).
    billed_actual = models.ForeignKey(
        Actual,
        models.PROTECT,
        verbose_name=_("billed actual"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    given_away_actual = models.ForeignKey(
        Actual,
        models.PROTECT,
        verbose_name=_("non-chargeable remainder"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    remaining_actual = models.ForeignKey(
        Actual,
        models.PROTECT,
        verbose_name=_("billed actual for what stays"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    returned_actual = models.ForeignKey(
        Actual,
        models.PROTECT,
        verbose_name=_("returned to the backlog as"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    #: Set on a milestone detail once a credit note credited it in full (the milestone may be
    #: invoiced again).
    credited = models.BooleanField(_("credited"), default=False)
    transaction_date = models.DateField(_("date"))
    # Copies of the actual's (whose own foreign keys are checked), for display: neither indexed
    # nor checked again, because an invoice run inserts 100,000 details at a time.
    resource = models.ForeignKey(
        Resource,
        models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    role = models.ForeignKey(
        Role,
        models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    category = models.ForeignKey(
        ExpenseCategory,
        models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    original_quantity = quantity_field(_("original quantity"))
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
    sales_tax_group = models.ForeignKey(
        SalesTaxGroup,
        models.PROTECT,
        verbose_name=_("sales tax group"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    item_sales_tax_group = models.ForeignKey(
        ItemSalesTaxGroup,
        models.PROTECT,
        verbose_name=_("item sales tax group"),
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    external_description = models.CharField(_("text on the invoice"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("invoice detail")
        verbose_name_plural = _("invoice details")
        constraints = [
            models.UniqueConstraint(fields=["actual"], name="detail_actual_once"),
            models.UniqueConstraint(
                fields=["milestone"],
                condition=Q(milestone__isnull=False, credits__isnull=True, credited=False),
                name="detail_milestone_once",
            ),
            models.CheckConstraint(
                condition=Q(credits__isnull=True) | Q(reinvoices__isnull=True, actual__isnull=True),
                name="detail_credits_or_bills",
            ),
            models.CheckConstraint(
                condition=Q(transaction_class__in=TransactionClass.values),
                name="detail_class_valid",
            ),
            models.CheckConstraint(
                condition=Q(billing_type__in=BillingType.values), name="detail_billing_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(credits__isnull=False) | Q(quantity__gte=0),
                name="detail_quantity_not_negative",
                violation_error_message=_("A quantity may not be negative."),
            ),
        ]
        indexes = [
            # An invoice's details, and a line's (one index serves both).
            models.Index(fields=["invoice", "line"], name="detail_invoice_line_idx"),
            models.Index(
                fields=["credits"], name="detail_credits_idx", condition=Q(credits__isnull=False)
            ),
            models.Index(
                fields=["reinvoices"],
                name="detail_reinvoices_idx",
                condition=Q(reinvoices__isnull=False),
            ),
            models.Index(
                fields=["milestone"],
                name="detail_milestone_idx",
                condition=Q(milestone__isnull=False),
            ),
        ]
        triggers = [
            no_truncate(name="detail_no_truncate"),
            # What foreign keys would check, once per statement rather than once per row: the
            # invoice run inserts 100,000 details in one statement (see DETAIL_REFERENCES).
            pgtrigger.Trigger(
                name="detail_references_on_insert",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(new="new_rows"),
                func=DETAIL_REFERENCES_ON_INSERT,
            ),
            pgtrigger.Trigger(
                name="detail_references_on_update",
                when=pgtrigger.After,
                operation=pgtrigger.Update,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(new="new_rows"),
                func=DETAIL_REFERENCES_ON_UPDATE,
            ),
            # Details of a confirmed invoice are read-only but for the workflow flag
            # ``credited`` and the tax groups (the accountant's proposal edits); of a posted
            # one, but for ``credited`` (a credit note of it was confirmed). No detail moves
            # into a confirmed or posted invoice (nor is inserted into one: see
            # DETAIL_REFERENCES_ON_INSERT).
            pgtrigger.Trigger(
                name="detail_confirmed_read_only",
                when=pgtrigger.Before,
                operation=pgtrigger.Update | pgtrigger.Delete,
                func="""
                IF TG_OP = 'UPDATE' AND NEW.invoice_id IS DISTINCT FROM OLD.invoice_id
                   AND (SELECT status FROM invoicing_invoice WHERE id = NEW.invoice_id)
                        IN ('confirmed', 'posted') THEN
                    RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = format(
                        'invoice detail %s cannot move into a confirmed or posted invoice',
                        OLD.id);
                END IF;
                IF ((SELECT status FROM invoicing_invoice WHERE id = OLD.invoice_id)
                        IN ('confirmed', 'posted'))
                   AND (TG_OP = 'DELETE' OR (
                        (to_jsonb(NEW) - 'credited' - 'sales_tax_group_id'
                            - 'item_sales_tax_group_id')
                        IS DISTINCT FROM
                        (to_jsonb(OLD) - 'credited' - 'sales_tax_group_id'
                            - 'item_sales_tax_group_id')
                        OR (SELECT status FROM invoicing_invoice WHERE id = OLD.invoice_id)
                            = 'posted'
                           AND (NEW.sales_tax_group_id, NEW.item_sales_tax_group_id)
                               IS DISTINCT FROM
                               (OLD.sales_tax_group_id, OLD.item_sales_tax_group_id))) THEN
                    RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = format(
                        'invoice detail %s belongs to a confirmed or posted invoice and cannot '
                        'change', OLD.id);
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.quantity} × {self.unit_price}"

    @property
    def charged_amount(self) -> Decimal:
        """What the customer pays for this detail: complimentary and non-chargeable are 0."""
        return self.amount if self.billing_type == BillingType.CHARGEABLE else ZERO
