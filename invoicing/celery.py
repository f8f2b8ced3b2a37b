"""The Celery application: Redis broker, tasks discovered in every app's ``tasks.py``.

Every task runs inside a ``pghistory.context`` that names it, so a change a task makes (the
nightly run's invoices, a posting batch, a journal import) shows in the audit trail as made by
that task rather than by nobody. One task class for the whole app, not a line in each task.
"""

import os
from typing import Any

import pghistory
from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoicing.settings")


class HistoryTask(Task):  # type: ignore[misc]
    """A task whose database changes carry ``{"task": <name>}`` in their history."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with pghistory.context(task=self.name):
            return super().__call__(*args, **kwargs)


app = Celery("invoicing", task_cls=HistoryTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
