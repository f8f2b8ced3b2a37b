"""The ledger's REST API (v1): accounts, periods (close/reopen), journals (post), journal lines
(tax groups and dimensions), the trial balance and the customer subledger's open items, the
aging report, the customer statement and the receivables reconciliation.

Reading needs the model's view permission, acting the ledger permission of the action
(``close_period``, ``post_journal``, ``change_journalline``): accountants hold them. A service's
:class:`ledger.services.LedgerError` is a 400 naming the field; a state that forbids the action
(:class:`ledger.services.LedgerStateError`) is a 409.

``POST /api/v1/journals/import/`` belongs to the actuals app (it reads actuals) and is not here.
"""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts.api.base import ModelPermissions, StableOrderingFilter, requires
from contracts.api_errors import Conflict
from contracts.models import Customer, ItemSalesTaxGroup, LegalEntity, SalesTaxGroup

from . import services
from .models import Account, CustomerTransaction, JournalLine, Period
from .queries import journals_with_totals
from .receivables import (
    BUCKET_KEYS,
    BucketAmounts,
    aging_report,
    customer_statement,
    receivables_reconciliation,
)
from .reports import trial_balance

# --- serializers --------------------------------------------------------------------------


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "legal_entity", "code", "name", "account_type", "is_active"]


class PeriodSerializer(serializers.ModelSerializer):
    fiscal_year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    legal_entity = serializers.IntegerField(source="fiscal_year.legal_entity_id", read_only=True)

    class Meta:
        model = Period
        fields = [
            "id",
            "legal_entity",
            "fiscal_year",
            "number",
            "start_date",
            "end_date",
            "status",
            "status_changed_at",
            "status_changed_by",
        ]


class JournalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    legal_entity = serializers.IntegerField(source="legal_entity_id")
    grouping = serializers.CharField()
    journal_date = serializers.DateField()
    status = serializers.CharField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()
    line_count = serializers.IntegerField(help_text="All lines.")
    draft_count = serializers.IntegerField(help_text="Lines still to post.")
    posted_count = serializers.IntegerField()
    error_count = serializers.IntegerField(help_text="Draft lines whose last posting failed.")
    draft_total = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, help_text="Sum of draft line amounts."
    )
    total = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)


class JournalLineSerializer(serializers.ModelSerializer):
    dimension_values = serializers.ManyRelatedField(
        child_relation=serializers.PrimaryKeyRelatedField(read_only=True), read_only=True
    )

    class Meta:
        model = JournalLine
        fields = [
            "id",
            "journal",
            "status",
            "error_reason",
            "line_date",
            "kind",
            "project",
            "customer",
            "currency",
            "amount",
            "accounting_amount",
            "sales_tax_group",
            "item_sales_tax_group",
            "dimension_values",
            "description",
            "source_key",
            "entry",
            "posted_at",
        ]
        read_only_fields = fields


class JournalLineUpdateSerializer(serializers.Serializer):
    """What the accountant may change on a draft line; omitted fields keep their value."""

    sales_tax_group = serializers.PrimaryKeyRelatedField(
        queryset=SalesTaxGroup.objects.all(), allow_null=True, required=False
    )
    item_sales_tax_group = serializers.PrimaryKeyRelatedField(
        queryset=ItemSalesTaxGroup.objects.all(), allow_null=True, required=False
    )
    dimension_values = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Ids of dimension values, at most one per dimension (replaces the line's).",
    )


class CustomerTransactionSerializer(serializers.ModelSerializer):
    voucher_number = serializers.CharField(source="entry.voucher_number", read_only=True)

    class Meta:
        model = CustomerTransaction
        fields = [
            "id",
            "legal_entity",
            "customer",
            "entry",
            "voucher_number",
            "document_number",
            "document_date",
            "due_date",
            "currency",
            "amount",
            "accounting_amount",
            "open_amount",
            "settles",
        ]


JournalPostResultSerializer = inline_serializer(
    name="JournalPostResult",
    fields={
        "posted": serializers.IntegerField(help_text="Lines posted to the ledger."),
        "posted_without_entry": serializers.IntegerField(
            help_text="T&M sales lines marked posted with nothing to post (profile not accruing)."
        ),
        "failed": serializers.IntegerField(help_text="Lines left in draft with their reason."),
        "journal": JournalSerializer(),
    },
)

# --- views ----------------------------------------------------------------------------------


class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    """The chart of accounts."""

    queryset = Account.objects.all()
    serializer_class = AccountSerializer
    permission_classes = [ModelPermissions]
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_fields = ["legal_entity", "account_type", "is_active", "code"]
    ordering_fields = ["id", "code", "name"]
    ordering = ["legal_entity", "code"]


class PeriodViewSet(viewsets.ReadOnlyModelViewSet):
    """Accounting periods; close and reopen them."""

    queryset = Period.objects.select_related("fiscal_year")
    serializer_class = PeriodSerializer
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_fields = {"status": ["exact"], "fiscal_year__legal_entity": ["exact"]}
    ordering_fields = ["id", "start_date"]
    ordering = ["fiscal_year__legal_entity", "start_date"]

    def get_permissions(self) -> list[Any]:
        if self.action in ("close", "reopen"):
            return [requires("ledger.close_period")()]
        return [ModelPermissions()]

    def _change(self, request: Request, pk: str | None, *, close: bool) -> Response:
        period = get_object_or_404(Period, pk=pk)
        now = timezone.now()
        try:
            if close:
                period = services.close_period(period=period, closed_by=request.user, closed_at=now)
            else:
                period = services.reopen_period(
                    period=period, reopened_by=request.user, reopened_at=now
                )
        except services.LedgerStateError as exc:
            raise Conflict(str(exc)) from exc
        return Response(PeriodSerializer(period).data)

    @extend_schema(request=None, responses=PeriodSerializer, summary="Close a period")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._change(request, pk, close=True)

    @extend_schema(request=None, responses=PeriodSerializer, summary="Reopen a period")
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._change(request, pk, close=False)


class JournalViewSet(viewsets.ReadOnlyModelViewSet):
    """Integration journals with their line counts and totals; post one."""

    serializer_class = JournalSerializer
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_fields = ["legal_entity", "status", "grouping"]
    ordering_fields = ["id", "journal_date"]
    ordering = ["-journal_date"]

    def get_queryset(self) -> QuerySet[Any]:
        from .models import Journal

        if getattr(self, "swagger_fake_view", False):
            return Journal.objects.none()
        return journals_with_totals()

    def get_permissions(self) -> list[Any]:
        if self.action == "post":
            return [requires("ledger.post_journal")()]
        return [requires("ledger.view_journal")()]

    @extend_schema(request=None, responses=JournalPostResultSerializer, summary="Post a journal")
    @action(detail=True, methods=["post"])
    def post(self, request: Request, pk: str | None = None) -> Response:
        journal = get_object_or_404(journals_with_totals(), pk=pk)
        try:
            result = services.post_journal(
                journal=journal, posted_by=request.user, posted_at=timezone.now()
            )
        except services.LedgerStateError as exc:
            raise Conflict(str(exc)) from exc
        journal = journals_with_totals().get(pk=journal.pk)
        return Response(
            {
                "posted": result.posted,
                "posted_without_entry": result.posted_without_entry,
                "failed": result.failed,
                "journal": JournalSerializer(journal).data,
            }
        )


class JournalLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Journal lines; PATCH changes a draft line's tax groups and dimensions."""

    queryset = JournalLine.objects.prefetch_related("dimension_values")
    serializer_class = JournalLineSerializer
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_fields = ["journal", "status", "kind", "project"]
    ordering_fields = ["id", "line_date"]
    ordering = ["line_date"]

    def get_permissions(self) -> list[Any]:
        if self.action == "partial_update":
            return [requires("ledger.change_journalline")()]
        return [ModelPermissions()]

    @extend_schema(
        request=JournalLineUpdateSerializer,
        responses=JournalLineSerializer,
        summary="Change a draft line's tax groups and dimensions",
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        line = get_object_or_404(JournalLine, pk=pk)
        data = JournalLineUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        try:
            line = services.update_journal_line(
                line=line,
                sales_tax_group=given.get("sales_tax_group", line.sales_tax_group),
                item_sales_tax_group=given.get("item_sales_tax_group", line.item_sales_tax_group),
                dimension_values=given.get(
                    "dimension_values", list(line.dimension_values.values_list("pk", flat=True))
                ),
            )
        except services.LedgerStateError as exc:
            raise Conflict(str(exc)) from exc
        return Response(JournalLineSerializer(self.get_queryset().get(pk=line.pk)).data)


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
            if entity_id and entity_id.isdigit()
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


class CustomerTransactionViewSet(viewsets.ReadOnlyModelViewSet):
    """The customer subledger: open items (``?all=1`` includes settled ones)."""

    serializer_class = CustomerTransactionSerializer
    permission_classes = [ModelPermissions]
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_fields = ["legal_entity", "customer", "currency"]
    ordering_fields = ["id", "document_date", "due_date"]
    ordering = ["due_date"]

    def get_queryset(self) -> QuerySet[CustomerTransaction]:
        qs = CustomerTransaction.objects.select_related("entry")
        if getattr(self, "swagger_fake_view", False) or self.request.query_params.get("all"):
            return qs
        return qs.exclude(open_amount=0)


# --- receivables: aging, customer statement, reconciliation -----------------------------------

_MONEY = serializers.DecimalField(max_digits=20, decimal_places=2)


def _money(value: Any) -> str:
    return str(_MONEY.to_representation(value))


def _report_params(
    request: Request,
    *,
    dates: tuple[str, ...] = ("date",),
    errors: dict[str, list[str]] | None = None,
) -> tuple[LegalEntity, dict[str, dt.date]]:
    """The report's dates (YYYY-MM-DD, required) and legal entity (default: the first by
    code); a 400 naming each bad parameter (with ``errors`` found before)."""
    errors = dict(errors or {})
    found: dict[str, dt.date] = {}
    for name in dates:
        try:
            found[name] = dt.date.fromisoformat(request.query_params.get(name, ""))
        except ValueError:
            errors[name] = [_("Give the date as YYYY-MM-DD.")]
    entity_id = request.query_params.get("legal_entity")
    entities = LegalEntity.objects.order_by("code", "pk")
    legal_entity = (
        entities.filter(pk=entity_id).first()
        if entity_id and entity_id.isdigit()
        else (None if entity_id else entities.first())
    )
    if legal_entity is None:
        errors["legal_entity"] = [_("Unknown legal entity.")]
    if errors or legal_entity is None:
        raise serializers.ValidationError(errors)
    return legal_entity, found


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
            Customer.objects.filter(pk=customer_id).first() if customer_id.isdigit() else None
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
