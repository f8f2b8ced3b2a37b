"""Celery tasks of the ledger: thin wrappers that take ids and call one service."""

from celery import shared_task
from django.utils import timezone

from ledger.models import JournalJob
from ledger.services import post_journal, run_journal_job
from ledger.services.jobs import Progress


@shared_task
def post_journal_job(job_id: int) -> int:
    """Post the journal of a *post journal* job recorded by the page."""

    def work(job: JournalJob, progress: Progress) -> tuple[int, int]:
        assert job.journal is not None  # a post job names its journal (check constraint)
        result = post_journal(
            journal=job.journal,
            posted_by=job.started_by,
            posted_at=timezone.now(),
            progress=progress,
        )
        return result.posted + result.posted_without_entry, result.failed

    run_journal_job(job_id=job_id, work=work, clock=timezone.now)
    return job_id
