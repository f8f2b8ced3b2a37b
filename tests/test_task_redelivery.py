"""The settings that make a killed worker's task come back (settings: "Faults that heal"), as
the Celery app reads them, in a process of their own per environment.

The visibility timeout defaults to half the stall window and must stay inside it; the sweep that
restores unacknowledged messages runs every tenth of the timeout. The heal itself, with real
workers: ``tests/invoicing/test_killed_worker.py``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

READ_CONF = """
import json
from invoicing.celery import app
print(json.dumps({
    "acks_late": app.conf.task_acks_late,
    "reject_on_worker_lost": app.conf.task_reject_on_worker_lost,
    "transport_options": app.conf.broker_transport_options,
}))
"""


def celery_conf(**env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TASK_VISIBILITY_TIMEOUT", "JOB_STALLED_AFTER_MINUTES"}
    }
    return subprocess.run(
        [sys.executable, "-c", READ_CONF],
        cwd=ROOT,
        env={**base, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_by_default_a_task_comes_back_after_half_the_stall_window():
    result = celery_conf()

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "transport_options": {
            "visibility_timeout": 300,  # JOB_STALLED_AFTER_MINUTES 10 -> 600 s / 2
            "unacked_restore_interval": 30,
            "unacked_restore_throttle": 1,
            "unacked_mutex_expire": 30,
        },
    }


def test_the_timeout_follows_the_stall_window_or_is_set_in_seconds():
    derived = celery_conf(JOB_STALLED_AFTER_MINUTES="30")
    explicit = celery_conf(TASK_VISIBILITY_TIMEOUT="2")

    assert json.loads(derived.stdout)["transport_options"] == {
        "visibility_timeout": 900,
        "unacked_restore_interval": 90,
        "unacked_restore_throttle": 1,
        "unacked_mutex_expire": 90,
    }
    assert json.loads(explicit.stdout)["transport_options"] == {
        "visibility_timeout": 2,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
        "unacked_mutex_expire": 1,
    }


def test_a_timeout_not_inside_the_stall_window_refuses_to_start():
    message = (
        "TASK_VISIBILITY_TIMEOUT must be more than 0 and less than JOB_STALLED_AFTER_MINUTES "
        "in seconds: a killed worker's task must be redelivered before its job is failed."
    )
    for timeout in ("600", "0"):
        result = celery_conf(TASK_VISIBILITY_TIMEOUT=timeout)

        assert result.returncode != 0
        assert message in result.stderr, result.stderr
