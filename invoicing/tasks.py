"""Celery tasks of the billing app: thin wrappers that take ids and call one service."""

from celery import shared_task


@shared_task(name="invoicing.ping")
def ping() -> str:
    """A health check: a worker that answers "pong" is connected to the broker."""
    return "pong"


@shared_task(name="invoicing.tasks.nightly_invoice_run")
def nightly_invoice_run() -> int:
    """The beat schedule's nightly run, for today in the product's time zone."""
    from django.utils import timezone

    from invoicing.models import RunTrigger
    from invoicing.services import execute_run, start_run

    run = start_run(
        run_date=timezone.localdate(), trigger=RunTrigger.SCHEDULE, by=None, now=timezone.now()
    )
    execute_run(run=run, clock=timezone.now)
    return run.pk


@shared_task(name="invoicing.tasks.execute_invoice_run")
def execute_invoice_run(run_id: int) -> int:
    """Carry out a run recorded by the API or the portal."""
    from django.utils import timezone

    from invoicing.models import InvoiceRun
    from invoicing.services import execute_run

    execute_run(run=InvoiceRun.objects.get(pk=run_id), clock=timezone.now)
    return run_id


@shared_task(name="invoicing.tasks.post_invoice_batch")
def post_invoice_batch(batch_id: int) -> int:
    """Post the invoice proposals of a *post selected* batch recorded by the API or a page."""
    from django.utils import timezone

    from invoicing.models import PostingBatch
    from invoicing.services import run_posting_batch

    run_posting_batch(batch=PostingBatch.objects.get(pk=batch_id), clock=timezone.now)
    return batch_id
