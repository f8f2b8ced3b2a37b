"""Sending a background job's task, and what happens when the task queue is down.

Every job the pages and the API start (an invoice run, a posting batch, a journal import or
post) is recorded *running* in the request's transaction and its task is sent when that
transaction commits. :func:`queue_after_commit` is that send: when the broker cannot be
reached it does not fail the request after Celery's retries; it calls ``unreachable`` with
the reason, which marks the job *failed* with a message saying to start it again when the
queue is back (so nothing is left *running* for the beat task to find minutes later). The API
then answers 503 with ``Retry-After``, the pages say what happened.

``CELERY_TASK_PUBLISH_RETRY_POLICY`` (settings) keeps the wait short: a second, not Celery's
default of three retries over some twenty seconds.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

#: What the API tells a client to wait before trying again when the queue is down (seconds).
RETRY_AFTER_SECONDS = 30


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def unreachable_message(what: Any, error: BaseException) -> str:
    return _(
        "The task queue could not be reached, so the %(what)s did not start (%(error)s). Start "
        "it again when the queue is back."
    ) % {"what": what, "error": first_line(error)}


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
