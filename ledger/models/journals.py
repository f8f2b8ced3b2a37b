"""The integration journal: actuals reviewed by the accountant before they reach the ledger.

A journal groups draft lines of one legal entity by day or month. The accountant may change a
line's sales tax group, item sales tax group and dimensions, then posts the journal: every draft
line posts in its own savepoint, a failing line stays in draft with its ``error_reason``.

The ledger knows nothing of actuals: a line names its source only by ``source_key`` (e.g.
``"actual:123"``), unique, so one actual can never be journalled (and so posted) twice; the
actuals app holds its own one-to-one link to the journal line.
"""

import pghistory
import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer, ItemSalesTaxGroup, LegalEntity, Project, SalesTaxGroup
from contracts.money import money_field
from contracts.seals import no_truncate

from .entries import LedgerEntry
from .setup import Dimension, DimensionValue


class JournalGrouping(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")


class JournalStatus(models.TextChoices):
    OPEN = "open", _("Open")
    POSTED = "posted", _("Posted")


class Journal(models.Model):
    legal_entity = models.ForeignKey(
        LegalEntity, models.PROTECT, verbose_name=_("legal entity"), related_name="+"
    )
    grouping = models.CharField(
        _("grouping"), max_length=10, choices=JournalGrouping.choices, default=JournalGrouping.MONTH
    )
    journal_date = models.DateField(
        _("date"), help_text=_("The day, or the first day of the month, the journal groups.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=JournalStatus.choices, default=JournalStatus.OPEN
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("journal")
        verbose_name_plural = _("journals")
        permissions = [
            ("import_journal", "Can import actuals into the integration journal"),
            ("post_journal", "Can post integration journals"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JournalStatus.values), name="journal_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(grouping__in=JournalGrouping.values), name="journal_grouping_valid"
            ),
            models.UniqueConstraint(
                fields=["legal_entity", "grouping", "journal_date"],
                condition=Q(status="open"),
                name="journal_one_open_per_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.legal_entity_id} {self.journal_date} ({self.get_grouping_display()})"


class JournalLineKind(models.TextChoices):
    TIME_COST = "time_cost", _("Time cost")
    EXPENSE_COST = "expense_cost", _("Expense cost")
    TM_UNBILLED_SALES = "tm_unbilled_sales", _("T&M unbilled sales")


class JournalLineStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    POSTED = "posted", _("Posted")


@pghistory.track()
class JournalLine(models.Model):
    """One actual in the journal. Amounts are positive for the actual's normal side and
    negative for a reversal (the posting then mirrors). ``accounting_amount`` empty: converted
    at posting with the rate on ``line_date``.

    A posted line whose profile does not accrue T&M revenue has no ``entry``: it is marked
    posted with nothing in the ledger (the revenue reaches the ledger when invoiced)."""

    journal = models.ForeignKey(
        Journal, models.PROTECT, verbose_name=_("journal"), related_name="lines"
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=JournalLineStatus.choices,
        default=JournalLineStatus.DRAFT,
    )
    error_reason = models.TextField(_("error"), blank=True)
    line_date = models.DateField(_("accounting date"))
    kind = models.CharField(_("kind"), max_length=20, choices=JournalLineKind.choices)
    project = models.ForeignKey(
        Project, models.PROTECT, verbose_name=_("project"), related_name="+"
    )
    customer = models.ForeignKey(
        Customer,
        models.PROTECT,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        related_name="+",
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount = money_field(_("amount"))
    accounting_amount = money_field(_("amount (accounting currency)"), null=True, blank=True)
    sales_tax_group = models.ForeignKey(
        SalesTaxGroup,
        models.PROTECT,
        verbose_name=_("sales tax group"),
        null=True,
        blank=True,
        related_name="+",
    )
    item_sales_tax_group = models.ForeignKey(
        ItemSalesTaxGroup,
        models.PROTECT,
        verbose_name=_("item sales tax group"),
        null=True,
        blank=True,
        related_name="+",
    )
    dimension_values = models.ManyToManyField(
        DimensionValue,
        through="JournalLineDimension",
        verbose_name=_("dimensions"),
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    source_key = models.CharField(
        _("source"), max_length=60, unique=True, help_text=_('e.g. "actual:123"')
    )
    entry = models.ForeignKey(
        LedgerEntry,
        models.PROTECT,
        verbose_name=_("ledger entry"),
        null=True,
        blank=True,
        related_name="journal_lines",
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JournalLineStatus.values), name="journalline_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=JournalLineKind.values), name="journalline_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="draft", entry__isnull=True, posted_at__isnull=True)
                | Q(status="posted", posted_at__isnull=False),
                name="journalline_posted_has_time",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="journalline_posted_readonly",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="posted"),
            ),
            no_truncate(name="journalline_no_truncate"),
        ]

    def __str__(self) -> str:
        return f"{self.source_key} {self.kind} {self.currency} {self.amount}"


class JournalLineDimension(models.Model):
    line = models.ForeignKey(JournalLine, models.CASCADE, related_name="dimension_rows")
    dimension = models.ForeignKey(Dimension, models.PROTECT, related_name="+")
    value = models.ForeignKey(DimensionValue, models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("journal line dimension")
        verbose_name_plural = _("journal line dimensions")
        constraints = [
            models.UniqueConstraint(
                fields=["line", "dimension"], name="journallinedimension_one_per_dimension"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.value_id}"
