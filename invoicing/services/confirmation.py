"""Confirming an invoice, and correcting a confirmed one with a credit note (DOMAIN.md §5).

**Confirm** (one way; django-fsm-2 ``confirm``), for every detail of a regular invoice:

- T&M: the unbilled actual is reversed (a row of minus its quantity and amount, *invoiced*)
  and marked *invoiced*; a billed actual is written for the quantity, price, amount and
  billing type on the invoice; if the quantity was lowered, the remainder is written as a
  non-chargeable billed actual at the invoice's unit price, so the value given away stays
  visible (worked example 4);
- milestones: a billed actual of the milestone amount; the milestone becomes *invoiced*;
- manual fees: a billed actual of class *fee*.

Milestones and fees have no project of their own: their billed actual is booked on the first
project (lowest id) the contract line covers.

**Correct**: :func:`create_correction` makes a credit-note draft from a confirmed (or posted)
invoice, for all or chosen details, stating the quantity that **stays billed** (0 = credit
all; milestones are credited in full only; with no choice, every detail not corrected yet is
credited in full). Each credit detail carries minus the credited
quantity and the amount ``round(remaining × price) − billed amount``. On confirmation the
original billed actual is reversed, a billed actual for the remaining quantity is written,
and the credited quantity returns to the backlog as a new chargeable unbilled actual, *not
ready* (the manager decides when to bill it again); a credited milestone is *ready* again.
Fees credited do not return to the backlog (they never came from it).
"""

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from actuals.models import Actual, ActualType, BillingStatus, BillingType, NteStatus
from contracts.models import ContractLineScope, Milestone, MilestoneStatus
from contracts.money import round_money
from invoicing.models import Invoice, InvoiceDetail, InvoiceLine, InvoiceStatus

from .drafts import InvoiceStateError, lock_invoice

#: The columns a billed actual copies from the unbilled actual it bills.
_COPIED = (
    "transaction_class",
    "project_id",
    "task_id",
    "contract_id",
    "contract_line_id",
    "line_customer_id",
    "customer_id",
    "resource_id",
    "role_id",
    "category_id",
    "transaction_date",
    "currency",
    "time_entry_id",
    "expense_entry_id",
    "milestone_id",
    "description",
    "external_description",
)


def _copy(actual: Actual, **values: Any) -> Actual:
    return Actual(**{f: getattr(actual, f) for f in _COPIED}, **values)


def _reversal(actual: Actual, *, at: dt.datetime, billing_status: str) -> Actual:
    return _copy(
        actual,
        actual_type=actual.actual_type,
        quantity=-actual.quantity,
        unit_price=actual.unit_price,
        amount=-actual.amount,
        billing_type=actual.billing_type,
        billing_status=billing_status,
        reverses=actual,
        created_at=at,
    )


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


def _billed_without_source(
    detail: InvoiceDetail, *, invoice: Invoice, project_id: int, at: dt.datetime
) -> Actual:
    return Actual(
        actual_type=ActualType.BILLED_SALES,
        transaction_class=detail.transaction_class,
        project_id=project_id,
        contract_id=invoice.contract_id,
        contract_line_id=detail.line.contract_line_id,
        customer_id=invoice.customer_id,
        milestone_id=detail.milestone_id,
        transaction_date=detail.transaction_date,
        quantity=detail.quantity,
        unit_price=detail.unit_price,
        amount=detail.amount,
        currency=detail.currency,
        billing_type=detail.billing_type,
        description=detail.description,
        external_description=detail.external_description,
        created_at=at,
    )


def _confirm_regular(invoice: Invoice, details: list[InvoiceDetail], at: dt.datetime) -> None:
    projects = _line_projects(invoice)
    unbilled = {
        a.pk: a
        for a in Actual.objects.select_for_update().filter(
            pk__in=[d.actual_id for d in details if d.actual_id]
        )
    }
    new_rows: list[Actual] = []
    billed_for: dict[int, Actual] = {}
    for detail in details:
        if detail.actual_id:
            source = unbilled[detail.actual_id]
            new_rows.append(_reversal(source, at=at, billing_status=BillingStatus.INVOICED))
            billed = _copy(
                source,
                actual_type=ActualType.BILLED_SALES,
                quantity=detail.quantity,
                unit_price=detail.unit_price,
                amount=detail.amount,
                billing_type=detail.billing_type,
                created_at=at,
            )
            new_rows.append(billed)
            if detail.quantity < source.quantity:
                remainder = source.quantity - detail.quantity
                new_rows.append(
                    _copy(
                        source,
                        actual_type=ActualType.BILLED_SALES,
                        quantity=remainder,
                        unit_price=detail.unit_price,
                        amount=round_money(remainder * detail.unit_price, source.currency),
                        billing_type=BillingType.NON_CHARGEABLE,
                        created_at=at,
                    )
                )
        else:
            billed = _billed_without_source(
                detail, invoice=invoice, project_id=projects[detail.line.contract_line_id], at=at
            )
            new_rows.append(billed)
        billed_for[detail.pk] = billed
    Actual.objects.bulk_create(new_rows)
    Actual.objects.filter(pk__in=list(unbilled)).update(billing_status=BillingStatus.INVOICED)
    Milestone.objects.filter(pk__in=[d.milestone_id for d in details if d.milestone_id]).update(
        status=MilestoneStatus.INVOICED
    )
    for detail in details:
        detail.billed_actual = billed_for[detail.pk]
    InvoiceDetail.objects.bulk_update(details, ["billed_actual"])


def _confirm_credit(invoice: Invoice, details: list[InvoiceDetail], at: dt.datetime) -> None:
    credited_ids = [d.credits_id for d in details if d.credits_id is not None]
    originals = {
        d.pk: d
        for d in InvoiceDetail.objects.select_related("billed_actual").filter(pk__in=credited_ids)
    }
    new_rows: list[Actual] = []
    reversal_for: dict[int, Actual] = {}
    credited_milestones: list[int] = []
    for detail in details:
        assert detail.credits_id is not None  # every detail of a credit note credits one
        original = originals[detail.credits_id]
        billed = original.billed_actual
        assert billed is not None  # a confirmed detail always has its billed actual
        reversal = _reversal(billed, at=at, billing_status=BillingStatus.NONE)
        new_rows.append(reversal)
        reversal_for[detail.pk] = reversal
        credited = -detail.quantity
        remaining = billed.quantity - credited
        if original.milestone_id:
            credited_milestones.append(original.milestone_id)
            continue
        if remaining > 0:
            new_rows.append(
                _copy(
                    billed,
                    actual_type=ActualType.BILLED_SALES,
                    quantity=remaining,
                    unit_price=billed.unit_price,
                    amount=round_money(remaining * billed.unit_price, billed.currency),
                    billing_type=billed.billing_type,
                    created_at=at,
                )
            )
        if original.actual_id and credited > 0:
            new_rows.append(
                _copy(
                    billed,
                    actual_type=ActualType.UNBILLED_SALES,
                    quantity=credited,
                    unit_price=billed.unit_price,
                    amount=round_money(credited * billed.unit_price, billed.currency),
                    billing_type=BillingType.CHARGEABLE,
                    billing_status=BillingStatus.NOT_READY,
                    nte_status=NteStatus.OK,
                    created_at=at,
                )
            )
    Actual.objects.bulk_create(new_rows)
    Milestone.objects.filter(pk__in=credited_milestones).update(status=MilestoneStatus.READY)
    InvoiceDetail.objects.filter(pk__in=credited_ids, milestone__isnull=False).update(credited=True)
    for detail in details:
        detail.billed_actual = reversal_for[detail.pk]
    InvoiceDetail.objects.bulk_update(details, ["billed_actual"])


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
        details = list(
            InvoiceDetail.objects.select_related("line").filter(invoice=locked).order_by("pk")
        )
        if not details:
            raise InvoiceStateError(
                _("Invoice %(ref)s has nothing on it: add items or delete the draft.")
                % {"ref": locked}
            )
        if locked.is_credit_note:
            _confirm_credit(locked, details, at)
        else:
            _confirm_regular(locked, details, at)
        locked.confirm()
        locked.confirmed_at = at
        locked.confirmed_by = by
        locked.version += 1
        locked.save()
        return locked


def create_correction(
    *,
    invoice: Invoice,
    remaining: Mapping[int, Decimal] | None,
    invoice_date: dt.date,
    by: Any,
    now: dt.datetime,
) -> Invoice:
    """A credit-note draft for ``invoice``. ``remaining`` maps detail id → the quantity that
    stays billed (``None``: every detail not corrected yet, all credited)."""
    with transaction.atomic(durable=True):
        original = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if original.status not in (InvoiceStatus.CONFIRMED, InvoiceStatus.POSTED):
            raise InvoiceStateError(
                _("Only a confirmed or posted invoice can be corrected; %(ref)s is %(status)s.")
                % {"ref": original, "status": original.get_status_display()}
            )
        if original.is_credit_note:
            raise InvoiceStateError(_("A credit note cannot itself be corrected."))
        details = {
            d.pk: d
            for d in InvoiceDetail.objects.select_related("billed_actual", "line").filter(
                invoice=original
            )
        }
        already = set(
            InvoiceDetail.objects.filter(credits__in=list(details)).values_list(
                "credits_id", flat=True
            )
        )
        wanted = (
            dict(remaining)
            if remaining is not None
            else {pk: Decimal(0) for pk in details if pk not in already}
        )
        errors: dict[str, list[str]] = {}
        for pk, stays in wanted.items():
            key = f"details[{pk}]"
            detail = details.get(pk)
            if detail is None:
                errors[key] = [_("This detail is not on invoice %(ref)s.") % {"ref": original}]
            elif pk in already:
                errors[key] = [_("This detail has already been corrected.")]
            elif stays < 0:
                errors[key] = [_("The quantity that stays billed may not be negative.")]
            elif stays > detail.quantity:
                errors[key] = [
                    _("Only %(q)s was billed: you cannot correct more than was billed.")
                    % {"q": detail.quantity}
                ]
            elif detail.milestone_id and stays != 0:
                errors[key] = [_("A milestone is credited in full: the quantity staying is 0.")]
            elif stays == detail.quantity:
                errors[key] = [_("Nothing to correct: the whole quantity stays billed.")]
        if not wanted:
            errors["details"] = [_("Choose at least one detail to correct.")]
        if errors:
            raise ValidationError(errors)
        credit = Invoice.objects.create(
            contract_id=original.contract_id,
            contract_customer_id=original.contract_customer_id,
            customer_id=original.customer_id,
            legal_entity_id=original.legal_entity_id,
            currency=original.currency,
            invoice_date=invoice_date,
            customer_reference=original.customer_reference,
            description=_("Credit note for invoice %(ref)s") % {"ref": original},
            corrects=original,
            created_at=now,
            created_by=by,
        )
        lines: dict[int, InvoiceLine] = {}
        new_details = []
        for pk, stays in sorted(wanted.items()):
            detail = details[pk]
            billed = detail.billed_actual
            assert billed is not None
            if detail.line.contract_line_id not in lines:
                lines[detail.line.contract_line_id] = InvoiceLine.objects.create(
                    invoice=credit,
                    contract_line_id=detail.line.contract_line_id,
                    description=detail.line.description,
                )
            credited = detail.quantity - stays
            new_details.append(
                InvoiceDetail(
                    invoice=credit,
                    line=lines[detail.line.contract_line_id],
                    transaction_class=detail.transaction_class,
                    credits=detail,
                    milestone_id=detail.milestone_id,
                    transaction_date=detail.transaction_date,
                    resource_id=detail.resource_id,
                    role_id=detail.role_id,
                    category_id=detail.category_id,
                    original_quantity=detail.quantity,
                    quantity=-credited,
                    unit_price=detail.unit_price,
                    amount=round_money(stays * detail.unit_price, detail.currency) - billed.amount
                    if not detail.milestone_id
                    else -billed.amount,
                    currency=detail.currency,
                    billing_type=detail.billing_type,
                    sales_tax_group_id=detail.sales_tax_group_id,
                    item_sales_tax_group_id=detail.item_sales_tax_group_id,
                    description=detail.description,
                    external_description=detail.external_description,
                )
            )
        InvoiceDetail.objects.bulk_create(new_details)
        return credit
