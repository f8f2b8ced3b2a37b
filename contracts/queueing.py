"""Sending a background job's task, and what happens when the task queue is down.

Every job the pages and the API start (an invoice run, a posting batch, a journal import or
post) is recorded *running* in the request's transaction and its task is sent when that
transaction commits. :func:`queue_after_commit` is that send: when the broker cannot be
reached it does not fail the request after Celery's retries; it calls ``unreachable`` with
the reason, which marks the job *failed* with a message saying to start it again when the
queue is back (so nothing is left *running* for the beat task to find minutes later). The API
then answers 503 with ``Retry-After``, the pages say what happened.

``CELERY_TASK_PUBLISH_RETRY_POLICY`` and the result backend's retry policy (settings) keep the
wait short: with Redis stopped, a journal job was failed in 0.2 s, not after Celery's retries
of some twenty seconds.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

#: What the API tells a client to wait before trying again when the queue is down (seconds).
RETRY_AFTER_SECONDS = 30


class JobStatus(models.TextChoices):
    """The status of every background job (invoice runs, posting batches, journal jobs): one
    set of values, so the beat task fails any stalled one the same way."""

    RUNNING = "running", gettext_lazy("Running")
    DONE = "done", gettext_lazy("Done")
    DONE_WITH_FAILURES = "failures", gettext_lazy("Done with failures")
    FAILED = "failed", gettext_lazy("Failed")


def failure_reason(error: BaseException) -> str:
    """A failure as one sentence a person reads: a refusal's messages, else the error's first
    line (PostgreSQL's CONTEXT lines left out)."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def unreachable_message(what: Any, error: BaseException) -> str:
    return _(
        "The task queue could not be reached, so the %(what)s did not start (%(error)s). Start "
        "it again when the queue is back."
    ) % {"what": what, "error": failure_reason(error)}


def queue_after_commit(task: Any, pk: int, *, unreachable: Callable[[BaseException], None]) -> None:
    """``task.delay(pk)`` when the transaction commits; ``unreachable(error)`` instead of an
    exception when the broker cannot be reached."""

    def send() -> None:
        try:
            task.delay(pk)
        except Exception as error:  # any broker or connection error: the job cannot start
            logger.warning("%s(%s): not queued: %s", getattr(task, "name", task), pk, error)
            unreachable(error)

    transaction.on_commit(send)


def announce_started(request: HttpRequest, job: Any, text: str) -> None:
    """A page's message for a job the request started: ``text``, or, when its task queue could
    not be reached (the job is failed already, :func:`queue_after_commit`), the job's reason as
    an error. The API's counterpart is ``contracts.api.base.job_started``."""
    job.refresh_from_db(fields=["status", "message"])
    if job.status == JobStatus.FAILED:
        messages.error(request, job.message)
    else:
        messages.success(request, text)
