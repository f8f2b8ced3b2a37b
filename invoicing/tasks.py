"""Celery tasks of the billing app: thin wrappers that take ids and call one service.

An invoice run is executed by many small tasks: :func:`execute_invoice_run` plans it and queues
one :func:`bill_invoice_run_batch` per batch of contracts on the queue it came from, so every
worker listening there bills batches side by side (:mod:`invoicing.services.runs`).
"""

from typing import Any

from celery import shared_task


@shared_task(name="invoicing.ping")
def ping() -> str:
    """A health check: a worker that answers "pong" is connected to the broker."""
    return "pong"


def _dispatch(task: Any, run_id: int) -> int:
    """Plan the run and queue its batches on the queue this task was delivered on."""
    from django.utils import timezone

    from invoicing.models import InvoiceRun
    from invoicing.services import plan_run

    run = InvoiceRun.objects.get(pk=run_id)
    queue = (task.request.delivery_info or {}).get("routing_key") or None
    for number, contract_ids in enumerate(plan_run(run=run, now=timezone.now()), start=1):
        bill_invoice_run_batch.apply_async((run.pk, number, contract_ids), queue=queue)
    return run.pk


@shared_task(name="invoicing.tasks.nightly_invoice_run", bind=True)
def nightly_invoice_run(self: Any) -> int:
    """The beat schedule's nightly run, for today in the product's time zone."""
    from django.utils import timezone

    from invoicing.models import RunTrigger
    from invoicing.services import record_run

    run = record_run(
        run_date=timezone.localdate(), trigger=RunTrigger.SCHEDULE, by=None, now=timezone.now()
    )
    return _dispatch(self, run.pk)


@shared_task(name="invoicing.tasks.execute_invoice_run", bind=True)
def execute_invoice_run(self: Any, run_id: int) -> int:
    """Carry out a run recorded by the API, a page or a retry."""
    return _dispatch(self, run_id)


@shared_task(name="invoicing.tasks.bill_invoice_run_batch")
def bill_invoice_run_batch(run_id: int, batch: int, contract_ids: list[int]) -> int:
    """Bill one batch of a run's contracts."""
    from django.utils import timezone

    from invoicing.models import InvoiceRun
    from invoicing.services import bill_run_batch

    bill_run_batch(
        run=InvoiceRun.objects.get(pk=run_id),
        batch=batch,
        contract_ids=contract_ids,
        clock=timezone.now,
    )
    return run_id


@shared_task(name="invoicing.tasks.fail_stalled_jobs")
def fail_stalled_jobs() -> dict[str, list[int]]:
    """Mark runs, posting batches and journal jobs whose worker stopped as failed, with the
    reason."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from invoicing.services import fail_stalled_posting_batches, fail_stalled_runs
    from invoicing.services.progress import fail_stalled
    from ledger.models import JournalJob

    now = timezone.now()
    return {
        "runs": fail_stalled_runs(now=now),
        "posting_batches": fail_stalled_posting_batches(now=now),
        "journal_jobs": fail_stalled(
            JournalJob.objects.all(),
            now=now,
            what="journal job",
            progress=_("%(done)d of %(total)d done"),
        ),
    }


@shared_task(name="invoicing.tasks.post_invoice_batch")
def post_invoice_batch(batch_id: int) -> int:
    """Post the invoice proposals of a *post selected* batch recorded by the API or a page."""
    from django.utils import timezone

    from invoicing.models import PostingBatch
    from invoicing.services import run_posting_batch

    run_posting_batch(batch=PostingBatch.objects.get(pk=batch_id), clock=timezone.now)
    return batch_id
