"""``/api/v1/invoices/`` and ``/api/v1/contracts/{id}/create-invoice/``: pro-forma invoices.

Permissions are the model's (view / add / change / delete ``invoicing.invoice``) plus
``invoicing.confirm_invoice`` to confirm and ``invoicing.correct_invoice`` to correct. A
project manager sees the invoices of their own contracts; anything else is 404. Every write
goes through :mod:`invoicing.services`; a state that forbids it (a confirmed invoice, a stale
``version``) is 409 with the service's message, bad input 400 naming the field.

Every action that changes an invoice answers with the invoice as GET shows it: read again
after the write, in one place (``InvoiceViewSet._read``, through ``get_queryset``, so with the
``net`` and ``detail_count`` annotations), never from the instance the service was given (the
post answer once said ``"net": "0.00"`` that way). Post and proposal add the posting fields.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts.api.base import ModelPermissions, StableOrderingFilter, requires
from contracts.queries import contracts_visible_to, milestones_visible_to
from invoicing.filters import InvoiceFilter, backlog_visible_to, invoices_visible_to, with_net
from invoicing.models import Invoice, InvoiceDetail
from invoicing.serializers import (
    BillingResultSerializer,
    CorrectionSerializer,
    CreateInvoiceSerializer,
    DetailUpdateSerializer,
    FromSelectionSerializer,
    InvoiceHeaderSerializer,
    InvoiceListSerializer,
    InvoiceSerializer,
    VersionSerializer,
)
from invoicing.services import (
    BillingResult,
    confirm_invoice,
    create_correction,
    create_invoice_for_contract,
    delete_draft,
    invoice_selection,
    remove_detail,
    update_detail,
    update_header,
)

from .base import CONFLICT, ERRORS, today
from .posting import PostingActionsMixin


def billing_message(result: BillingResult) -> str:
    """ "2 invoices created or extended with 12 items" (or that there was nothing ready)."""
    if not result.items:
        return _("Nothing was ready to invoice: no invoice was created.")
    invoices = ngettext(
        "%(n)d invoice created or extended",
        "%(n)d invoices created or extended",
        len(result.invoice_ids),
    ) % {"n": len(result.invoice_ids)}
    items = ngettext("with %(n)d item", "with %(n)d items", result.items) % {"n": result.items}
    return f"{invoices} {items}."


def _billing_response(result: BillingResult) -> Response:
    data = {
        "invoices": sorted(result.invoice_ids),
        "items": result.items,
        "amounts": dict(sorted(result.amounts.items())),
        "detail": billing_message(result),
    }
    out = BillingResultSerializer(data).data
    return Response(out, status=status.HTTP_201_CREATED if result.items else status.HTTP_200_OK)


def _version_from(request: Request) -> int | None:
    """``version`` from the body or the query string (DELETE bodies are optional)."""
    raw = request.data.get("version") if hasattr(request.data, "get") else None
    if raw in (None, ""):
        raw = request.query_params.get("version")
    if raw in (None, ""):
        return None
    payload = VersionSerializer(data={"version": raw})
    payload.is_valid(raise_exception=True)
    return int(payload.validated_data["version"])


@extend_schema(
    summary="Create invoices from a contract's ready items",
    request=CreateInvoiceSerializer,
    responses={
        201: BillingResultSerializer,
        200: BillingResultSerializer,
        **ERRORS,
        **CONFLICT,
    },
)
class ContractCreateInvoiceView(APIView):
    """Every ready item of the contract (T&M items dated up to ``up_to`` when given, and ready
    milestones) onto one draft per contract customer, joining an open draft where there is
    one. 201 with the drafts' ids when something was invoiced; 200 with ``items: 0`` when
    nothing was ready."""

    permission_classes = [requires("contracts.view_contract", "invoicing.add_invoice")]

    def post(self, request: Request, pk: int) -> Response:
        contract = get_object_or_404(contracts_visible_to(request.user), pk=pk)
        payload = CreateInvoiceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = create_invoice_for_contract(
            contract=contract,
            up_to=payload.validated_data.get("up_to"),
            invoice_date=payload.validated_data.get("invoice_date") or today(),
            by=request.user,
            now=timezone.now(),
        )
        return _billing_response(result)


_INVOICE = {200: InvoiceSerializer, **ERRORS, **CONFLICT}


@extend_schema_view(
    list=extend_schema(summary="Invoices (pro-forma, confirmed, posted, credit notes)"),
    retrieve=extend_schema(summary="One invoice with lines, details, totals and VAT rows"),
    partial_update=extend_schema(
        summary="Change a draft's header",
        request=InvoiceHeaderSerializer,
        responses=_INVOICE,
    ),
    destroy=extend_schema(
        summary="Delete a draft (its items go back to the backlog as ready)",
        parameters=[
            OpenApiParameter("version", int, description="The version you loaded (optional).")
        ],
        responses={204: None, **ERRORS, **CONFLICT},
    ),
)
class InvoiceViewSet(
    PostingActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Pro-forma invoices and credit notes.

    PATCH changes a draft's header (``invoice_date``, ``customer_reference``,
    ``description``) and needs the ``version`` you loaded: if someone saved the invoice since,
    the change is refused with 409 and a message saying so (nothing is lost silently).
    ``details/{id}/`` edits or removes a detail; ``confirm`` makes the invoice final;
    ``correct`` makes a credit note from a confirmed one.
    """

    permission_classes = [ModelPermissions]
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_class = InvoiceFilter
    ordering_fields = ["id", "invoice_date", "status", "contract", "customer", "created_at"]
    ordering = ["-invoice_date"]
    queryset = Invoice.objects.all()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Invoice]:
        return with_net(invoices_visible_to(self.request.user)).select_related(
            "contract", "customer"
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "list":
            return InvoiceListSerializer
        return InvoiceSerializer

    def _read(
        self,
        pk: int,
        *,
        code: int = status.HTTP_200_OK,
        serializer: type[InvoiceSerializer] = InvoiceSerializer,
    ) -> Response:
        """The answer of every action that changes an invoice (header, detail, confirm, correct,
        proposal, post): the invoice read again after the service's write, through
        :meth:`get_queryset` as GET reads it (with the ``net`` and ``detail_count``
        annotations), never the instance the service was given. ``serializer`` adds fields
        (:class:`~invoicing.api.posting.PostedInvoiceSerializer`: the posting)."""
        invoice = self.get_queryset().select_related("ledger_entry").get(pk=pk)
        return Response(serializer(invoice).data, status=code)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        invoice = self.get_object()
        payload = InvoiceHeaderSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        update_header(invoice=invoice, **data)
        return self._read(invoice.pk)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        invoice = self.get_object()
        delete_draft(invoice=invoice, at=timezone.now(), version=_version_from(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Change or remove one detail",
        request=DetailUpdateSerializer,
        responses=_INVOICE,
        parameters=[
            OpenApiParameter("version", int, description="DELETE: the version you loaded.")
        ],
    )
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"details/(?P<detail_id>\d+)",
        url_name="detail-change",
        permission_classes=[requires("invoicing.view_invoice", "invoicing.change_invoice")],
    )
    def change_detail(
        self, request: Request, pk: str | None = None, detail_id: str = ""
    ) -> Response:
        """PATCH: quantity, unit price and billing type (T&M and fees), texts (every detail);
        needs ``version``. DELETE: remove the detail; its item goes back to the backlog as
        ready. Both answer with the whole invoice (with its new version)."""
        invoice = self.get_object()
        detail = get_object_or_404(InvoiceDetail, pk=int(detail_id), invoice=invoice)
        if request.method == "DELETE":
            remove_detail(detail=detail, at=timezone.now(), version=_version_from(request))
            return self._read(invoice.pk)
        payload = DetailUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        update_detail(detail=detail, **payload.validated_data)
        return self._read(invoice.pk)

    @extend_schema(summary="Confirm the invoice", request=VersionSerializer, responses=_INVOICE)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[requires("invoicing.view_invoice", "invoicing.confirm_invoice")],
    )
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Draft or in review → confirmed (one way): the unbilled actuals are reversed and
        billed actuals written (DOMAIN.md §5); the invoice becomes read-only. A confirmed
        invoice, an empty one or a stale ``version`` is 409."""
        invoice = self.get_object()
        confirm_invoice(
            invoice=invoice, by=request.user, at=timezone.now(), version=_version_from(request)
        )
        return self._read(invoice.pk)

    @extend_schema(
        summary="Correct a confirmed invoice (credit note) or credit note (invoice it again)",
        request=CorrectionSerializer,
        responses={201: InvoiceSerializer, **ERRORS, **CONFLICT},
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[requires("invoicing.view_invoice", "invoicing.correct_invoice")],
    )
    def correct(self, request: Request, pk: str | None = None) -> Response:
        """Of a confirmed invoice, a credit-note draft: ``details`` lists ``{id,
        remaining_quantity}`` (the quantity that stays billed now; 0 credits all); omit it to
        credit everything still billed. A detail can be corrected again until nothing of it is
        billed; crediting more than is billed is 400 naming the detail. Of a confirmed credit
        note, an invoice draft that bills again what it credited: ``details`` lists the credit
        details with ``remaining_quantity`` 0 (or omit it for all). A detail that cannot be
        corrected now says why (400); a draft, or nothing left to correct, is 409 / 400."""
        invoice = self.get_object()
        payload = CorrectionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rows = payload.validated_data.get("details")
        remaining = None if rows is None else {r["id"]: r["remaining_quantity"] for r in rows}
        credit = create_correction(
            invoice=invoice,
            remaining=remaining,
            invoice_date=payload.validated_data.get("invoice_date") or today(),
            by=request.user,
            now=timezone.now(),
        )
        return self._read(credit.pk, code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Invoice a backlog selection",
        request=FromSelectionSerializer,
        responses={201: BillingResultSerializer, 200: BillingResultSerializer, **ERRORS},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="from-selection",
        permission_classes=[requires("invoicing.view_invoice", "invoicing.add_invoice")],
    )
    def from_selection(self, request: Request) -> Response:
        """Only the selected items that are ready, onto drafts (one per contract × contract
        customer, joining an open draft). Ids you may not see are 400 naming them."""
        payload = FromSelectionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        actual_ids = list(dict.fromkeys(payload.validated_data["actual_ids"]))
        milestone_ids = list(dict.fromkeys(payload.validated_data["milestone_ids"]))
        errors: dict[str, list[str]] = {}
        unknown = set(actual_ids) - set(
            backlog_visible_to(request.user).filter(pk__in=actual_ids).values_list("pk", flat=True)
        )
        if unknown:
            errors["actual_ids"] = [
                _("Unknown backlog items: %(ids)s.") % {"ids": ", ".join(map(str, sorted(unknown)))}
            ]
        unknown = set(milestone_ids) - set(
            milestones_visible_to(request.user)
            .filter(pk__in=milestone_ids)
            .values_list("pk", flat=True)
        )
        if unknown:
            errors["milestone_ids"] = [
                _("Unknown milestones: %(ids)s.") % {"ids": ", ".join(map(str, sorted(unknown)))}
            ]
        if errors:
            raise ValidationError(errors)
        result = invoice_selection(
            actual_ids=actual_ids,
            milestone_ids=milestone_ids,
            contracts=contracts_visible_to(request.user),
            invoice_date=payload.validated_data.get("invoice_date") or today(),
            by=request.user,
            now=timezone.now(),
        )
        return _billing_response(result)
