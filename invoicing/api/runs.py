"""``/api/v1/invoice-runs/``: invoice runs, and starting one from the API.

POST ``{"run_date": "YYYY-MM-DD"}`` records a run (``start_run``, trigger *api*) and queues
the same work the nightly schedule does (``invoicing.tasks.execute_invoice_run``, sent when
the transaction commits); it answers 202 with the run, whose counts fill in as it goes
(``GET /api/v1/invoice-runs/{id}/``); a task queue that cannot be reached is 503 with
``Retry-After`` and the run recorded failed (``contracts.api.base.job_started``). A run whose worker died is marked *failed* with the
reason within minutes; ``POST /api/v1/invoice-runs/{id}/retry/`` starts a new run for its date
(202), 409 unless it failed. Reading needs ``invoicing.view_invoicerun``; starting and retrying
``invoicing.add_invoicerun``.
"""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from contracts.api.base import ModelPermissions, StableOrderingFilter, job_started, requires
from invoicing.filters import runs_visible_to
from invoicing.models import InvoiceRun, InvoiceRunFailure, RunTrigger
from invoicing.serializers import InvoiceRunCreateSerializer, InvoiceRunSerializer
from invoicing.services import retry_run, start_run

from .base import CONFLICT, ERRORS, QUEUE_DOWN


@extend_schema_view(
    create=extend_schema(
        summary="Start an invoice run for a date",
        request=InvoiceRunCreateSerializer,
        responses={202: InvoiceRunSerializer, **ERRORS, **QUEUE_DOWN},
    ),
)
class InvoiceRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Invoice runs (nightly, command line, API, portal) with their counts and failures."""

    permission_classes = [ModelPermissions]
    serializer_class = InvoiceRunSerializer
    filter_backends = [StableOrderingFilter]
    ordering_fields = ["id", "run_date", "started_at"]
    ordering = ["-started_at"]
    queryset = InvoiceRun.objects.all()

    def get_queryset(self) -> QuerySet[InvoiceRun]:
        return runs_visible_to(self.request.user).prefetch_related(
            Prefetch(
                "failures",
                queryset=InvoiceRunFailure.objects.select_related("contract").order_by("pk"),
            )
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = InvoiceRunCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run = start_run(
            run_date=payload.validated_data["run_date"],
            trigger=RunTrigger.API,
            by=request.user,
            now=timezone.now(),
        )
        return job_started(
            run, InvoiceRunSerializer(self.get_queryset().get(pk=run.pk)).data, name="run"
        )

    @extend_schema(
        summary="Retry a failed invoice run",
        request=None,
        responses={202: InvoiceRunSerializer, **ERRORS, **CONFLICT, **QUEUE_DOWN},
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[requires("invoicing.view_invoicerun", "invoicing.add_invoicerun")],
    )
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """A new run for the failed run's date: it bills whatever is still due (what the failed
        run billed stays billed). 409 while the run is running or when it succeeded."""
        retry = retry_run(
            run=self.get_object(), trigger=RunTrigger.API, by=request.user, now=timezone.now()
        )
        return job_started(
            retry, InvoiceRunSerializer(self.get_queryset().get(pk=retry.pk)).data, name="run"
        )
