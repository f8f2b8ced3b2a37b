"""Benchmark: the daily pages and APIs at a firm's volume, as a project manager meets them.

    make bench-pages            # or: python bench/pages.py [--contracts N --items M --repeat R]

Builds a fresh database ``<name>_pages`` on the server of ``DATABASE_URL`` with the nightly-run
benchmark's data (``bench/nightly_run.py``: N contracts, M ready actuals, one manager of all of
them) and an integration journal of 10,000 lines (for an accountant), then requests every
page below ``--repeat`` times through Django's test client (the
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


def journal_pages(journal: Any, project: Any) -> list[tuple[str, str]]:
    url = f"/ledger/journals/{journal.pk}/"
    return [
        ("journal of 10,000 lines, default", url),
        ("journal, filtered by project", f"{url}?project={project.code}"),
        ("journal, with an error, by amount", f"{url}?error=yes&sort=-amount"),
        ("journal, last page", f"{url}?page=200"),
    ]


def build_journal(lines: int = 10_000) -> Any:
    """One open journal of ``lines`` draft lines over the benchmark's projects (every 50th with
    an error), as the import would write them."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from contracts.models import LegalEntity, Project
    from ledger.models import Journal, JournalLine

    projects = list(Project.objects.order_by("pk")[:500])
    journal = Journal.objects.create(
        legal_entity=LegalEntity.objects.order_by("pk").first(),
        journal_date=dt.date(2026, 3, 1),
        description="Actuals 2026-03 (benchmark)",
        created_at=timezone.now(),
    )
    kinds = ["time_cost", "tm_unbilled_sales", "expense_cost"]
    JournalLine.objects.bulk_create(
        (
            JournalLine(
                journal=journal,
                line_date=dt.date(2026, 3, 1 + n % 28),
                kind=kinds[n % 3],
                project=projects[n % len(projects)],
                customer_id=projects[n % len(projects)].customer_id,
                currency="EUR",
                amount=Decimal(100 + n % 700),
                accounting_amount=Decimal(100 + n % 700),
                description=f"{1 + n % 8} h Developer",
                source_key=f"bench:{n}",
                error_reason="No exchange rate" if n % 50 == 0 else "",
            )
            for n in range(lines)
        ),
        batch_size=2000,
    )
    return journal


def measure(client: Any, label: str, path: str, repeat: int) -> None:
    times, size = [], 0
    for _ in range(repeat):
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


def next_page(deep: int) -> str:
    """The backlog's *Next* link on page ``deep`` (what the person clicks): page ``deep + 1``
    with the cursor of page ``deep``'s last row (found here once, not timed)."""
    from django.contrib.auth.models import User

    from contracts.views import _cursor
    from invoicing.filters import backlog_visible_to

    items = backlog_visible_to(User.objects.get(username="manager")).order_by(
        "transaction_date", "pk"
    )
    last = items.values_list("transaction_date", "pk")[deep * 50 - 1]
    return f"/billing/backlog/?page={deep + 1}&after={_cursor(last)}"


def pages(deep: int, contract: Any) -> list[tuple[str, str]]:
    return [
        ("backlog, default", "/billing/backlog/"),
        ("backlog, filtered by contract", f"/billing/backlog/?contract={contract.number}"),
        (f"backlog, page {deep + 1:,} (Next)", next_page(deep)),
        ("backlog, last page", "/billing/backlog/?page=20000&before=end"),
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
        measure(client, label, path, args.repeat)

    from ledger.models import Journal

    journal = Journal.objects.filter(description__endswith="(benchmark)").first() or build_journal()
    accountant, _created = User.objects.get_or_create(username="accountant")
    accountant.groups.add(Group.objects.get(name=Role.PROJECT_ACCOUNTANT))
    client.force_login(accountant)
    project = journal.lines.order_by("pk").first().project
    for label, path in journal_pages(journal, project):
        measure(client, label, path, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
