"""What a billing event moved into or out of WIP for one unbilled actual (DOMAIN.md §6).

The integration journal accrues an unbilled actual's value in WIP (its journal line names the
actual by ``source_key``). Every other move of that value is a posting the billing lifecycle
makes, and each writes one :class:`WipMovement` per actual in the same transaction as its
ledger entry, with the accounts it used:

- *invoiced*: the invoice that bills the actual is posted (accrual reversed: debit accrued
  revenue, credit WIP);
- *written off*: the item is written off (debit write-off, credit WIP);
- *write-off reversed*: the write-off is taken back (debit WIP, credit write-off);
- *accrued*: a credit note brings credited hours back to the backlog as a new actual and its
  posting accrues them at once (debit WIP, credit accrued revenue).

So the project subledger of unbilled sales (journal accruals + movements, per project) equals
the WIP account by construction, and an item's WIP balance is known to the cent: a write-off or
an invoice clears exactly what was booked, at the rate it was booked. Rows are never changed or
deleted (a trigger).
"""

import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contracts.money import money_field
from contracts.seals import no_truncate
from ledger.models import Account, LedgerEntry

from .actual import Actual


class WipMovementKind(models.TextChoices):
    ACCRUED = "accrued", _("Accrued by a credit note")
    INVOICED = "invoiced", _("Invoiced")
    WRITTEN_OFF = "written_off", _("Written off")
    WRITE_OFF_REVERSED = "write_off_reversed", _("Write-off reversed")


class WipMovement(models.Model):
    actual = models.ForeignKey(
        Actual, models.PROTECT, verbose_name=_("actual"), related_name="wip_movements"
    )
    entry = models.ForeignKey(
        LedgerEntry, models.PROTECT, verbose_name=_("ledger entry"), related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=WipMovementKind.choices)
    currency = models.CharField(_("currency"), max_length=3)
    #: Signed, WIP's side: positive into WIP (a debit of WIP), negative out of it.
    amount = money_field(_("amount"))
    accounting_amount = money_field(_("accounting amount"))
    wip_account = models.ForeignKey(
        Account, models.PROTECT, verbose_name=_("WIP account"), related_name="+", db_index=False
    )
    #: The other side: accrued revenue (invoiced, accrued) or write-off (written off, reversed).
    offset_account = models.ForeignKey(
        Account, models.PROTECT, verbose_name=_("offset account"), related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("WIP movement")
        verbose_name_plural = _("WIP movements")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=WipMovementKind.values), name="wip_movement_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[WipMovementKind.ACCRUED, WipMovementKind.WRITE_OFF_REVERSED])
                & Q(amount__gte=0, accounting_amount__gte=0)
                | Q(kind__in=[WipMovementKind.INVOICED, WipMovementKind.WRITTEN_OFF])
                & Q(amount__lte=0, accounting_amount__lte=0),
                name="wip_movement_sign_matches_kind",
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="wip_movement_append_only", operation=pgtrigger.Update),
            pgtrigger.Protect(name="wip_movement_no_delete", operation=pgtrigger.Delete),
            no_truncate(name="wip_movement_no_truncate"),
        ]

    def __str__(self) -> str:
        return f"{self.actual_id} {self.get_kind_display()} {self.amount} {self.currency}"
