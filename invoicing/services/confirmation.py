"""Confirming an invoice, and correcting a confirmed one (DOMAIN.md §5).

**Confirm** (one way; django-fsm-2 ``confirm``). The billing service writes the actuals
(:func:`actuals.services.billing.invoice` and :func:`~actuals.services.billing.credit`); this
module says, per detail, what the invoice billed or credited, and keeps the links:

- T&M: the unbilled actual is reversed and *invoiced*; a billed actual is written for the
  quantity, price, amount and billing type on the invoice, and a lowered quantity's remainder
  as a non-chargeable billed actual (worked example 4);
- milestones: a billed actual of the milestone amount; the milestone becomes *invoiced*;
- manual fees: a billed actual of class *fee*.

Milestones and fees have no project of their own: their billed actual is booked on the first
project (lowest id) the contract line covers.

**Correct an invoice**: :func:`create_correction` makes a credit-note draft for all or chosen
details, stating per detail the quantity that **stays billed** (0 = credit all; milestones are
credited in full only; with no choice, everything still billed is credited in full). A detail
can be corrected again and again until nothing of it is billed: each credit works on what is
billed *now* (:func:`invoicing.queries.billed_now`). Each credit detail carries minus the
credited quantity and the amount ``round(stays × price) − billed amount``; one open credit note
per detail at a time. On confirmation the billed actual is reversed, a billed actual for what
stays is written, and the credited quantity returns to the backlog as a new chargeable unbilled
actual, *not ready* (the manager decides when to bill it again); a credited milestone is *ready*
again. Fees credited do not return to the backlog (they never came from it).

**Correct a credit note**: a new invoice that ``corrects`` it and re-invoices, per chosen credit
detail, what it credited: the hours it brought back to the backlog (claimed from there, so they
are billed once), the milestone it made ready again, or the fee it credited. It is an ordinary
draft from then on (edit, confirm, post).

**Dates.** A draft dated outside the fiscal calendar (:mod:`contracts.fiscal_calendar`; one made before
the calendar was enforced) is not confirmed: 400 naming ``invoice_date``, so the manager changes
the date first. A correction's invoice date is held to the same calendar.

Whether a document can be corrected at all is one predicate, :meth:`Invoice.can_be_corrected`
(:func:`invoicing.queries.correctable_details`), used here, by the API and by the pages.
"""

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from actuals.services import billing
from contracts.fiscal_calendar import check_in_calendar
from contracts.models import ContractLineScope
from contracts.money import round_money
from invoicing.models import Invoice, InvoiceDetail, InvoiceLine, InvoiceStatus
from invoicing.queries import Correctable, billed_now, correctable_details

from .drafts import InvoiceStateError, lock_invoice


def _line_projects(invoice: Invoice) -> dict[int, int]:
    """contract line id → the first project it covers (for milestone and fee actuals)."""
    projects: dict[int, int] = {}
    for line_id, project_id in (
        ContractLineScope.objects.filter(line__contract=invoice.contract_id)
        .order_by("line_id", "project_id")
        .values_list("line_id", "project_id")
    ):
        projects.setdefault(line_id, project_id)
    return projects


def _confirm_regular(invoice: Invoice, details: list[InvoiceDetail], at: dt.datetime) -> None:
    projects = _line_projects(invoice)
    items = []
    for detail in details:
        common: dict[str, Any] = {
            "key": detail.pk,
            "quantity": detail.quantity,
            "unit_price": detail.unit_price,
            "amount": detail.amount,
            "billing_type": detail.billing_type,
        }
        if detail.actual is not None:
            items.append(billing.InvoicedItem(actual=detail.actual, **common))
            continue
        source = {
            "transaction_class": detail.transaction_class,
            "project_id": projects[detail.line.contract_line_id],
            "contract_id": invoice.contract_id,
            "contract_line_id": detail.line.contract_line_id,
            "customer_id": invoice.customer_id,
            "transaction_date": detail.transaction_date,
            "currency": detail.currency,
            "description": detail.description,
            "external_description": detail.external_description,
        }
        items.append(
            billing.InvoicedItem(milestone_id=detail.milestone_id, source=source, **common)
        )
    written = billing.invoice(items=items, at=at)
    for detail in details:
        detail.billed_actual = written[detail.pk].billed
        detail.given_away_actual = written[detail.pk].given_away
    InvoiceDetail.objects.bulk_update(details, ["billed_actual", "given_away_actual"])


def _confirm_credit(invoice: Invoice, details: list[InvoiceDetail], at: dt.datetime) -> None:
    originals = {
        d.pk: d
        for d in InvoiceDetail.objects.select_related("billed_actual").filter(
            pk__in=[d.credits_id for d in details]
        )
    }
    now = billed_now(list(originals.values()))
    items = []
    for detail in details:
        if detail.credits_id is None:  # update_detail and add_fee keep this from happening
            raise InvoiceStateError(
                _("Credit note %(ref)s holds a detail that credits nothing.") % {"ref": invoice}
            )
        billed = now[detail.credits_id]
        if billed is None or billed.quantity != detail.original_quantity:
            raise InvoiceStateError(
                _(
                    "Credit note %(ref)s credits what was billed when it was made, and that "
                    "changed since (another credit note was confirmed): delete this draft and "
                    "correct the invoice again."
                )
                % {"ref": invoice}
            )
        original = originals[detail.credits_id]
        items.append(
            billing.CreditedItem(
                key=detail.pk,
                billed=billed,
                stays=billed.quantity + detail.quantity,
                returns=original.actual_id is not None,
                milestone_id=original.milestone_id,
            )
        )
    written = billing.credit(items=items, at=at)
    for detail in details:
        detail.billed_actual = written[detail.pk].reversal
        detail.remaining_actual = written[detail.pk].remaining
        detail.returned_actual = written[detail.pk].returned
    InvoiceDetail.objects.bulk_update(
        details, ["billed_actual", "remaining_actual", "returned_actual"]
    )
    InvoiceDetail.objects.filter(
        pk__in=[d.credits_id for d in details], milestone__isnull=False
    ).update(credited=True)


def confirm_invoice(
    *, invoice: Invoice, by: Any, at: dt.datetime, version: int | None = None
) -> Invoice:
    """Confirm a draft or in-review invoice (see the module). One way: it becomes read-only."""
    with transaction.atomic(durable=True):
        locked = lock_invoice(invoice_id=invoice.pk, version=version)
        if not can_proceed(locked.confirm):
            raise InvoiceStateError(
                _(
                    "Invoice %(ref)s is %(status)s; only a draft or in-review invoice can be confirmed."
                )
                % {"ref": locked, "status": locked.get_status_display()}
            )
        check_in_calendar(
            locked.invoice_date,
            field="invoice_date",
            label=_("invoice date"),
            legal_entity=locked.legal_entity,
        )
        details = list(
            InvoiceDetail.objects.select_related("line", "actual")
            .filter(invoice=locked)
            .order_by("pk")
        )
        if not details:
            raise InvoiceStateError(
                _("Invoice %(ref)s has nothing on it: add items or delete the draft.")
                % {"ref": locked}
            )
        if locked.is_credit_note:
            # The invoice it corrects is locked too: two credit notes of one detail confirm
            # one after the other, and the second sees what the first credited.
            lock_invoice(invoice_id=locked.corrects_id)  # type: ignore[arg-type]
            _confirm_credit(locked, details, at)
        else:
            _confirm_regular(locked, details, at)
        locked.confirm(by=by, at=at)
        locked.save()
        return locked


def _refuse_unavailable(
    wanted: Mapping[int, Decimal], rows: dict[int, Correctable], original: Invoice
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for pk in wanted:
        row = rows.get(pk)
        if row is None:
            errors[f"details[{pk}]"] = [
                _("This detail is not on invoice %(ref)s.") % {"ref": original}
            ]
        elif row.blocked:
            errors[f"details[{pk}]"] = [row.blocked]
    return errors


def create_correction(
    *,
    invoice: Invoice,
    remaining: Mapping[int, Decimal] | None,
    invoice_date: dt.date,
    by: Any,
    now: dt.datetime,
) -> Invoice:
    """A correction of ``invoice`` (see the module): of an invoice, a credit-note draft where
    ``remaining`` maps detail id → the quantity that stays billed; of a credit note, an invoice
    draft that re-invoices the chosen credit details in full (``remaining`` maps them to 0).
    ``None``: everything that can be corrected, in full."""
    check_in_calendar(
        invoice_date,
        field="invoice_date",
        label=_("invoice date"),
        legal_entity=invoice.legal_entity,
    )
    with transaction.atomic(durable=True):
        original = lock_invoice(invoice_id=invoice.pk)
        if original.status not in (InvoiceStatus.CONFIRMED, InvoiceStatus.POSTED):
            raise InvoiceStateError(
                _("Only a confirmed or posted invoice can be corrected; %(ref)s is %(status)s.")
                % {"ref": original, "status": original.get_status_display()}
            )
        rows = {c.detail.pk: c for c in correctable_details(original)}
        wanted = (
            dict(remaining)
            if remaining is not None
            else {pk: Decimal(0) for pk, c in rows.items() if c.available}
        )
        if not wanted:
            raise ValidationError(
                {
                    "details": [
                        _("Nothing on %(ref)s can be corrected any more.") % {"ref": original}
                    ]
                }
            )
        errors = _refuse_unavailable(wanted, rows, original)
        if original.is_credit_note:
            errors.update(
                {
                    f"details[{pk}]": [
                        _(
                            "A credit note is corrected in full per detail (0 stays credited): "
                            "lower the quantity on the new draft to invoice less."
                        )
                    ]
                    for pk, stays in wanted.items()
                    if stays != 0 and f"details[{pk}]" not in errors
                }
            )
        else:
            errors.update(_quantity_errors(wanted, rows))
        if errors:
            raise ValidationError(errors)
        if original.is_credit_note:
            return _reinvoice(original, [rows[pk] for pk in sorted(wanted)], invoice_date, by, now)
        return _credit_note(original, wanted, rows, invoice_date, by, now)


def _quantity_errors(
    wanted: Mapping[int, Decimal], rows: dict[int, Correctable]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for pk, stays in wanted.items():
        key, row = f"details[{pk}]", rows.get(pk)
        if row is None or row.blocked:
            continue
        if stays < 0:
            errors[key] = [_("The quantity that stays billed may not be negative.")]
        elif stays > row.quantity:
            errors[key] = [
                _("Only %(q)s is billed: you cannot correct more than is billed.")
                % {"q": row.quantity}
            ]
        elif row.detail.milestone_id and stays != 0:
            errors[key] = [_("A milestone is credited in full: the quantity staying is 0.")]
        elif stays == row.quantity:
            errors[key] = [_("Nothing to correct: the whole quantity stays billed.")]
    return errors


def _new_document(
    original: Invoice, *, credit_note: bool, invoice_date: dt.date, by: Any, now: dt.datetime
) -> Invoice:
    description = (
        _("Credit note for invoice %(ref)s")
        if credit_note
        else _("Invoiced again after credit note %(ref)s")
    )
    return Invoice.objects.create(
        contract_id=original.contract_id,
        contract_customer_id=original.contract_customer_id,
        customer_id=original.customer_id,
        legal_entity_id=original.legal_entity_id,
        currency=original.currency,
        invoice_date=invoice_date,
        customer_reference=original.customer_reference,
        description=description % {"ref": original},
        corrects=original,
        is_credit_note=credit_note,
        created_at=now,
        created_by=by,
    )


def _line_for(
    document: Invoice, detail: InvoiceDetail, lines: dict[int, InvoiceLine]
) -> InvoiceLine:
    if detail.line.contract_line_id not in lines:
        lines[detail.line.contract_line_id] = InvoiceLine.objects.create(
            invoice=document,
            contract_line_id=detail.line.contract_line_id,
            description=detail.line.description,
        )
    return lines[detail.line.contract_line_id]


def _copied(detail: InvoiceDetail) -> dict[str, Any]:
    """What a correction's detail shows as the detail it corrects does."""
    return {
        "transaction_class": detail.transaction_class,
        "transaction_date": detail.transaction_date,
        "resource_id": detail.resource_id,
        "role_id": detail.role_id,
        "category_id": detail.category_id,
        "currency": detail.currency,
        "billing_type": detail.billing_type,
        "sales_tax_group_id": detail.sales_tax_group_id,
        "item_sales_tax_group_id": detail.item_sales_tax_group_id,
        "description": detail.description,
        "external_description": detail.external_description,
    }


def _credit_note(
    original: Invoice,
    wanted: Mapping[int, Decimal],
    rows: dict[int, Correctable],
    invoice_date: dt.date,
    by: Any,
    now: dt.datetime,
) -> Invoice:
    credit = _new_document(original, credit_note=True, invoice_date=invoice_date, by=by, now=now)
    lines: dict[int, InvoiceLine] = {}
    new_details = []
    for pk, stays in sorted(wanted.items()):
        row = rows[pk]
        detail, billed = row.detail, row.billed
        assert billed is not None  # a detail that can be credited is billed
        new_details.append(
            InvoiceDetail(
                invoice=credit,
                line=_line_for(credit, detail, lines),
                credits=detail,
                milestone_id=detail.milestone_id,
                original_quantity=billed.quantity,
                quantity=-(billed.quantity - stays),
                unit_price=billed.unit_price,
                amount=round_money(stays * billed.unit_price, billed.currency) - billed.amount,
                **_copied(detail),
            )
        )
    InvoiceDetail.objects.bulk_create(new_details)
    return credit


def _reinvoice(
    credit_note: Invoice, rows: list[Correctable], invoice_date: dt.date, by: Any, now: dt.datetime
) -> Invoice:
    document = _new_document(
        credit_note, credit_note=False, invoice_date=invoice_date, by=by, now=now
    )
    lines: dict[int, InvoiceLine] = {}
    new_details = []
    for row in rows:
        detail = row.detail
        returned = detail.returned_actual
        quantity = returned.quantity if returned is not None else row.quantity
        price = returned.unit_price if returned is not None else detail.unit_price
        amount = (
            returned.amount
            if returned is not None
            else -detail.amount
            if detail.milestone_id
            else round_money(quantity * price, detail.currency)
        )
        new_details.append(
            InvoiceDetail(
                invoice=document,
                line=_line_for(document, detail, lines),
                reinvoices=detail,
                actual=returned,
                milestone_id=detail.milestone_id,
                original_quantity=quantity,
                quantity=quantity,
                unit_price=price,
                amount=amount,
                **_copied(detail),
            )
        )
    billing.claim(
        actual_ids=[d.actual.pk for d in new_details if d.actual is not None],
        milestone_ids=[d.milestone_id for d in new_details if d.milestone_id],
        at=now,
    )
    InvoiceDetail.objects.bulk_create(new_details)
    return document
