"""Celery tasks of the contracts app: thin wrappers that call one service."""

from celery import shared_task
from django.utils import timezone

from contracts.idempotency import purge_expired_keys


@shared_task(name="contracts.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Delete the API's ``Idempotency-Key`` rows older than 24 hours (run hourly by beat);
    returns how many."""
    return purge_expired_keys(now=timezone.now())
