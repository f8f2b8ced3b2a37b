"""Import and post of the integration journal as background jobs with progress
(:mod:`ledger.models.jobs`, :mod:`ledger.services.jobs`)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from ledger.models import JobStatus, JournalJob, JournalJobKind, JournalLineStatus, JournalStatus
from ledger.services import post_journal, run_journal_job, start_journal_job
from ledger.tasks import post_journal_job
from tests.factories import JournalFactory, JournalLineFactory

from .conftest import POSTED_AT

AT = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def eager_celery():
    from invoicing.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def journal(legal_entity):
    """Five draft lines; the third is in USD without an exchange rate, so it cannot post."""
    journal = JournalFactory(legal_entity=legal_entity)
    for n in range(5):
        JournalLineFactory(
            journal=journal,
            amount=Decimal("100.00"),
            currency="USD" if n == 2 else "EUR",
            accounting_amount=None if n == 2 else Decimal("100.00"),
        )
    return journal


def test_a_journal_posts_in_chunks_and_reports_progress_after_each(journal, accountant):
    calls = []

    result = post_journal(
        journal=journal,
        posted_by=accountant,
        posted_at=POSTED_AT,
        progress=lambda done, failed: calls.append((done, failed)),
        chunk=2,
    )

    assert calls == [(2, 0), (3, 1), (4, 1)]
    assert (result.posted, result.posted_without_entry, result.failed) == (4, 0, 1)
    assert list(journal.lines.order_by("pk").values_list("status", flat=True)) == [
        "posted",
        "posted",
        "draft",
        "posted",
        "posted",
    ]
    [failed] = journal.lines.filter(status=JournalLineStatus.DRAFT)
    assert failed.error_reason.startswith("No exchange rate from USD")
    journal.refresh_from_db()
    assert journal.status == JournalStatus.OPEN  # a line is left to fix


def test_the_post_button_runs_a_job_whose_page_shows_the_outcome(
    client, accountant, journal, eager_celery, django_capture_on_commit_callbacks
):
    client.force_login(accountant)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("ledger:journal-post", args=[journal.pk]))

    job = JournalJob.objects.get()
    assert response["Location"] == reverse("ledger:job-detail", args=[job.pk])
    assert (job.kind, job.journal, job.status, job.total, job.done, job.failed) == (
        JournalJobKind.POST,
        journal,
        JobStatus.DONE_WITH_FAILURES,
        5,
        4,
        1,
    )
    page = client.get(response["Location"]).content.decode()
    assert "Done with failures" in page
    assert '<progress id="job-progress" max="100" value="100"' in page
    assert f'href="/ledger/journals/{journal.pk}/?error=yes"' in page
    assert 'http-equiv="refresh"' not in page  # finished: no more reloading


def test_a_second_click_joins_the_running_job(journal, accountant):
    first, started = start_journal_job(
        kind=JournalJobKind.POST, task=post_journal_job, journal=journal, by=accountant, now=AT
    )
    second, again = start_journal_job(
        kind=JournalJobKind.POST, task=post_journal_job, journal=journal, by=accountant, now=AT
    )

    assert (started, again, second) == (True, False, first)
    assert JournalJob.objects.count() == 1


def test_a_job_whose_queue_cannot_be_reached_fails_at_once(
    journal, accountant, monkeypatch, django_capture_on_commit_callbacks
):
    """The broker is what leaves the process: stand-in for it being down."""
    from kombu.exceptions import OperationalError

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(post_journal_job, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        job, _started = start_journal_job(
            kind=JournalJobKind.POST, task=post_journal_job, journal=journal, by=accountant, now=AT
        )
    job.refresh_from_db()

    assert (job.status, job.finished_at, job.message) == (
        JobStatus.FAILED,
        AT,
        "The task queue could not be reached, so the job did not start (Error 111 connecting "
        "to 127.0.0.1:6399. Connection refused.). Start it again when the queue is back.",
    )
    assert journal.lines.filter(status=JournalLineStatus.POSTED).count() == 0


def test_a_job_without_progress_is_failed_by_the_beat_task(journal, accountant):
    from invoicing.tasks import fail_stalled_jobs

    job, _started = start_journal_job(
        kind=JournalJobKind.POST,
        task=post_journal_job,
        journal=journal,
        total=5,
        by=accountant,
        now=AT,  # its heartbeat: months ago
    )

    assert fail_stalled_jobs()["journal_jobs"] == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "(0 of 5 done)" in job.message


def test_a_task_delivered_twice_finds_its_job_taken(journal, accountant):
    job, _started = start_journal_job(
        kind=JournalJobKind.POST, task=post_journal_job, journal=journal, by=accountant, now=AT
    )
    calls = []

    def work(job, progress):
        calls.append(job.pk)
        return 0, 0

    assert run_journal_job(job_id=job.pk, work=work, clock=lambda: AT).status == JobStatus.DONE
    assert run_journal_job(job_id=job.pk, work=work, clock=lambda: AT) is None
    assert calls == [job.pk]
