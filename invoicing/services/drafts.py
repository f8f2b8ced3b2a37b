"""Creating and editing drafts: create invoice, invoice the selection, edit, remove, delete.

Edits are refused on confirmed and posted invoices (:class:`InvoiceStateError`, HTTP 409) and
when the caller's ``version`` is older than the invoice's: two managers editing one draft, the
second save is refused with a message that says so (:class:`StaleInvoice`, HTTP 409), never
silently lost. Removing a detail or deleting a draft puts its actuals and milestones back to
*ready*.

Every invoice date (and a contract's *up to* date) falls within the fiscal calendar
(:mod:`contracts.fiscal_calendar`) of the contract's legal entity, or of every legal entity together
for a selection (which may span several): refused with a 400 naming the field otherwise, so an
invoice dated 9999-12-31 (whose due date overflowed in its PDF, proposal and posting) cannot
be made.
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from actuals.models import BillingType
from actuals.services import billing
from actuals.services.billing import ClaimScope
from contracts.errors import StateConflict
from contracts.fiscal_calendar import calendar_errors, check_in_calendar
from contracts.models import Contract, ContractLine
from contracts.money import AMOUNT_LIMIT, round_money
from invoicing.models import Invoice, InvoiceDetail, InvoiceLine

from .creation import BillingResult, bill_ready_items, fixed_item_group_id


class InvoiceStateError(StateConflict):
    """The invoice's status does not allow the action (HTTP 409)."""


class StaleInvoice(InvoiceStateError):
    """Someone else saved the invoice since the caller loaded it (HTTP 409)."""


def lock_invoice(*, invoice_id: int, version: int | None = None) -> Invoice:
    """Lock an invoice row for a change; check the caller saw the latest version."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if version is not None and version != invoice.version:
        raise StaleInvoice(
            _(
                "Invoice %(ref)s was changed by someone else after you opened it. Reload it to "
                "see their changes, then make yours again."
            )
            % {"ref": invoice.reference}
        )
    return invoice


def _require_open(invoice: Invoice) -> None:
    if not invoice.is_editable:
        raise InvoiceStateError(
            _("Invoice %(ref)s is %(status)s and can no longer be changed.")
            % {"ref": invoice, "status": invoice.get_status_display()}
        )


def _touch(invoice: Invoice) -> None:
    Invoice.objects.filter(pk=invoice.pk).update(version=invoice.version + 1)
    invoice.version += 1


def create_invoice_for_contract(
    *,
    contract: Contract,
    up_to: dt.date | None,
    invoice_date: dt.date,
    by: Any,
    now: dt.datetime,
) -> BillingResult:
    """Every ready item of the contract (T&M items dated up to ``up_to`` when given) onto one
    draft per contract customer (joining an open draft where there is one)."""
    errors = calendar_errors(
        {
            "invoice_date": (invoice_date, _("invoice date")),
            "up_to": (up_to, _("up to")),
        },
        legal_entity=contract.legal_entity,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        return bill_ready_items(
            scope=ClaimScope(contract_ids=[contract.pk], up_to=up_to),
            invoice_date=invoice_date,
            now=now,
            user_id=by.pk,
        )


def invoice_selection(
    *,
    actual_ids: Sequence[int],
    milestone_ids: Sequence[int],
    contracts: QuerySet[Contract],
    invoice_date: dt.date,
    by: Any,
    now: dt.datetime,
) -> BillingResult:
    """Only the selected items that are ready, onto drafts (one per contract × customer).
    Items of contracts outside ``contracts`` (what the caller may bill) are never taken."""
    if not actual_ids and not milestone_ids:
        raise ValidationError({"ids": [_("Select at least one ready item.")]})
    check_in_calendar(
        invoice_date, field="invoice_date", label=_("invoice date"), legal_entity=None
    )
    with transaction.atomic(durable=True):
        return bill_ready_items(
            scope=ClaimScope(
                contract_ids=_contracts_of(actual_ids, milestone_ids, contracts),
                actual_ids=list(actual_ids),
                milestone_ids=list(milestone_ids),
            ),
            invoice_date=invoice_date,
            now=now,
            user_id=by.pk,
        )


def _contracts_of(
    actual_ids: Sequence[int], milestone_ids: Sequence[int], contracts: QuerySet[Contract]
) -> list[int]:
    """The contracts (among those the caller may bill) that the selected items belong to."""
    from actuals.models import ActualBilling
    from contracts.models import Milestone

    return list(
        contracts.filter(
            Q(
                pk__in=ActualBilling.objects.filter(actual_id__in=list(actual_ids)).values(
                    "contract"
                )
            )
            | Q(
                pk__in=Milestone.objects.filter(pk__in=list(milestone_ids)).values("line__contract")
            )
        ).values_list("pk", flat=True)
    )


def _release(details: QuerySet[InvoiceDetail], at: dt.datetime) -> int:
    """Put the details' actuals and milestones back to ready, then delete the details."""
    billing.release(
        actual_ids=[a for a in details.values_list("actual_id", flat=True) if a],
        milestone_ids=[m for m in details.values_list("milestone_id", flat=True) if m],
        at=at,
    )
    count, _deleted = details.delete()
    return count


def delete_draft(*, invoice: Invoice, at: dt.datetime, version: int | None = None) -> None:
    """Delete a draft (or in-review) invoice; every item goes back to the backlog as ready."""
    with transaction.atomic(durable=True):
        locked = lock_invoice(invoice_id=invoice.pk, version=version)
        _require_open(locked)
        _release(InvoiceDetail.objects.filter(invoice=locked), at)
        locked.delete()


def remove_detail(*, detail: InvoiceDetail, at: dt.datetime, version: int | None = None) -> Invoice:
    """Remove one detail; its actual or milestone goes back to the backlog as ready."""
    with transaction.atomic(durable=True):
        invoice = lock_invoice(invoice_id=detail.invoice_id, version=version)
        _require_open(invoice)
        _release(InvoiceDetail.objects.filter(pk=detail.pk), at)
        InvoiceLine.objects.filter(invoice=invoice).exclude(
            pk__in=InvoiceDetail.objects.filter(invoice=invoice).values("line_id")
        ).delete()
        _touch(invoice)
        return invoice


def _size_errors(quantity: Decimal, unit_price: Decimal, currency: str) -> dict[str, list[str]]:
    """A field error for an amount (quantity × price) the amount column cannot hold."""
    if abs(round_money(quantity * unit_price, currency)) >= AMOUNT_LIMIT:
        return {"unit_price": [_("Quantity × unit price is too large an amount.")]}
    return {}


def update_detail(
    *,
    detail: InvoiceDetail,
    version: int | None = None,
    quantity: Decimal | None = None,
    unit_price: Decimal | None = None,
    billing_type: str | None = None,
    description: str | None = None,
    external_description: str | None = None,
) -> InvoiceDetail:
    """Change a detail: quantity, unit price and billing type on T&M and fee details, texts on
    every detail (a milestone's amount is agreed in the contract and stays, and a credit
    note's detail credits what was billed when it was made). The amount is quantity × unit
    price rounded half-up once."""
    with transaction.atomic(durable=True):
        invoice = lock_invoice(invoice_id=detail.invoice_id, version=version)
        _require_open(invoice)
        detail = InvoiceDetail.objects.select_for_update().get(pk=detail.pk)
        errors: dict[str, list[str]] = {}
        money_change = {
            "quantity": quantity,
            "unit_price": unit_price,
            "billing_type": billing_type,
        }
        if detail.milestone_id and any(v is not None for v in money_change.values()):
            errors["quantity"] = [
                _("A milestone's amount is agreed in the contract: only its texts can change.")
            ]
        elif detail.credits_id and any(v is not None for v in money_change.values()):
            # What a credit note credits was decided when it was made, against what was
            # billed then; confirmation writes the billed actuals from that, not from edits.
            errors["quantity"] = [
                _(
                    "A credit note credits what was billed: only its texts can change. To "
                    "credit another quantity, delete this draft and correct the invoice again."
                )
            ]
        if quantity is not None and quantity < 0:
            errors["quantity"] = [_("A quantity may not be negative.")]
        if unit_price is not None and unit_price < 0:
            errors["unit_price"] = [_("A unit price may not be negative.")]
        if billing_type is not None and billing_type not in BillingType.values:
            errors["billing_type"] = [_("Choose chargeable, non-chargeable or complimentary.")]
        if not errors and not detail.milestone_id:
            errors = _size_errors(
                quantity if quantity is not None else detail.quantity,
                unit_price if unit_price is not None else detail.unit_price,
                detail.currency,
            )
        if errors:
            raise ValidationError(errors)
        if quantity is not None:
            detail.quantity = quantity
        if unit_price is not None:
            detail.unit_price = unit_price
        if billing_type is not None:
            detail.billing_type = billing_type
        if description is not None:
            detail.description = description
        if external_description is not None:
            detail.external_description = external_description
        if not detail.milestone_id:
            detail.amount = round_money(detail.quantity * detail.unit_price, detail.currency)
        detail.save()
        _touch(invoice)
        return detail


def add_fee(
    *,
    invoice: Invoice,
    contract_line: ContractLine,
    description: str,
    quantity: Decimal,
    unit_price: Decimal,
    transaction_date: dt.date,
    version: int | None = None,
    external_description: str = "",
) -> InvoiceDetail:
    """Add a manual fee to a draft (on the line of ``contract_line``, created if needed)."""
    with transaction.atomic(durable=True):
        locked = lock_invoice(invoice_id=invoice.pk, version=version)
        _require_open(locked)
        if locked.is_credit_note:
            raise InvoiceStateError(
                _("A credit note only credits what was billed: a fee cannot be added to it.")
            )
        errors: dict[str, list[str]] = {}
        if contract_line.contract_id != locked.contract_id:
            errors["contract_line"] = [_("The line belongs to another contract.")]
        if quantity <= 0:
            errors["quantity"] = [_("A fee needs a quantity of more than 0.")]
        if unit_price < 0:
            errors["unit_price"] = [_("A unit price may not be negative.")]
        if not description.strip():
            errors["description"] = [_("Say what the fee is for.")]
        errors = errors or _size_errors(quantity, unit_price, locked.currency)
        if errors:
            raise ValidationError(errors)
        line, _created = InvoiceLine.objects.get_or_create(
            invoice=locked,
            contract_line=contract_line,
            defaults={"description": contract_line.external_description or contract_line.name},
        )
        sales_tax_group_id = (
            locked.contract.sales_tax_group_id or locked.customer.sales_tax_group_id
        )
        detail = InvoiceDetail.objects.create(
            invoice=locked,
            line=line,
            transaction_class="fee",
            transaction_date=transaction_date,
            original_quantity=quantity,
            quantity=quantity,
            unit_price=unit_price,
            amount=round_money(quantity * unit_price, locked.currency),
            currency=locked.currency,
            sales_tax_group_id=sales_tax_group_id,
            item_sales_tax_group_id=fixed_item_group_id(),
            description=description.strip(),
            external_description=external_description.strip() or description.strip(),
        )
        _touch(locked)
        return detail


def update_header(
    *,
    invoice: Invoice,
    version: int | None = None,
    invoice_date: dt.date | None = None,
    customer_reference: str | None = None,
    description: str | None = None,
) -> Invoice:
    """Change a draft's header: invoice date, customer reference / PO number, description."""
    with transaction.atomic(durable=True):
        locked = lock_invoice(invoice_id=invoice.pk, version=version)
        _require_open(locked)
        if invoice_date is not None:
            check_in_calendar(
                invoice_date,
                field="invoice_date",
                label=_("invoice date"),
                legal_entity=locked.legal_entity,
            )
            locked.invoice_date = invoice_date
        if customer_reference is not None:
            locked.customer_reference = customer_reference.strip()
        if description is not None:
            locked.description = description.strip()
        locked.version += 1
        locked.save(update_fields=["invoice_date", "customer_reference", "description", "version"])
        return locked
