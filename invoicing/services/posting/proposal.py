"""Invoice proposals: the dates and fields the accountant may still change."""

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from contracts.errors import NotAllowed
from contracts.fiscal_calendar import LATEST, calendar_errors
from contracts.models import ItemSalesTaxGroup, SalesTaxGroup
from contracts.numbers import show_date
from invoicing.models import (
    Invoice,
    InvoiceDetail,
    InvoiceLine,
    InvoiceStatus,
)
from invoicing.services.drafts import InvoiceStateError, lock_invoice
from ledger.models import (
    Period,
    PeriodStatus,
)
from ledger.queries import period_on
from ledger.services import (
    LedgerError,
    PeriodClosed,
    vat_code_for,
)

logger = logging.getLogger(__name__)

#: The purpose of the legal entity's invoice number series (credit notes included).
INVOICE_SERIES = "invoice"

Clock = Callable[[], dt.datetime]


class PostingBlocked(ValidationError):
    """The proposal cannot be posted yet; the messages, by field, say what to fix (HTTP 400)."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.reasons = {field: list(messages) for field, messages in errors.items()}
        super().__init__(self.reasons)

    def __str__(self) -> str:
        return " ".join(m for messages in self.reasons.values() for m in messages)


class PostingNotAllowed(NotAllowed):
    """This user may not post this invoice (HTTP 403): the confirmer never posts."""


# --- dates --------------------------------------------------------------------------------------


def effective_accounting_date(invoice: Invoice) -> dt.date:
    """The accounting date, defaulting to the invoice date."""
    return invoice.accounting_date or invoice.invoice_date


def effective_due_date(invoice: Invoice) -> dt.date:
    """The due date, defaulting to the invoice date + the customer's payment terms."""
    if invoice.due_date is not None:
        return invoice.due_date
    return invoice.invoice_date + dt.timedelta(days=invoice.customer.payment_terms_days)


def posting_period(invoice: Invoice) -> tuple[dt.date, Period]:
    """The accounting date the posting will use and its open period.

    A closed period (or no period) raises :class:`ledger.services.PeriodClosed` with the
    ledger's message, unless ``settings.POST_INTO_NEXT_OPEN_PERIOD``: then the date moves to
    the first day of the legal entity's next open period.
    """
    wanted = effective_accounting_date(invoice)
    period = period_on(legal_entity=invoice.legal_entity, on_date=wanted)
    if period is not None and period.status == PeriodStatus.OPEN:
        return wanted, period
    if getattr(settings, "POST_INTO_NEXT_OPEN_PERIOD", False):
        following = (
            Period.objects.select_related("fiscal_year")
            .filter(
                fiscal_year__legal_entity=invoice.legal_entity,
                status=PeriodStatus.OPEN,
                start_date__gt=wanted,
            )
            .order_by("start_date", "pk")
            .first()
        )
        if following is not None:
            return following.start_date, following
        raise PeriodClosed(
            _(
                "The accounting date %(date)s lies in a closed period and %(le)s has no open "
                "period after it: create the next fiscal year or reopen a period."
            )
            % {"date": show_date(wanted), "le": invoice.legal_entity.code},
            field="accounting_date",
        )
    if period is None:
        raise PeriodClosed(
            _(
                "No accounting period of %(le)s covers the accounting date %(date)s: create "
                "the fiscal year first, or choose another accounting date."
            )
            % {"le": invoice.legal_entity.code, "date": show_date(wanted)},
            field="accounting_date",
        )
    raise PeriodClosed(
        _(
            "The accounting date %(date)s lies in period %(n)s of %(year)s (%(start)s to "
            "%(end)s), which is closed: choose an accounting date in an open period, or "
            "reopen the period."
        )
        % {
            "date": show_date(wanted),
            "n": period.number,
            "year": period.fiscal_year.year,
            "start": show_date(period.start_date),
            "end": show_date(period.end_date),
        },
        field="accounting_date",
    )


# --- the proposal -------------------------------------------------------------------------------


def update_proposal(
    *,
    invoice: Invoice,
    by: Any,
    version: int | None,
    invoice_date: dt.date | None = None,
    accounting_date: dt.date | None = None,
    due_date: dt.date | None = None,
    description: str | None = None,
    customer_reference: str | None = None,
    line_tax_groups: Mapping[int, tuple[SalesTaxGroup | None, ItemSalesTaxGroup | None]]
    | None = None,
) -> Invoice:
    """Change what the accountant may still change on a confirmed invoice (see the module).

    ``None`` leaves a value as it is. A line's tax groups are set on every detail of the line;
    a pair that selects no VAT code is refused (400, naming ``lines[<id>]``), as is a due date
    before the invoice date, an invoice or accounting date outside the fiscal calendar
    (:mod:`contracts.fiscal_calendar`) and a due date after :data:`contracts.fiscal_calendar.LATEST` (a due
    date may lie past the calendar's last day: payment terms run on into the next year). Anything but a confirmed invoice is 409; so is a stale
    ``version``. Nothing changes when anything is refused.
    """
    with transaction.atomic(durable=True):
        locked = lock_invoice(invoice_id=invoice.pk, version=version)
        if locked.status != InvoiceStatus.CONFIRMED:
            raise InvoiceStateError(
                _(
                    "Invoice %(ref)s is %(status)s: only a confirmed invoice (an invoice "
                    "proposal) can be updated before posting."
                )
                % {"ref": locked, "status": locked.get_status_display()}
            )
        errors = calendar_errors(
            {
                "invoice_date": (invoice_date, _("invoice date")),
                "accounting_date": (accounting_date, _("accounting date")),
            },
            legal_entity=locked.legal_entity,
        )
        if due_date is not None and due_date > LATEST:
            errors["due_date"] = [
                _("The due date may be at most %(last)s.") % {"last": show_date(LATEST)}
            ]
        if errors:
            raise ValidationError(errors)
        if invoice_date is not None:
            locked.invoice_date = invoice_date
        if accounting_date is not None:
            locked.accounting_date = accounting_date
        if due_date is not None:
            locked.due_date = due_date
        if description is not None:
            locked.description = description.strip()
        if customer_reference is not None:
            locked.customer_reference = customer_reference.strip()
        due = effective_due_date(locked)
        if due < locked.invoice_date:
            errors["due_date"] = [
                _(
                    "The due date %(due)s lies before the invoice date %(date)s: choose a due "
                    "date on or after the invoice date."
                )
                % {"due": show_date(due), "date": show_date(locked.invoice_date)}
            ]
        lines = {
            line.pk: line
            for line in InvoiceLine.objects.filter(
                invoice=locked, pk__in=list(line_tax_groups or {})
            )
        }
        for line_id, (sales_group, item_group) in (line_tax_groups or {}).items():
            key = f"lines[{line_id}]"
            if line_id not in lines:
                errors[key] = [_("This line is not on invoice %(ref)s.") % {"ref": locked}]
                continue
            try:
                vat_code_for(sales_tax_group=sales_group, item_sales_tax_group=item_group)
            except LedgerError as error:
                errors[key] = [error.reason]
        if errors:
            raise ValidationError(errors)
        for line_id, (sales_group, item_group) in (line_tax_groups or {}).items():
            InvoiceDetail.objects.filter(line_id=line_id).update(
                sales_tax_group=sales_group, item_sales_tax_group=item_group
            )
        locked.version += 1
        locked.save(
            update_fields=[
                "invoice_date",
                "accounting_date",
                "due_date",
                "description",
                "customer_reference",
                "version",
            ]
        )
        logger.info("invoice proposal %s updated by %s", locked.pk, getattr(by, "pk", None))
        return locked
