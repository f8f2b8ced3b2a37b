"""Journal jobs (:mod:`ledger.models.jobs`): record one, queue its task, run its work with
progress, finish it, or fail it with the reason.

:func:`run_journal_job` is the one runner: the import (:mod:`actuals.journal`) and the post
(:func:`ledger.services.post_journal`) pass it their work, which reports ``(done, failed)``
after every chunk. A job whose worker died is failed by the beat task
(``invoicing.tasks.fail_stalled_jobs``).

**Delivered twice.** Tasks are acknowledged late and redelivered after the visibility timeout
(``TASK_VISIBILITY_TIMEOUT``, settings), so a job's task may arrive again while the first
delivery is still running (a post that takes longer than the timeout) or after its worker was
killed. The job is claimed once: one ``UPDATE … WHERE claimed_at IS NULL`` (atomic in
PostgreSQL: of two workers exactly one sees a row updated), so the second delivery does nothing
and the first goes on alone. After a kill that means no second attempt either: the job stops
moving its heartbeat, the beat task fails it, and it is started again from the page (a post
leaves the lines it posted posted; an import is idempotent). Decision: no resuming, because a
second delivery cannot tell a first worker that is merely slow from a dead one.
"""

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contracts.queueing import failure_reason, queue_after_commit, unreachable_message
from ledger.models import JobStatus, Journal, JournalJob

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
#: Reports ``(done, failed)`` so far.
Progress = Callable[[int, int], None]


def start_journal_job(
    *,
    kind: str,
    task: Any,
    by: Any,
    now: dt.datetime,
    journal: Journal | None = None,
    total: int = 0,
) -> tuple[JournalJob, bool]:
    """Record a running job and queue ``task(job.pk)`` (:func:`queue_journal_job`). Returns
    ``(job, True)``; or ``(the running one, False)`` when an import, or a post of this journal,
    is running already (a second click joins it; the database allows only one)."""
    running = JournalJob.objects.filter(kind=kind, journal=journal, status=JobStatus.RUNNING)
    if (job := running.first()) is not None:
        return job, False
    try:
        with transaction.atomic():
            job = JournalJob.objects.create(
                kind=kind,
                journal=journal,
                started_by=by,
                started_at=now,
                heartbeat_at=now,
                total=total,
            )
            queue_journal_job(job, task, now)
    except IntegrityError:  # started by someone else a moment ago
        return running.get(), False
    return job, True


def queue_journal_job(job: JournalJob, task: Any, now: dt.datetime) -> None:
    """Send ``task(job.pk)`` when the transaction commits; a broker that cannot be reached
    fails the job at once, saying so (:mod:`contracts.queueing`)."""

    def unreachable(error: BaseException) -> None:
        JournalJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED,
            finished_at=now,
            message=unreachable_message(_("job"), error),
        )

    queue_after_commit(task, job.pk, unreachable=unreachable)


def run_journal_job(
    *, job_id: int, work: Callable[[JournalJob, Progress], tuple[int, int]], clock: Clock
) -> JournalJob | None:
    """Run ``work(job, progress)`` for a running job; it returns ``(done, failed)``. The counts
    and heartbeat move with every ``progress`` call; the job ends *done*, *done with
    failures* (lines left in draft with their reasons) or *failed* (the work raised: what it
    finished stays done). The job is claimed first (``claimed_at``), atomically: ``None``, and
    nothing done, when it is not running or another worker has it (a task delivered twice)."""
    now = clock()
    taken = JournalJob.objects.filter(
        pk=job_id, status=JobStatus.RUNNING, claimed_at__isnull=True
    ).update(claimed_at=now, heartbeat_at=now)
    if not taken:
        return None
    job = JournalJob.objects.select_related("journal", "started_by").get(pk=job_id)
    # A job failed meanwhile (the beat task found it stalled) keeps its status and reason.
    running = JournalJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING)

    def progress(done: int, failed: int) -> None:
        running.update(done=done, failed=failed, heartbeat_at=clock())

    try:
        done, failed = work(job, progress)
    except Exception as error:
        logger.exception("journal job %s failed", job.pk)
        running.update(status=JobStatus.FAILED, finished_at=clock(), message=failure_reason(error))
    else:
        running.update(
            status=JobStatus.DONE_WITH_FAILURES if failed else JobStatus.DONE,
            done=done,
            failed=failed,
            heartbeat_at=clock(),
            finished_at=clock(),
        )
    return JournalJob.objects.get(pk=job.pk)
