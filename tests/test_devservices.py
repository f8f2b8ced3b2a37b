"""scripts/devservices.py: given services win; the embedded Redis really starts and stops."""

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "devservices.py"


def load_devservices():
    spec = importlib.util.spec_from_file_location("devservices", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def redis_ping(url: str) -> bytes:
    host_port = url.removeprefix("redis://").split("/")[0]
    host, port = host_port.split(":")
    with socket.create_connection((host, int(port)), timeout=2) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16)


def test_given_urls_win_over_the_embedded_servers():
    result = run_script(
        "env",
        DATABASE_URL="postgres://someone@db.example:5432/elsewhere",
        REDIS_URL="redis://cache.example:6379/3",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "DATABASE_URL=postgres://someone@db.example:5432/elsewhere",
        "REDIS_URL=redis://cache.example:6379/3",
    ]


def test_run_execs_the_command_with_the_service_urls_set():
    result = run_script(
        "run",
        "--",
        sys.executable,
        "-c",
        "import os; print(os.environ['DATABASE_URL'], os.environ['REDIS_URL'])",
        DATABASE_URL="postgres://a@b/c",
        REDIS_URL="redis://d:1/0",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "postgres://a@b/c redis://d:1/0\n"


def test_run_without_a_command_is_refused():
    result = run_script("run", DATABASE_URL="postgres://a@b/c", REDIS_URL="redis://d:1/0")

    assert result.returncode == 2
    assert "run needs a command after --" in result.stderr


def test_an_unknown_subcommand_prints_the_usage():
    result = run_script("launch")

    assert result.returncode == 2
    assert "python scripts/devservices.py run -- COMMAND" in result.stdout


@pytest.fixture
def redis_dir(tmp_path):
    devservices = load_devservices()
    yield devservices, tmp_path
    devservices.stop_redis(tmp_path)


def test_embedded_redis_starts_is_reused_and_stops(redis_dir):
    devservices, directory = redis_dir

    url = devservices.ensure_redis(directory)
    again = devservices.ensure_redis(directory)

    assert url.startswith("redis://127.0.0.1:")
    assert again == url
    assert redis_ping(url) == b"+PONG\r\n"
    port = int(url.split(":")[2].split("/")[0])
    assert devservices.stop_redis(directory) is True
    assert devservices._redis_running(port) is False
    assert devservices.stop_redis(directory) is False


def test_the_suite_runs_on_postgresql():
    from django.db import connection

    assert connection.vendor == "postgresql"
