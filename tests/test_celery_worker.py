"""A real Celery worker, on the Redis of ``REDIS_URL``, runs the project's tasks.

The worker consumes a queue of its own, so a ``make run`` worker on the same Redis never takes
the test's message (and the test never takes theirs).
"""

import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from invoicing.celery import app
from invoicing.tasks import ping

pytestmark = pytest.mark.worker


def test_the_app_uses_the_redis_of_redis_url():
    assert app.conf.broker_url == settings.REDIS_URL
    assert settings.REDIS_URL.startswith("redis://")
    assert "invoicing.ping" in app.tasks


def test_a_real_worker_runs_a_task_sent_through_redis():
    queue = f"test-{uuid.uuid4().hex}"
    with start_worker(
        app, pool="solo", queues=[queue], perform_ping_check=False, loglevel="WARNING"
    ):
        result = ping.apply_async(queue=queue)

        assert result.get(timeout=30) == "pong"
        assert result.state == "SUCCESS"
