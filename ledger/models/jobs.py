"""Background work of the integration journal: importing actuals, posting a journal.

A large journal (a firm's month: 100,000 lines) takes minutes, so neither runs inside a web
request: the page records a :class:`JournalJob`, a Celery task does the work in chunks, and
after every chunk moves the job's counts and heartbeat, so the job's page shows progress. A
job whose heartbeat stopped is marked failed by the beat task, like runs and posting batches
(``contracts.queueing.JobStatus``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contracts.queueing import JobStatus

from .journals import Journal


class JournalJobKind(models.TextChoices):
    IMPORT = "import", _("Import actuals")
    POST = "post", _("Post journal")


class JournalJob(models.Model):
    """``total`` is what the job found to do when it started; ``done`` what it finished (lines
    imported, or posted), ``failed`` lines left in draft with their reason."""

    kind = models.CharField(_("kind"), max_length=10, choices=JournalJobKind.choices)
    journal = models.ForeignKey(
        Journal,
        models.PROTECT,
        verbose_name=_("journal"),
        null=True,
        blank=True,
        related_name="jobs",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started at"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, verbose_name=_("started by"), related_name="+"
    )
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    #: When a worker took the job: one worker does it, a task delivered again finds it taken.
    claimed_at = models.DateTimeField(_("taken by a worker at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    total = models.PositiveIntegerField(_("to do"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)

    class Meta:
        verbose_name = _("journal job")
        verbose_name_plural = _("journal jobs")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="journaljob_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="import", journal__isnull=True)
                | Q(kind="post", journal__isnull=False),
                name="journaljob_post_names_its_journal",
            ),
            # One running import, and one running post per journal: a second click joins it.
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status="running", kind="import"),
                name="journaljob_one_running_import",
            ),
            models.UniqueConstraint(
                fields=["journal"],
                condition=Q(status="running", kind="post"),
                name="journaljob_one_running_post_per_journal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def percent(self) -> int:
        handled = self.done + self.failed
        return 100 if not self.total else min(100, round(100 * handled / self.total))
