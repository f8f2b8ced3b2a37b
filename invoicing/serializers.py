"""Serializers of the billing API: backlog items and their totals, invoices with lines,
details, totals and VAT rows, the action payloads, and invoice runs.

Amounts, quantities and prices are decimal strings (``COERCE_DECIMAL_TO_STRING``). Write
payloads only validate shapes and types; the services check the rules and name the field.
"""

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from actuals.api.actuals import BillingStateFields
from actuals.models import Actual, BillingType
from contracts.serializers import common as strict
from invoicing.models import (
    Invoice,
    InvoiceDetail,
    InvoiceLine,
    InvoiceRun,
    InvoiceRunFailure,
)

_MONEY: dict[str, Any] = {"max_digits": 20, "decimal_places": 2}

# --- backlog ---------------------------------------------------------------------------------


class BacklogItemSerializer(BillingStateFields, strict.ModelSerializer):
    contract_number = serializers.CharField(
        source="contract.number", read_only=True, help_text=_("The contract's number.")
    )
    customer_name = serializers.CharField(
        source="customer.name", read_only=True, default="", help_text=_("Who is billed.")
    )
    project_code = serializers.CharField(
        source="project.code", read_only=True, help_text=_("The project's code.")
    )
    resource_name = serializers.CharField(
        source="resource.name", read_only=True, default="", help_text=_("Who booked it.")
    )

    class Meta:
        model = Actual
        fields = [
            "id",
            "transaction_date",
            "transaction_class",
            "contract",
            "contract_number",
            "contract_line",
            "customer",
            "customer_name",
            "project",
            "project_code",
            "task",
            "resource",
            "resource_name",
            "role",
            "category",
            "quantity",
            "unit_price",
            "amount",
            "currency",
            "billing_status",
            "nte_status",
            "nte_failed_level",
            "nte_message",
            "price_warning",
            "description",
            "external_description",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": _("The unbilled actual's id (use it in the bulk actions).")},
            "transaction_date": {"help_text": _("The day the work was done.")},
            "quantity": {"help_text": _("Hours or units (decimal string).")},
            "unit_price": {"help_text": _("Sales price per hour or unit (decimal string).")},
            "amount": {"help_text": _("Quantity × price, rounded once (decimal string).")},
            "currency": {"help_text": _("ISO 4217 code of the amount.")},
            "price_warning": {"help_text": _("Set when no (or two) price lists applied.")},
        }


class CurrencyTotalSerializer(strict.Serializer):
    currency = serializers.CharField(help_text=_("ISO 4217 code."))
    count = strict.IntegerField(help_text=_("Items in this currency."))
    hours = strict.DecimalField(
        max_digits=20,
        decimal_places=2,
        help_text=_(
            "Hours of the time items (an expense's quantity, in km or nights, is not added)."
        ),
    )
    amount = strict.DecimalField(**_MONEY, help_text=_("Sum of the amounts."))


class BacklogTotalsSerializer(strict.Serializer):
    count = strict.IntegerField(help_text=_("Items matching the filters (all pages)."))
    currencies = CurrencyTotalSerializer(
        many=True, help_text=_("Count, hours and amount per currency (never added across).")
    )


class BacklogPageSerializer(strict.Serializer):
    """The backlog list: a page of items plus the totals of the whole filtered set."""

    count = strict.IntegerField(help_text=_("Items matching the filters."))
    next = serializers.URLField(allow_null=True, help_text=_("The next page, if any."))
    previous = serializers.URLField(allow_null=True, help_text=_("The previous page, if any."))
    totals = BacklogTotalsSerializer(help_text=_("Totals of the filtered set (all pages)."))
    results = BacklogItemSerializer(many=True)


class BacklogActionSerializer(strict.Serializer):
    ids = serializers.ListField(
        child=strict.IntegerField(min_value=1),
        allow_empty=True,
        help_text=_("Backlog item ids (unbilled actuals). All change, or none."),
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=_("Why the items are written off (required for write-off; kept on each item)."),
    )


class BacklogActionResultSerializer(strict.Serializer):
    changed = strict.IntegerField(
        help_text=_("Items whose status changed (already in the target status: not counted).")
    )
    detail = serializers.CharField(help_text=_("What happened, in one sentence."))


# --- creating invoices -----------------------------------------------------------------------


class CreateInvoiceSerializer(strict.Serializer):
    up_to = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=_("Only T&M items dated on or before this day (YYYY-MM-DD); empty: all."),
    )
    invoice_date = serializers.DateField(
        required=False, help_text=_("The invoice date (YYYY-MM-DD); default today.")
    )


class FromSelectionSerializer(strict.Serializer):
    actual_ids = serializers.ListField(
        child=strict.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text=_("Backlog item ids; only the ready ones are invoiced."),
    )
    milestone_ids = serializers.ListField(
        child=strict.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text=_("Milestone ids; only the ready ones are invoiced."),
    )
    invoice_date = serializers.DateField(
        required=False, help_text=_("The invoice date (YYYY-MM-DD); default today.")
    )


class BillingResultSerializer(strict.Serializer):
    invoices = serializers.ListField(
        child=strict.IntegerField(), help_text=_("Ids of the drafts created or extended.")
    )
    items = strict.IntegerField(help_text=_("Items placed on the drafts."))
    amounts = serializers.DictField(
        child=strict.DecimalField(**_MONEY),
        help_text=_('Amount placed per currency, e.g. {"EUR": "1600.00"}.'),
    )
    detail = serializers.CharField(help_text=_("What happened, in one sentence."))


# --- invoices --------------------------------------------------------------------------------


class InvoiceListSerializer(strict.ModelSerializer):
    reference = serializers.CharField(
        read_only=True, help_text=_("Internal reference (PF-000012) until posted.")
    )
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    net = strict.DecimalField(
        **_MONEY,
        read_only=True,
        default=Decimal("0"),
        help_text=_("Sum of the chargeable details, before VAT."),
    )
    detail_count = strict.IntegerField(read_only=True, help_text=_("Number of details."))

    class Meta:
        model = Invoice
        fields = [
            "id",
            "reference",
            "number",
            "status",
            "contract",
            "contract_number",
            "customer",
            "customer_name",
            "currency",
            "invoice_date",
            "customer_reference",
            "description",
            "corrects",
            "run",
            "version",
            "net",
            "detail_count",
            "created_at",
            "confirmed_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "number": {"help_text": _("The legal number, once posted.")},
            "status": {"help_text": _("draft, in_review, confirmed or posted.")},
            "corrects": {"help_text": _("On a credit note: the invoice it corrects.")},
            "run": {"help_text": _("The invoice run that created it, if any.")},
            "version": {
                "help_text": _("Send it back with every change; an older one is refused (409).")
            },
        }


class InvoiceLineSerializer(strict.ModelSerializer):
    amount = serializers.SerializerMethodField(help_text=_("Sum of the line's chargeable details."))

    class Meta:
        model = InvoiceLine
        fields = ["id", "contract_line", "description", "amount"]
        read_only_fields = fields

    def get_amount(self, line: InvoiceLine) -> str:
        amounts: dict[int, Decimal] = self.context.get("line_amounts", {})
        return str(amounts.get(line.pk, Decimal("0.00")))


class InvoiceDetailSerializer(strict.ModelSerializer):
    kind = serializers.SerializerMethodField(help_text=_("time_and_material, milestone or fee."))
    charged_amount = strict.DecimalField(
        **_MONEY,
        read_only=True,
        help_text=_("What the customer pays: 0 when non-chargeable or complimentary."),
    )

    class Meta:
        model = InvoiceDetail
        fields = [
            "id",
            "line",
            "kind",
            "transaction_class",
            "actual",
            "milestone",
            "credits",
            "transaction_date",
            "resource",
            "role",
            "category",
            "original_quantity",
            "quantity",
            "unit_price",
            "amount",
            "charged_amount",
            "currency",
            "billing_type",
            "sales_tax_group",
            "item_sales_tax_group",
            "description",
            "external_description",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "actual": {"help_text": _("The unbilled actual billed (T&M details).")},
            "credits": {"help_text": _("On a credit note: the detail it credits.")},
            "original_quantity": {"help_text": _("The quantity when it came on the invoice.")},
        }

    def get_kind(self, detail: InvoiceDetail) -> str:
        if detail.milestone_id:
            return "milestone"
        if detail.actual_id or (detail.credits_id and detail.transaction_class != "fee"):
            return "time_and_material"
        return "fee"


class VatRowSerializer(strict.Serializer):
    code = serializers.CharField(help_text=_("VAT code, e.g. V21."))
    name = serializers.CharField()
    rate = strict.DecimalField(max_digits=7, decimal_places=2, help_text=_("Rate in %."))
    base = strict.DecimalField(**_MONEY, help_text=_("Sum of the details at this code."))
    vat = strict.DecimalField(**_MONEY, help_text=_("base × rate, rounded once."))


class InvoiceTotalsSerializer(strict.Serializer):
    net = strict.DecimalField(**_MONEY, help_text=_("Sum of the chargeable details."))
    vat = strict.DecimalField(**_MONEY, help_text=_("Sum of the VAT rows."))
    gross = strict.DecimalField(**_MONEY, help_text=_("net + VAT."))
    vat_rows = VatRowSerializer(many=True, help_text=_("VAT per code (rate)."))
    vat_problems = serializers.ListField(
        child=serializers.CharField(), help_text=_("Details whose tax groups select no VAT code.")
    )


class InvoiceSerializer(InvoiceListSerializer):
    """One invoice with its lines, details, totals and the actions its state allows."""

    lines = serializers.SerializerMethodField(help_text=_("One per contract line."))
    details = serializers.SerializerMethodField(help_text=_("One per item, milestone or fee."))
    totals = serializers.SerializerMethodField(help_text=_("Net, VAT per rate and gross."))
    actions = serializers.SerializerMethodField(
        help_text=_("What the invoice's state allows: edit, delete, confirm, correct.")
    )

    class Meta(InvoiceListSerializer.Meta):
        fields = [
            *InvoiceListSerializer.Meta.fields,
            "contract_customer",
            "legal_entity",
            "accounting_date",
            "due_date",
            "lines",
            "details",
            "totals",
            "actions",
        ]
        read_only_fields = fields

    def _totals(self, invoice: Invoice) -> Any:
        from invoicing.queries import invoice_totals

        cached = getattr(invoice, "_api_totals", None)
        if cached is None:
            cached = invoice_totals(invoice)
            invoice._api_totals = cached  # type: ignore[attr-defined]
        return cached

    def get_lines(self, invoice: Invoice) -> list[dict[str, Any]]:
        context = {**self.context, "line_amounts": self._totals(invoice).line_amounts}
        lines = InvoiceLine.objects.filter(invoice=invoice).order_by("pk")
        return list(InvoiceLineSerializer(lines, many=True, context=context).data)

    def get_details(self, invoice: Invoice) -> list[dict[str, Any]]:
        details = InvoiceDetail.objects.filter(invoice=invoice).order_by(
            "line_id", "transaction_date", "pk"
        )
        return list(InvoiceDetailSerializer(details, many=True).data)

    def get_totals(self, invoice: Invoice) -> dict[str, Any]:
        totals = self._totals(invoice)
        return dict(
            InvoiceTotalsSerializer(
                {
                    "net": totals.net,
                    "vat": totals.vat,
                    "gross": totals.gross,
                    "vat_rows": totals.vat_rows,
                    "vat_problems": totals.vat_problems,
                }
            ).data
        )

    def get_actions(self, invoice: Invoice) -> list[str]:
        if invoice.is_editable:
            return ["edit", "delete", "confirm"]
        if invoice.can_be_corrected():
            return ["correct"]
        return []


class VersionSerializer(strict.Serializer):
    version = strict.IntegerField(
        required=False,
        min_value=1,
        help_text=_("The version you loaded; an older one is refused (409)."),
    )


class InvoiceHeaderSerializer(strict.Serializer):
    version = strict.IntegerField(
        min_value=1, help_text=_("The version you loaded; an older one is refused (409).")
    )
    invoice_date = serializers.DateField(required=False, help_text=_("YYYY-MM-DD."))
    customer_reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("The customer's reference or PO number."),
    )
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text=_("Text on the invoice.")
    )


class DetailUpdateSerializer(strict.Serializer):
    version = strict.IntegerField(
        min_value=1, help_text=_("The invoice version you loaded; an older one is refused (409).")
    )
    quantity = strict.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("New quantity (T&M and fees); may not be negative."),
    )
    unit_price = strict.DecimalField(
        max_digits=20,
        decimal_places=4,
        required=False,
        help_text=_("New unit price (T&M and fees); may not be negative."),
    )
    billing_type = serializers.ChoiceField(
        choices=BillingType.choices,
        required=False,
        help_text=_("chargeable, non_chargeable or complimentary."),
    )
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text=_("Internal description.")
    )
    external_description = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text=_("Text on the invoice.")
    )


class CorrectionDetailSerializer(strict.Serializer):
    id = strict.IntegerField(help_text=_("A detail of the confirmed invoice."))
    remaining_quantity = strict.DecimalField(
        max_digits=20,
        decimal_places=2,
        help_text=_("The quantity that stays billed (0: credit all)."),
    )


class CorrectionSerializer(strict.Serializer):
    details = CorrectionDetailSerializer(
        many=True,
        required=False,
        help_text=_(
            "Details to correct with what stays billed (a credit note's: 0, to invoice again "
            "what it credited); omit to correct everything that can be."
        ),
    )
    invoice_date = serializers.DateField(
        required=False, help_text=_("The credit note's date (YYYY-MM-DD); default today.")
    )


# --- runs ------------------------------------------------------------------------------------


class InvoiceRunFailureSerializer(strict.ModelSerializer):
    contract_number = serializers.CharField(source="contract.number", read_only=True)

    class Meta:
        model = InvoiceRunFailure
        fields = ["contract", "contract_number", "message"]
        read_only_fields = fields


class InvoiceRunSerializer(strict.ModelSerializer):
    failures = InvoiceRunFailureSerializer(
        many=True, read_only=True, help_text=_("Contracts that failed, with the reason.")
    )

    class Meta:
        model = InvoiceRun
        fields = [
            "id",
            "run_date",
            "trigger",
            "status",
            "started_at",
            "finished_at",
            "started_by",
            "heartbeat_at",
            "retry_of",
            "batches_total",
            "batches_done",
            "contracts_total",
            "contracts_done",
            "invoices_count",
            "items_count",
            "failures_count",
            "amounts",
            "message",
            "failures",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "run_date": {"help_text": _("The day the run bills for.")},
            "heartbeat_at": {"help_text": _("When the run last made progress.")},
            "retry_of": {"help_text": _("The failed run this one retries.")},
            "message": {"help_text": _("Why the run failed, when it did.")},
            "trigger": {"help_text": _("schedule, command, api or portal.")},
            "status": {"help_text": _("running, done, failures (done with failures) or failed.")},
            "amounts": {"help_text": _('Amount invoiced per currency, e.g. {"EUR": "1600.00"}.')},
        }


class InvoiceRunCreateSerializer(strict.Serializer):
    run_date = serializers.DateField(
        help_text=_("Bill what is due on this day (YYYY-MM-DD), like the nightly run.")
    )
