"""Posted ledger entries, their lines and the customer subledger.

Entries are append-only and always posted: there is no draft entry (drafts live in the
integration journal or in the higher apps' documents). PostgreSQL itself keeps the ledger
honest:

- a deferred constraint trigger refuses at commit an entry whose lines do not sum to zero in
  accounting currency (debits = credits), or that has no lines;
- an entry or line dated in a closed period, or in no period at all, is refused on insert (the
  period row is read ``FOR SHARE``, so a concurrent close waits for the posting to finish);
- a line on an account of another legal entity is refused;
- UPDATE and DELETE of entries, lines and their dimensions are refused (corrections are
  reversing entries).
"""

from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer, LegalEntity, Project
from contracts.money import money_field
from contracts.seals import no_truncate

from .setup import Account, Dimension, DimensionValue, Period

_PERIOD_CHECK = """
    SELECT p.id, p.status INTO p_id, p_status
      FROM ledger_period p JOIN ledger_fiscalyear y ON y.id = p.fiscal_year_id
     WHERE y.legal_entity_id = le_id AND d BETWEEN p.start_date AND p.end_date
       FOR SHARE OF p;
    IF p_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = format(
            'ledger entry dated %s: no accounting period of legal entity %s covers this date',
            d, le_id);
    END IF;
    IF p_status <> 'open' THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = format(
            'ledger entry dated %s: period %s is closed', d, p_id);
    END IF;
"""


class LedgerEntry(models.Model):
    legal_entity = models.ForeignKey(
        LegalEntity, models.PROTECT, verbose_name=_("legal entity"), related_name="+"
    )
    voucher_number = models.CharField(_("voucher number"), max_length=40)
    entry_date = models.DateField(_("accounting date"))
    period = models.ForeignKey(
        Period, models.PROTECT, verbose_name=_("period"), related_name="entries"
    )
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    posted_at = models.DateTimeField(_("posted at"))
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        verbose_name=_("posted by"),
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for postings made by the system (e.g. a nightly run)."),
    )
    reverses = models.OneToOneField(
        "self",
        models.PROTECT,
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        related_name="reversed_by",
    )

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "voucher_number"], name="ledgerentry_voucher_unique"
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="ledgerentry_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
            no_truncate(name="ledgerentry_no_truncate"),
            pgtrigger.Trigger(
                name="ledgerentry_open_period",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert,
                func=f"""
                DECLARE
                    le_id bigint := NEW.legal_entity_id; d date := NEW.entry_date;
                    p_id bigint; p_status text;
                BEGIN
                    {_PERIOD_CHECK}
                    IF NEW.period_id IS DISTINCT FROM p_id THEN
                        RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = format(
                            'ledger entry dated %s names period %s but the date lies in period %s',
                            d, NEW.period_id, p_id);
                    END IF;
                    RETURN NEW;
                END;
                """,
            ),
            pgtrigger.Trigger(
                name="ledgerentry_has_balanced_lines",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                timing=pgtrigger.Deferred,
                func="""
                DECLARE n integer; total numeric;
                BEGIN
                    SELECT count(*), coalesce(sum(accounting_amount), 0) INTO n, total
                      FROM ledger_ledgerentryline WHERE entry_id = NEW.id;
                    IF n = 0 OR total <> 0 THEN
                        RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = format(
                            'ledger entry %s does not balance: %s lines sum to %s in accounting '
                            'currency; debits must equal credits', NEW.id, n, total);
                    END IF;
                    RETURN NULL;
                END;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voucher_number} {self.entry_date}"


class LedgerEntryLine(models.Model):
    """One line of an entry. Amounts are signed: positive is a debit, negative a credit, in
    both the transaction currency (``amount``) and the accounting currency
    (``accounting_amount``)."""

    entry = models.ForeignKey(
        LedgerEntry, models.PROTECT, verbose_name=_("entry"), related_name="lines"
    )
    line_number = models.PositiveSmallIntegerField(_("line"))
    account = models.ForeignKey(
        Account, models.PROTECT, verbose_name=_("account"), related_name="entry_lines"
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount = money_field(_("amount (transaction currency)"))
    accounting_amount = money_field(_("amount (accounting currency)"))
    exchange_rate = models.DecimalField(_("exchange rate"), max_digits=20, decimal_places=8)
    project = models.ForeignKey(
        Project, models.PROTECT, verbose_name=_("project"), null=True, blank=True, related_name="+"
    )
    customer = models.ForeignKey(
        Customer,
        models.PROTECT,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    dimension_values = models.ManyToManyField(
        DimensionValue,
        through="LedgerEntryLineDimension",
        verbose_name=_("dimensions"),
        related_name="+",
    )

    class Meta:
        verbose_name = _("ledger entry line")
        verbose_name_plural = _("ledger entry lines")
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "line_number"], name="ledgerentryline_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0, accounting_amount__gte=0)
                | Q(amount__lte=0, accounting_amount__lte=0),
                name="ledgerentryline_same_side",
                violation_error_message=_(
                    "The transaction and accounting amounts of a line must be on the same side."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(amount=0, accounting_amount=0), name="ledgerentryline_not_zero"
            ),
            models.CheckConstraint(
                condition=Q(exchange_rate__gt=0), name="ledgerentryline_rate_positive"
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="ledgerentryline_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
            no_truncate(name="ledgerentryline_no_truncate"),
            pgtrigger.Trigger(
                name="ledgerentryline_open_period_same_entity",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert,
                func=f"""
                DECLARE
                    le_id bigint; d date; p_id bigint; p_status text; account_le bigint;
                BEGIN
                    SELECT legal_entity_id, entry_date INTO le_id, d
                      FROM ledger_ledgerentry WHERE id = NEW.entry_id;
                    {_PERIOD_CHECK}
                    SELECT legal_entity_id INTO account_le FROM ledger_account WHERE id = NEW.account_id;
                    IF account_le IS DISTINCT FROM le_id THEN
                        RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = format(
                            'ledger entry %s: account %s belongs to another legal entity',
                            NEW.entry_id, NEW.account_id);
                    END IF;
                    RETURN NEW;
                END;
                """,
            ),
            pgtrigger.Trigger(
                name="ledgerentryline_entry_balances",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                timing=pgtrigger.Deferred,
                func="""
                DECLARE total numeric;
                BEGIN
                    SELECT coalesce(sum(accounting_amount), 0) INTO total
                      FROM ledger_ledgerentryline WHERE entry_id = NEW.entry_id;
                    IF total <> 0 THEN
                        RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = format(
                            'ledger entry %s does not balance: its lines sum to %s in accounting '
                            'currency; debits must equal credits', NEW.entry_id, total);
                    END IF;
                    RETURN NULL;
                END;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}/{self.line_number} {self.account_id} {self.accounting_amount}"

    @property
    def debit(self) -> Decimal | None:
        return self.accounting_amount if self.accounting_amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        return -self.accounting_amount if self.accounting_amount < 0 else None


class LedgerEntryLineDimension(models.Model):
    """A dimension value on a ledger line (one per dimension)."""

    line = models.ForeignKey(LedgerEntryLine, models.PROTECT, related_name="dimension_rows")
    dimension = models.ForeignKey(Dimension, models.PROTECT, related_name="+")
    value = models.ForeignKey(DimensionValue, models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("ledger line dimension")
        verbose_name_plural = _("ledger line dimensions")
        constraints = [
            models.UniqueConstraint(
                fields=["line", "dimension"], name="ledgerentrylinedimension_one_per_dimension"
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="ledgerentrylinedimension_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
            no_truncate(name="ledgerentrylinedimension_no_truncate"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.value_id}"


#: The columns of an open item that never change once it is recorded.
_OPEN_ITEM_FIXED = (
    "id",
    "legal_entity_id",
    "customer_id",
    "entry_id",
    "document_number",
    "document_date",
    "due_date",
    "currency",
    "amount",
    "accounting_amount",
    "settles_id",
)

#: At commit, what is no longer open of an item is covered by the items that settle it (and,
#: for an item that settles another, by its own amount). Until payments get allocations of their
#: own (issue 15), this is the bound PostgreSQL can prove: an open amount set to zero without a
#: payment or credit behind it is refused.
_SETTLED_BY_ITEMS = """
DECLARE item record; covered numeric;
BEGIN
    SELECT * INTO item FROM ledger_customertransaction WHERE id = NEW.id;
    SELECT coalesce(sum(abs(s.amount)), 0) INTO covered
      FROM ledger_customertransaction s WHERE s.settles_id = item.id;
    IF item.settles_id IS NOT NULL THEN
        covered := covered + abs(item.amount);
    END IF;
    IF abs(item.amount - item.open_amount) > covered THEN
        RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = format(
            'open item %s: %s of it is no longer open but items settling it cover only %s',
            item.id, item.amount - item.open_amount, covered);
    END IF;
    RETURN NULL;
END;
"""


@pghistory.track()
class CustomerTransaction(models.Model):
    """An open item of the customer subledger (an invoice, a credit note, a payment).

    ``amount`` is the gross amount, signed (an invoice positive, a credit note or payment
    negative); ``open_amount`` is what is still open of it. ``settles`` names the item this one
    settles. The open items of a legal entity add up to its receivables control account.
    """

    legal_entity = models.ForeignKey(
        LegalEntity, models.PROTECT, verbose_name=_("legal entity"), related_name="+"
    )
    customer = models.ForeignKey(
        Customer, models.PROTECT, verbose_name=_("customer"), related_name="ledger_transactions"
    )
    entry = models.ForeignKey(
        LedgerEntry, models.PROTECT, verbose_name=_("entry"), related_name="customer_transactions"
    )
    document_number = models.CharField(_("document number"), max_length=40)
    document_date = models.DateField(_("document date"))
    due_date = models.DateField(_("due date"))
    currency = models.CharField(_("currency"), max_length=3)
    amount = money_field(_("amount (gross)"))
    accounting_amount = money_field(_("amount (accounting currency)"))
    open_amount = money_field(_("open amount"))
    settles = models.ForeignKey(
        "self",
        models.PROTECT,
        verbose_name=_("settles"),
        null=True,
        blank=True,
        related_name="settled_by",
    )

    class Meta:
        verbose_name = _("customer transaction")
        verbose_name_plural = _("customer transactions")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0, open_amount__gte=0, open_amount__lte=F("amount"))
                | Q(amount__lt=0, open_amount__lte=0, open_amount__gte=F("amount")),
                name="customertransaction_open_within_amount",
                violation_error_message=_(
                    "The open amount lies between 0 and the amount, on the same side."
                ),
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("document_date")),
                name="customertransaction_due_after_document",
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="customertransaction_no_delete", operation=pgtrigger.Delete),
            no_truncate(name="customertransaction_no_truncate"),
            pgtrigger.Trigger(
                name="customertransaction_only_open_amount_moves",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    " OR ".join(f'OLD."{c}" IS DISTINCT FROM NEW."{c}"' for c in _OPEN_ITEM_FIXED)
                    + ' OR abs(NEW."open_amount") > abs(OLD."open_amount")'
                ),
                func="""
                RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = format(
                    'open item %s: only a settlement moves it, and only its open amount '
                    'towards zero', OLD.id);
                """,
            ),
            pgtrigger.Trigger(
                name="customertransaction_settled_by_items",
                when=pgtrigger.After,
                operation=pgtrigger.Update,
                timing=pgtrigger.Deferred,
                condition=pgtrigger.Condition(
                    'OLD."open_amount" IS DISTINCT FROM NEW."open_amount"'
                ),
                func=_SETTLED_BY_ITEMS,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_number} {self.currency} {self.amount}"
