"""Customer payments: a payment settles an open item of the customer subledger.

One payment posts Dr bank / Cr receivables (the receivables account the item was debited to)
and records a payment item that settles the open item, reducing its open amount. The
accounting-currency amount is the part of the item's accounting amount that the payment
closes (see :mod:`ledger.receivables`), so the receivables account follows the open items
exactly; realised exchange differences on foreign-currency items are not posted (yet).
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction as db_transaction
from django.utils.translation import gettext as _

from contracts.money import round_money
from ledger.models import Account, CustomerTransaction, PostingProfile
from ledger.receivables import open_accounting_amount

from .errors import LedgerError, LedgerStateError, MissingPostingProfile
from .posting import LineSpec, Side, post_entry, record_customer_transaction


def _receivables_account(item: CustomerTransaction) -> Account:
    profiles = PostingProfile.objects.filter(legal_entity_id=item.legal_entity_id)
    line = (
        item.entry.lines.filter(
            account__in=profiles.values("receivables_account"), accounting_amount__gt=0
        )
        .select_related("account")
        .order_by("line_number")
        .first()
    )
    if line is not None:
        return line.account
    default = profiles.filter(is_default=True).select_related("receivables_account").first()
    if default is None:
        raise MissingPostingProfile(
            _("Legal entity %(le)s has no default posting profile: add one first.")
            % {"le": item.legal_entity},
            field="transaction",
        )
    return default.receivables_account


def settle_customer_transaction(
    *,
    transaction: CustomerTransaction,
    amount: Decimal,
    payment_date: dt.date,
    bank_account: Account,
    reference: str,
    posted_by: Any,
    posted_at: dt.datetime,
) -> CustomerTransaction:
    """Record a payment of ``amount`` (positive, in the item's currency) received on
    ``payment_date`` against the open invoice ``transaction``; returns the payment item.

    Refused (400, naming the field): an amount of 0 or less, not rounded, or more than the
    open amount; an empty reference; a closed period (``entry_date``). An item that is not an
    open invoice (settled, or a credit) is a 409.
    """
    with db_transaction.atomic():
        item = (
            CustomerTransaction.objects.select_for_update(of=("self",))
            .select_related("legal_entity", "customer", "entry")
            .get(pk=transaction.pk)
        )
        if item.open_amount <= 0:
            raise LedgerStateError(
                _("%(doc)s is not an open invoice: nothing is left to pay.")
                % {"doc": item.document_number}
            )
        if amount <= 0 or round_money(amount, item.currency) != amount:
            raise LedgerError(
                _("The amount must be more than 0 and rounded to the currency's minor unit."),
                field="amount",
            )
        if amount > item.open_amount:
            raise LedgerError(
                _("The payment of %(cur)s %(amount)s is more than the open %(cur)s %(open)s.")
                % {"cur": item.currency, "amount": amount, "open": item.open_amount},
                field="amount",
            )
        if not reference.strip():
            raise LedgerError(_("Give the payment's reference."), field="reference")
        accounting = open_accounting_amount(
            item=item, open_amount=item.open_amount
        ) - open_accounting_amount(item=item, open_amount=item.open_amount - amount)
        receivables = _receivables_account(item)
        with item.legal_entity.books_language():
            description = _("Payment %(ref)s of %(doc)s") % {
                "ref": reference,
                "doc": item.document_number,
            }
        entry = post_entry(
            legal_entity=item.legal_entity,
            entry_date=payment_date,
            memo=description,
            lines=[
                LineSpec(
                    account=bank_account,
                    side=Side.DEBIT,
                    currency=item.currency,
                    amount=amount,
                    accounting_amount=accounting,
                    customer=item.customer,
                    description=description,
                ),
                LineSpec(
                    account=receivables,
                    side=Side.CREDIT,
                    currency=item.currency,
                    amount=amount,
                    accounting_amount=accounting,
                    customer=item.customer,
                    description=description,
                ),
            ],
            posted_by=posted_by,
            posted_at=posted_at,
        )
        return record_customer_transaction(
            entry=entry,
            customer=item.customer,
            document_number=reference[:40],
            document_date=payment_date,
            due_date=payment_date,
            currency=item.currency,
            amount=-amount,
            accounting_amount=-accounting,
            settles=item,
        )
