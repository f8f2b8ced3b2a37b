"""Reports: the trial balance, and on the customer subledger the aging report, the customer
statement and the receivables reconciliation.
"""

import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts.api.base import requires
from contracts.models import Customer, LegalEntity
from contracts.numbers import ascii_id
from ledger.api.common import _money, _report_params
from ledger.receivables import (
    BUCKET_KEYS,
    BucketAmounts,
    aging_report,
    customer_statement,
    receivables_reconciliation,
)
from ledger.reports import trial_balance


class TrialBalanceView(APIView):
    """Per account: debit and credit totals and the balance up to a date (accounting currency).
    The totals balance to zero."""

    permission_classes = [requires("ledger.view_reports")]

    @extend_schema(
        parameters=[
            OpenApiParameter("date", dt.date, required=True, description="Up to and including."),
            OpenApiParameter(
                "legal_entity", int, description="Legal entity id (default: the first by code)."
            ),
        ],
        responses=inline_serializer(
            name="TrialBalance",
            fields={
                "legal_entity": serializers.IntegerField(),
                "date": serializers.DateField(),
                "currency": serializers.CharField(),
                "rows": inline_serializer(
                    name="TrialBalanceRow",
                    many=True,
                    fields={
                        "account": serializers.IntegerField(),
                        "code": serializers.CharField(),
                        "name": serializers.CharField(),
                        "account_type": serializers.CharField(),
                        "debit": serializers.DecimalField(max_digits=20, decimal_places=2),
                        "credit": serializers.DecimalField(max_digits=20, decimal_places=2),
                        "balance": serializers.DecimalField(max_digits=20, decimal_places=2),
                    },
                ),
                "total_debit": serializers.DecimalField(max_digits=20, decimal_places=2),
                "total_credit": serializers.DecimalField(max_digits=20, decimal_places=2),
                "total_balance": serializers.DecimalField(max_digits=20, decimal_places=2),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        errors: dict[str, list[str]] = {}
        try:
            on_date = dt.date.fromisoformat(request.query_params.get("date", ""))
        except ValueError:
            errors["date"] = [_("Give the date as YYYY-MM-DD.")]
        entity_id = request.query_params.get("legal_entity")
        entities = LegalEntity.objects.order_by("code", "pk")
        legal_entity = (
            entities.filter(pk=entity_id).first()
            if entity_id and ascii_id(entity_id) is not None
            else (None if entity_id else entities.first())
        )
        if legal_entity is None:
            errors["legal_entity"] = [_("Unknown legal entity.")]
        if errors or legal_entity is None:
            raise serializers.ValidationError(errors)
        tb = trial_balance(legal_entity=legal_entity, on_date=on_date)
        money = serializers.DecimalField(max_digits=20, decimal_places=2)
        return Response(
            {
                "legal_entity": legal_entity.pk,
                "date": on_date.isoformat(),
                "currency": legal_entity.accounting_currency,
                "rows": [
                    {
                        "account": r.account.pk,
                        "code": r.account.code,
                        "name": r.account.name,
                        "account_type": r.account.account_type,
                        "debit": money.to_representation(r.debit),
                        "credit": money.to_representation(r.credit),
                        "balance": money.to_representation(r.balance),
                    }
                    for r in tb.rows
                ],
                "total_debit": money.to_representation(tb.total_debit),
                "total_credit": money.to_representation(tb.total_credit),
                "total_balance": money.to_representation(tb.total_balance),
            }
        )


_ENTITY_PARAM = OpenApiParameter(
    "legal_entity", int, description="Legal entity id (default: the first by code)."
)
_BUCKETS_SERIALIZER = inline_serializer(
    name="AgingBuckets",
    fields={
        **{key: serializers.DecimalField(max_digits=20, decimal_places=2) for key in BUCKET_KEYS},
        "total": serializers.DecimalField(max_digits=20, decimal_places=2),
    },
)
_CURRENCY_BUCKETS_SERIALIZER = inline_serializer(
    name="AgingCurrencyBuckets",
    fields={
        "currency": serializers.CharField(),
        **{key: serializers.DecimalField(max_digits=20, decimal_places=2) for key in BUCKET_KEYS},
        "total": serializers.DecimalField(max_digits=20, decimal_places=2),
    },
)


def _buckets(amounts: BucketAmounts) -> dict[str, str]:
    return {key: _money(value) for key, value in amounts.as_dict().items()}


def _currency_buckets(by_currency: dict[str, BucketAmounts]) -> list[dict[str, str]]:
    return [{"currency": currency, **_buckets(a)} for currency, a in by_currency.items()]


class AgingView(APIView):
    """The open items at a date per customer, by days past due: ``current`` (not yet due),
    ``days_1_30``, ``days_31_60``, ``days_61_90``, ``over_90``; per transaction currency
    (currencies are never added) and in the accounting currency, with totals."""

    permission_classes = [requires("ledger.view_reports")]

    @extend_schema(
        parameters=[
            OpenApiParameter("date", dt.date, required=True, description="At the end of."),
            _ENTITY_PARAM,
        ],
        responses=inline_serializer(
            name="AgingReport",
            fields={
                "legal_entity": serializers.IntegerField(),
                "date": serializers.DateField(),
                "accounting_currency": serializers.CharField(),
                "customers": inline_serializer(
                    name="AgingCustomer",
                    many=True,
                    fields={
                        "customer": serializers.IntegerField(),
                        "code": serializers.CharField(),
                        "name": serializers.CharField(),
                        "currencies": _CURRENCY_BUCKETS_SERIALIZER,
                        "accounting": _BUCKETS_SERIALIZER,
                    },
                ),
                "totals": inline_serializer(
                    name="AgingTotals",
                    fields={
                        "currencies": _CURRENCY_BUCKETS_SERIALIZER,
                        "accounting": _BUCKETS_SERIALIZER,
                    },
                ),
            },
        ),
        summary="Aging of the customer open items at a date",
    )
    def get(self, request: Request) -> Response:
        legal_entity, dates = _report_params(request)
        report = aging_report(legal_entity=legal_entity, on_date=dates["date"])
        return Response(
            {
                "legal_entity": legal_entity.pk,
                "date": report.on_date.isoformat(),
                "accounting_currency": report.accounting_currency,
                "customers": [
                    {
                        "customer": row.customer.pk,
                        "code": row.customer.code,
                        "name": row.customer.name,
                        "currencies": _currency_buckets(row.by_currency),
                        "accounting": _buckets(row.accounting),
                    }
                    for row in report.rows
                ],
                "totals": {
                    "currencies": _currency_buckets(report.totals_by_currency),
                    "accounting": _buckets(report.accounting_totals),
                },
            }
        )


class CustomerStatementView(APIView):
    """A customer's statement: per currency the opening balance, each invoice, credit note and
    payment posted in the range with the running balance, the closing balance; and the items
    open at the end."""

    permission_classes = [requires("ledger.view_reports")]

    @extend_schema(
        parameters=[
            OpenApiParameter("customer", int, required=True),
            OpenApiParameter("date_from", dt.date, required=True),
            OpenApiParameter("date_to", dt.date, required=True),
            _ENTITY_PARAM,
        ],
        responses=inline_serializer(
            name="CustomerStatement",
            fields={
                "legal_entity": serializers.IntegerField(),
                "customer": serializers.IntegerField(),
                "date_from": serializers.DateField(),
                "date_to": serializers.DateField(),
                "currencies": inline_serializer(
                    name="CustomerStatementCurrency",
                    many=True,
                    fields={
                        "currency": serializers.CharField(),
                        "opening_balance": serializers.DecimalField(
                            max_digits=20, decimal_places=2
                        ),
                        "lines": inline_serializer(
                            name="CustomerStatementLine",
                            many=True,
                            fields={
                                "id": serializers.IntegerField(),
                                "kind": serializers.ChoiceField(
                                    choices=["invoice", "credit_note", "payment"]
                                ),
                                "document_number": serializers.CharField(),
                                "document_date": serializers.DateField(),
                                "accounting_date": serializers.DateField(),
                                "due_date": serializers.DateField(),
                                "amount": serializers.DecimalField(max_digits=20, decimal_places=2),
                                "running_balance": serializers.DecimalField(
                                    max_digits=20, decimal_places=2
                                ),
                            },
                        ),
                        "closing_balance": serializers.DecimalField(
                            max_digits=20, decimal_places=2
                        ),
                    },
                ),
                "open_items": inline_serializer(
                    name="CustomerStatementOpenItem",
                    many=True,
                    fields={
                        "id": serializers.IntegerField(),
                        "document_number": serializers.CharField(),
                        "due_date": serializers.DateField(),
                        "currency": serializers.CharField(),
                        "amount": serializers.DecimalField(max_digits=20, decimal_places=2),
                        "open_amount": serializers.DecimalField(max_digits=20, decimal_places=2),
                        "days_overdue": serializers.IntegerField(),
                    },
                ),
            },
        ),
        summary="A customer's statement for a date range",
    )
    def get(self, request: Request) -> Response:
        customer_id = request.query_params.get("customer", "")
        customer = (
            Customer.objects.filter(pk=customer_id).first()
            if ascii_id(customer_id) is not None
            else None
        )
        errors = {} if customer else {"customer": [_("Choose a customer.")]}
        legal_entity, dates = _report_params(request, dates=("date_from", "date_to"), errors=errors)
        assert customer is not None  # else _report_params raised
        if dates["date_to"] < dates["date_from"]:
            raise serializers.ValidationError(
                {"date_to": [_("The end date may not be before the start date.")]}
            )
        statement = customer_statement(
            legal_entity=legal_entity,
            customer=customer,
            date_from=dates["date_from"],
            date_to=dates["date_to"],
        )
        return Response(
            {
                "legal_entity": legal_entity.pk,
                "customer": customer.pk,
                "date_from": statement.date_from.isoformat(),
                "date_to": statement.date_to.isoformat(),
                "currencies": [
                    {
                        "currency": section.currency,
                        "opening_balance": _money(section.opening_balance),
                        "lines": [
                            {
                                "id": line.item.pk,
                                "kind": line.kind,
                                "document_number": line.item.document_number,
                                "document_date": line.item.document_date.isoformat(),
                                "accounting_date": line.item.entry.entry_date.isoformat(),
                                "due_date": line.item.due_date.isoformat(),
                                "amount": _money(line.item.amount),
                                "running_balance": _money(line.running_balance),
                            }
                            for line in section.lines
                        ],
                        "closing_balance": _money(section.closing_balance),
                    }
                    for section in statement.currencies
                ],
                "open_items": [
                    {
                        "id": o.item.pk,
                        "document_number": o.item.document_number,
                        "due_date": o.item.due_date.isoformat(),
                        "currency": o.item.currency,
                        "amount": _money(o.item.amount),
                        "open_amount": _money(o.open_amount),
                        "days_overdue": o.days_overdue,
                    }
                    for o in statement.open_items
                ],
            }
        )


class ReceivablesReconciliationView(APIView):
    """The open items at a date (accounting currency) against the balance of the receivables
    control account(s), in total and per customer (``customer`` null: receivables lines that
    name no customer). ``difference`` = open items − ledger."""

    permission_classes = [requires("ledger.view_reports")]

    @extend_schema(
        parameters=[
            OpenApiParameter("date", dt.date, required=True, description="At the end of."),
            _ENTITY_PARAM,
        ],
        responses=inline_serializer(
            name="ReceivablesReconciliation",
            fields={
                "legal_entity": serializers.IntegerField(),
                "date": serializers.DateField(),
                "currency": serializers.CharField(),
                "accounts": serializers.ListField(child=serializers.CharField()),
                "open_items": serializers.DecimalField(max_digits=20, decimal_places=2),
                "ledger": serializers.DecimalField(max_digits=20, decimal_places=2),
                "difference": serializers.DecimalField(max_digits=20, decimal_places=2),
                "in_balance": serializers.BooleanField(),
                "customers": inline_serializer(
                    name="ReceivablesReconciliationRow",
                    many=True,
                    fields={
                        "customer": serializers.IntegerField(allow_null=True),
                        "open_items": serializers.DecimalField(max_digits=20, decimal_places=2),
                        "ledger": serializers.DecimalField(max_digits=20, decimal_places=2),
                        "difference": serializers.DecimalField(max_digits=20, decimal_places=2),
                    },
                ),
            },
        ),
        summary="Reconciliation of the customer open items with the receivables account",
    )
    def get(self, request: Request) -> Response:
        legal_entity, dates = _report_params(request)
        rec = receivables_reconciliation(legal_entity=legal_entity, on_date=dates["date"])
        return Response(
            {
                "legal_entity": legal_entity.pk,
                "date": rec.on_date.isoformat(),
                "currency": rec.currency,
                "accounts": [a.code for a in rec.accounts],
                "open_items": _money(rec.open_items_total),
                "ledger": _money(rec.ledger_balance),
                "difference": _money(rec.difference),
                "in_balance": rec.in_balance,
                "customers": [
                    {
                        "customer": row.customer.pk if row.customer else None,
                        "open_items": _money(row.open_items),
                        "ledger": _money(row.ledger),
                        "difference": _money(row.difference),
                    }
                    for row in rec.rows
                ],
            }
        )
