"""Celery tasks of the actuals app: thin wrappers that take ids and call one service."""

from celery import shared_task
from django.utils import timezone

from actuals.journal import import_actuals, run_import_job
from actuals.services.billing import reevaluate_nte
from contracts.models import Contract


@shared_task
def reevaluate_nte_task(contract_id: int) -> int:
    """Re-check a contract's not-to-exceed failures (after a limit was raised); returns how
    many now pass."""
    return len(reevaluate_nte(contract=Contract.objects.get(pk=contract_id)))


@shared_task
def import_actuals_to_journal() -> dict[str, int]:
    """Import approved actuals into the integration journal (run hourly by beat); returns the
    counts."""
    result = import_actuals(now=timezone.now())
    return {
        "lines": result.lines,
        "journals": result.journals,
        "journals_created": result.journals_created,
    }


@shared_task
def import_journal_job(job_id: int) -> int:
    """Import approved actuals for an *import* job recorded by the journals page."""
    run_import_job(job_id=job_id, clock=timezone.now)
    return job_id
