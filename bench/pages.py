"""Benchmark: the daily pages and APIs at a firm's volume, as a project manager meets them.

    make bench-pages            # or: python bench/pages.py [--contracts N --items M --repeat R]

Builds a fresh database ``<name>_pages`` on the server of ``DATABASE_URL`` with the nightly-run
benchmark's data (``bench/nightly_run.py``: N contracts, M ready actuals, one manager of all of
them), then requests every page below ``--repeat`` times through Django's test client (the
whole stack but the network: middleware, session, templates) and prints, per page, the p50 and
p95 time and the size of the response. Figures, not assertions: the test suite never times
anything. Defaults: 10,000 contracts, 1,000,000 actuals, 20 requests per page.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import nightly_run  # the same data, built the same way


def pages(deep: int, contract: Any) -> list[tuple[str, str]]:
    return [
        ("backlog, default", "/billing/backlog/"),
        ("backlog, filtered by contract", f"/billing/backlog/?contract={contract.number}"),
        (f"backlog, page {deep:,}", f"/billing/backlog/?page={deep}"),
        ("backlog, sorted by amount", "/billing/backlog/?sort=-amount"),
        ("API backlog", "/api/v1/backlog/"),
        ("API backlog, filtered by contract", f"/api/v1/backlog/?contract={contract.pk}"),
        ("API actuals", "/api/v1/actuals/"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="reuse the database if it exists")
    args = parser.parse_args()

    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    name = "invoicing_pages"
    url = f"{base}/{name}"
    if not args.keep:
        nightly_run._recreate_database(url, name)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoicing.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client

    from contracts.models import Contract
    from contracts.roles import Role

    call_command("migrate", verbosity=0)
    if not User.objects.filter(username="manager").exists():
        t0 = time.perf_counter()
        nightly_run.build(args.contracts, args.items)
        print(
            f"built {args.contracts:,} contracts, {args.items:,} actuals in "
            f"{time.perf_counter() - t0:.1f} s"
        )
    manager = User.objects.get(username="manager")
    manager.groups.add(Group.objects.get(name=Role.PROJECT_MANAGER))
    contract = Contract.objects.order_by("number")[args.contracts // 2]

    client = Client(SERVER_NAME="localhost")
    client.force_login(manager)
    deep = max(1, args.items // 50 // 2)
    print(f"{'page':34} {'p50':>9} {'p95':>9} {'size':>10}  (n={args.repeat})")
    for label, path in pages(deep, contract):
        times, size = [], 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            response = client.get(path, HTTP_ACCEPT="text/html,application/json")
            body = b"".join(response.streaming_content) if response.streaming else response.content
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, (path, response.status_code)
            size = len(body)
        times.sort()
        p50 = statistics.median(times) * 1000
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] * 1000
        print(f"{label:34} {p50:7.0f} ms {p95:7.0f} ms {size / 1024:8.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
