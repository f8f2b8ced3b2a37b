"""Background jobs that end: a job record (an invoice run, a posting batch) carries a heartbeat
that its worker moves as it makes progress. A job still *running* whose heartbeat stopped for
``JOB_STALLED_AFTER_MINUTES`` (the worker was killed, lost its broker, or never took the task)
is marked *failed* with the reason, by a beat task every few minutes, so nobody waits on it for
ever and it can be retried."""

import datetime as dt
import logging

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext as _

from contracts.numbers import show_date
from invoicing.models import RunStatus

logger = logging.getLogger(__name__)


def stalled_after() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "JOB_STALLED_AFTER_MINUTES", 10)))


def fail_stalled(
    jobs: "models.QuerySet[models.Model]", *, now: dt.datetime, what: str, progress: str
) -> list[int]:
    """Mark the running jobs of ``jobs`` without progress since :func:`stalled_after` as
    *failed*; ``progress`` says how far each got (formatted with the job's fields). Returns
    their ids. Jobs locked by their worker right now are busy, so they are skipped."""
    failed = []
    with transaction.atomic():
        for job in jobs.select_for_update(skip_locked=True, no_key=True).filter(
            status=RunStatus.RUNNING, heartbeat_at__lt=now - stalled_after()
        ):
            last = show_date(job.heartbeat_at)  # type: ignore[attr-defined]
            job.status = RunStatus.FAILED  # type: ignore[attr-defined]
            job.finished_at = now  # type: ignore[attr-defined]
            job.message = _(  # type: ignore[attr-defined]
                "No progress since %(at)s (%(progress)s): the worker running it stopped "
                "(killed, or its broker was lost) or no worker took it. What it finished stays "
                "done; start it again for the rest."
            ) % {"at": last, "progress": progress % job.__dict__}
            job.save(update_fields=["status", "finished_at", "message"])
            logger.error("%s %s failed: %s", what, job.pk, job.message)  # type: ignore[attr-defined]
            failed.append(job.pk)
    return failed
