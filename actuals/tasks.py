"""Celery tasks of the actuals app: thin wrappers that take ids and call one service."""

from celery import shared_task

from actuals.nte import reevaluate_nte
from contracts.models import Contract


@shared_task
def reevaluate_nte_task(contract_id: int) -> int:
    """Re-check a contract's not-to-exceed failures (after a limit was raised); returns how
    many now pass."""
    return len(reevaluate_nte(contract=Contract.objects.get(pk=contract_id)))
