"""Benchmark: the nightly invoice run over 1,000 contracts and 100,000 ready actuals.

    make bench                  # or: python bench/nightly_run.py [--contracts N --items M]
    python bench/nightly_run.py --contracts 10000 --items 1000000 --workers 0 1 2

Builds a fresh database ``<name>_bench`` on the server of ``DATABASE_URL`` (dropped first),
migrates it, loads the data with set-based SQL, and prints:

- the **physical floor**, measured in the same run: the same rows the run bills, copied into
  bare tables (primary key only, no index, trigger or constraint), one ``UPDATE`` of the
  actual rows' status and one ``INSERT … SELECT`` of the detail rows, committed;
- the **run**, once per ``--workers`` value: ``0`` bills the batches one after the other in
  this process (``execute_run``, with the peak Python memory from tracemalloc); ``N`` starts
  N real Celery workers (``--pool solo``) on a queue of their own on ``REDIS_URL`` and lets
  them take the batches, timed from queuing the run until it is done. Between runs everything
  is put back (drafts deleted, items released to ready, schedule rows pending);
- per run: time, invoices/s, items/s and the ratio run / physical floor. Each run, like the
  floor, starts after a ``CHECKPOINT``.

Figures, not assertions: the test suite never times anything.
"""

import argparse
import os
import subprocess
import sys
import time
import tracemalloc
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUN_DATE = "2026-04-01"


def _bench_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "invoicing"
    bench = f"{name}_bench"
    return urlunsplit(parts._replace(path=f"/{bench}")), bench


def _recreate_database(url: str, name: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    conninfo = admin.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build(contracts: int, items: int) -> None:
    """Master data through the ORM (small), actuals and their billing rows through set-based
    SQL (large), all ready to invoice (moved there the legal way: not ready → ready)."""
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from contracts import models as c
    from ledger.services import load_default_chart

    entity = c.LegalEntity.objects.create(
        code="NL01",
        name="Bench B.V.",
        address="Street 1",
        country="NL",
        vat_number="NL001234567B01",
        chamber_of_commerce="12345678",
        iban="NL91ABNA0417164300",
    )
    load_default_chart(legal_entity=entity, year=2026)
    domestic = c.SalesTaxGroup.objects.get(code="DOMESTIC")
    services = c.ItemSalesTaxGroup.objects.get(code="SERVICES")
    manager = User.objects.create(username="manager")
    role = c.Role.objects.create(code="DEV", name="Developer", item_sales_tax_group=services)
    worker = User.objects.create(username="worker")
    res = c.Resource.objects.create(user=worker, name="Worker", legal_entity=entity)
    customers = c.Customer.objects.bulk_create(
        c.Customer(code=f"C{i:05d}", name=f"Customer {i}", country="NL", sales_tax_group=domestic)
        for i in range(contracts)
    )
    projects = c.Project.objects.bulk_create(
        c.Project(
            code=f"P{i:05d}",
            name=f"Project {i}",
            customer=customers[i],
            project_manager=manager,
            legal_entity=entity,
            start_date=dt.date(2026, 1, 1),
        )
        for i in range(contracts)
    )
    contract_rows = c.Contract.objects.bulk_create(
        c.Contract(
            number=f"K{i:05d}",
            name=f"Contract {i}",
            legal_entity=entity,
            project_manager=manager,
            currency="EUR",
            start_date=dt.date(2026, 1, 1),
        )
        for i in range(contracts)
    )
    with transaction.atomic():  # the split triggers check at commit
        ccs = c.ContractCustomer.objects.bulk_create(
            c.ContractCustomer(
                contract=k, customer=customers[i], split_percent=Decimal(100), is_rounding=True
            )
            for i, k in enumerate(contract_rows)
        )
        lines = c.ContractLine.objects.bulk_create(
            c.ContractLine(contract=k, name="T&M", billing_method=c.BillingMethod.TIME_AND_MATERIAL)
            for k in contract_rows
        )
        c.ContractLineScope.objects.bulk_create(
            c.ContractLineScope(
                contract=k, line=lines[i], project=projects[i], transaction_class="time"
            )
            for i, k in enumerate(contract_rows)
        )
        lcs = c.LineCustomer.objects.bulk_create(
            c.LineCustomer(
                line=lines[i],
                contract_customer=ccs[i],
                split_percent=Decimal(100),
                is_rounding=True,
            )
            for i in range(contracts)
        )
    c.InvoiceScheduleEntry.objects.bulk_create(
        c.InvoiceScheduleEntry(
            line=line, run_date=dt.date(2026, 4, 1), cut_off_date=dt.date(2026, 3, 31)
        )
        for line in lines
    )
    per = items // contracts
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO actuals_actual (
                actual_type, transaction_class, project_id, task_id, contract_id,
                contract_line_id, line_customer_id, customer_id, resource_id, role_id,
                category_id, transaction_date, quantity, unit_price, amount, currency,
                billing_type, reverses_id, returned_from_id, time_entry_id, expense_entry_id,
                milestone_id, price_warning, description, external_description, created_at)
            SELECT 'unbilled_sales', 'time', p.id, NULL, k.id, l.id, lc.id, p.customer_id,
                   %(resource)s, %(role)s, NULL,
                   DATE '2026-03-01' + (n %% 28), 1 + (n %% 8), 200, 200 * (1 + (n %% 8)),
                   'EUR', 'chargeable', NULL, NULL, NULL, NULL, NULL,
                   '', 'Development', 'Development work', now()
            FROM unnest(%(lines)s::bigint[], %(lcs)s::bigint[], %(projects)s::bigint[],
                        %(contracts)s::bigint[]) AS x(line_id, lc_id, project_id, contract_id)
            JOIN contracts_contractline l ON l.id = x.line_id
            JOIN contracts_linecustomer lc ON lc.id = x.lc_id
            JOIN contracts_project p ON p.id = x.project_id
            JOIN contracts_contract k ON k.id = x.contract_id
            CROSS JOIN generate_series(1, %(per)s) AS n
            """,
            {
                "resource": res.pk,
                "role": role.pk,
                "lines": [x.pk for x in lines],
                "lcs": [x.pk for x in lcs],
                "projects": [x.pk for x in projects],
                "contracts": [x.pk for x in contract_rows],
                "per": per,
            },
        )
        cursor.execute(
            """
            INSERT INTO actuals_actualbilling (actual_id, contract_id, contract_line_id,
                contract_customer_id, transaction_date, billable, status, nte_status,
                nte_failed_level, nte_message, write_off_reason)
            SELECT a.id, a.contract_id, a.contract_line_id, lc.contract_customer_id,
                   a.transaction_date, true, 'not_ready', 'ok', '', '', ''
            FROM actuals_actual a JOIN contracts_linecustomer lc ON lc.id = a.line_customer_id;
            UPDATE actuals_actualbilling SET status = 'ready';
            """
        )
        cursor.execute("VACUUM ANALYZE")


def physical_floor() -> tuple[float, float]:
    """The same rows the run bills, into bare copies (primary key only): one UPDATE of the
    actual rows' status, one INSERT … SELECT of the detail rows, each committed."""
    import psycopg
    from django.db import connection

    conninfo = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            DROP TABLE IF EXISTS floor_actual, floor_detail;
            CREATE TABLE floor_actual AS
                SELECT a.*, b.status FROM actuals_actual a
                JOIN actuals_actualbilling b ON b.actual_id = a.id
                WHERE b.status = 'ready';
            ALTER TABLE floor_actual ADD PRIMARY KEY (id);
            CREATE TABLE floor_detail (LIKE invoicing_invoicedetail INCLUDING DEFAULTS
                INCLUDING IDENTITY);
            ALTER TABLE floor_detail ADD PRIMARY KEY (id);
            """
        )
        cursor.execute("VACUUM ANALYZE floor_actual")
        cursor.execute("CHECKPOINT")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        start = time.perf_counter()
        conn.execute("UPDATE floor_actual SET status = 'on_draft'")
        updated = time.perf_counter()
        conn.execute(
            """
            INSERT INTO floor_detail (invoice_id, line_id, transaction_class, actual_id,
                milestone_id, credits_id, credited, transaction_date, resource_id, role_id,
                category_id, original_quantity, quantity, unit_price, amount, currency,
                billing_type, sales_tax_group_id, item_sales_tax_group_id, description,
                external_description)
            SELECT a.contract_id, a.contract_line_id, a.transaction_class, a.id, NULL, NULL,
                   false, a.transaction_date, a.resource_id, a.role_id, a.category_id,
                   a.quantity, a.quantity, a.unit_price, a.amount, a.currency, a.billing_type,
                   1, 1, a.description, a.external_description
            FROM floor_actual a
            """
        )
        inserted = time.perf_counter()
        conn.execute("DROP TABLE floor_actual, floor_detail")
    return updated - start, inserted - updated


def reset() -> None:
    """Put the data back as before a run: drafts deleted, their items released to ready (a
    legal move), schedule rows pending, runs gone."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            DELETE FROM invoicing_invoicedetail;
            DELETE FROM invoicing_invoiceline;
            DELETE FROM invoicing_invoice;
            DELETE FROM invoicing_invoicerunfailure;
            DELETE FROM invoicing_invoicerun;
            UPDATE actuals_actualbilling SET status = 'ready' WHERE status = 'on_draft';
            UPDATE contracts_invoicescheduleentry SET status = 'pending', ran_at = NULL;
            """
        )
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")


def _in_process() -> tuple[float, float, int]:
    import datetime as dt

    from django.utils import timezone

    from invoicing.models import RunTrigger
    from invoicing.services import execute_run, record_run

    tracemalloc.start()
    start = time.perf_counter()
    run = record_run(
        run_date=dt.date.fromisoformat(RUN_DATE),
        trigger=RunTrigger.COMMAND,
        by=None,
        now=timezone.now(),
    )
    run = execute_run(run=run, clock=timezone.now)
    elapsed = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 1024 / 1024, run.pk


def _with_workers(count: int) -> tuple[float, float, int]:
    import datetime as dt

    from django.utils import timezone

    from invoicing.models import InvoiceRun, RunStatus, RunTrigger
    from invoicing.services import record_run
    from invoicing.tasks import execute_invoice_run

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DEBUG": "1", "LOG_LEVEL": "WARNING"}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "invoicing",
                "worker",
                "--pool",
                "solo",
                "-Q",
                queue,
                "-n",
                f"bench{i}-{queue}@%h",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
        )
        for i in range(count)
    ]
    try:
        time.sleep(6)  # let them connect to the broker
        run = record_run(
            run_date=dt.date.fromisoformat(RUN_DATE),
            trigger=RunTrigger.COMMAND,
            by=None,
            now=timezone.now(),
        )
        start = time.perf_counter()
        execute_invoice_run.apply_async((run.pk,), queue=queue)
        while InvoiceRun.objects.get(pk=run.pk).status == RunStatus.RUNNING:
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=30)
    return elapsed, float("nan"), run.pk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=1000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[0],
        help="0: bill in this process; N: N real Celery workers (several values: one run each)",
    )
    parser.add_argument(
        "--without-backlog-totals",
        action="store_true",
        help="disable the trigger that keeps BacklogTotal (to measure what it costs the run)",
    )
    args = parser.parse_args()

    url, name = _bench_url(os.environ["DATABASE_URL"])
    _recreate_database(url, name)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoicing.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from invoicing.models import Invoice, InvoiceDetail, InvoiceRun

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    build(args.contracts, args.items)
    print(
        f"built {args.contracts:,} contracts, {args.items:,} ready actuals in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    if args.without_backlog_totals:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'pgtrigger_billing_backlog_total_%'"
            )
            for (trigger,) in cursor.fetchall():
                cursor.execute(f"ALTER TABLE actuals_actualbilling DISABLE TRIGGER {trigger}")
        print("BacklogTotal triggers disabled (the backlog's totals are not kept in this run)")
    update_s, insert_s = physical_floor()
    floor = update_s + insert_s
    print(
        f"physical floor (bare copies, primary key only): {floor:.2f} s "
        f"(UPDATE {update_s:.2f} s, INSERT {insert_s:.2f} s)"
    )
    for i, workers in enumerate(args.workers):
        if i:
            reset()
        with connection.cursor() as cursor:  # as before the floor: nothing left to flush
            cursor.execute("CHECKPOINT")
        connection.close()
        elapsed, peak, run_id = _in_process() if workers == 0 else _with_workers(workers)
        run = InvoiceRun.objects.get(pk=run_id)
        invoices, details = Invoice.objects.count(), InvoiceDetail.objects.count()
        assert (run.invoices_count, run.items_count, run.failures_count) == (
            invoices,
            details,
            0,
        ) and (invoices, details) == (args.contracts, args.items), (run.pk, invoices, details)
        how = "in this process" if workers == 0 else f"{workers} Celery worker(s)"
        print(f"nightly run, {how}: {elapsed:.2f} s for {invoices:,} invoices, {details:,} items")
        print(f"  {invoices / elapsed:,.0f} invoices/s, {details / elapsed:,.0f} items/s")
        print(f"  run / physical floor: {elapsed / floor:.2f}x")
        if workers == 0:
            print(f"  peak Python memory during the run: {peak:.1f} MiB (tracemalloc)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
