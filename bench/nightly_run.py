"""Benchmark: the nightly invoice run over 1,000 contracts and 100,000 ready actuals.

    make bench                       # or: python bench/nightly_run.py [--contracts N --items M]

Builds a fresh database ``<name>_bench`` on the server of ``DATABASE_URL`` (dropped first),
migrates it, loads the data with set-based SQL, and prints:

- the run: time, invoices/s, items/s, and the peak Python memory during the run
  (tracemalloc) next to the process's peak RSS growth;
- the plain-SQL floor on the same data: one ``UPDATE`` of the same actuals and one
  ``INSERT … SELECT`` of the same detail rows (invoice headers and lines made beforehand,
  untimed), in a transaction that is rolled back;
- the ratio run / floor.

Figures, not assertions: the test suite never times anything.
"""

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


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
    """Master data through the ORM (small), actuals through one INSERT … SELECT (large)."""
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.db import connection

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
            line=lines[i], contract_customer=ccs[i], split_percent=Decimal(100), is_rounding=True
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
                billing_type, billing_status, nte_status, nte_failed_level, nte_message,
                write_off_reason, reverses_id, time_entry_id, expense_entry_id, milestone_id,
                price_warning, description, external_description, created_at)
            SELECT 'unbilled_sales', 'time', p.id, NULL, k.id, l.id, lc.id, p.customer_id,
                   %(resource)s, %(role)s, NULL,
                   DATE '2026-03-01' + (n %% 28), 1 + (n %% 8), 200, 200 * (1 + (n %% 8)),
                   'EUR', 'chargeable', 'ready', 'ok', '', '', '', NULL, NULL, NULL, NULL,
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
        cursor.execute("ANALYZE")


def plain_sql_floor() -> tuple[float, float]:
    """One UPDATE of the same actuals and one INSERT … SELECT of the same details, rolled back."""
    import datetime as dt

    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        # The same foreign-key checks as the run makes (a rollback would skip deferred ones).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            """
            INSERT INTO invoicing_invoice (contract_id, contract_customer_id, customer_id,
                legal_entity_id, currency, status, invoice_date, customer_reference, description,
                version, created_at, number, payment_reference, pdf, pdf_sha256, is_credit_note)
            SELECT k.id, cc.id, cc.customer_id, k.legal_entity_id, k.currency, 'draft',
                   %(d)s, '', '', 1, now(), '', '', '', '', false
            FROM contracts_contract k JOIN contracts_contractcustomer cc ON cc.contract_id = k.id;
            INSERT INTO invoicing_invoiceline (invoice_id, contract_line_id, description)
            SELECT i.id, l.id, l.name FROM invoicing_invoice i
            JOIN contracts_contractline l ON l.contract_id = i.contract_id;
            ANALYZE invoicing_invoice;
            ANALYZE invoicing_invoiceline;
            """,
            {"d": dt.date(2026, 4, 1)},
        )
        # The same rows as the run, in the order that keeps the planner's statistics true
        # (details from the ready actuals, then the actuals marked): the work is the same.
        start = time.perf_counter()
        cursor.execute(
            """
            INSERT INTO invoicing_invoicedetail (invoice_id, line_id, transaction_class,
                actual_id, milestone_id, credits_id, credited, transaction_date, resource_id,
                role_id, category_id, original_quantity, quantity, unit_price, amount, currency,
                billing_type, sales_tax_group_id, item_sales_tax_group_id, description,
                external_description)
            SELECT i.id, l.id, a.transaction_class, a.id, NULL, NULL, false, a.transaction_date,
                   a.resource_id, a.role_id, a.category_id, a.quantity, a.quantity, a.unit_price,
                   a.amount, a.currency, a.billing_type, cu.sales_tax_group_id,
                   r.item_sales_tax_group_id, a.description, a.external_description
            FROM actuals_actual a
            JOIN invoicing_invoice i ON i.contract_id = a.contract_id
            JOIN invoicing_invoiceline l ON l.invoice_id = i.id
            JOIN contracts_customer cu ON cu.id = i.customer_id
            JOIN contracts_role r ON r.id = a.role_id
            WHERE a.actual_type = 'unbilled_sales' AND a.billing_status = 'ready'
              AND a.transaction_date <= DATE '2026-03-31'
            """
        )
        inserted = time.perf_counter()
        cursor.execute(
            """
            UPDATE actuals_actual SET billing_status = 'on_draft'
            WHERE actual_type = 'unbilled_sales' AND billing_status = 'ready'
              AND transaction_date <= DATE '2026-03-31'
            """
        )
        updated = time.perf_counter()
        transaction.set_rollback(True)
    return updated - inserted, inserted - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=1000)
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()

    url, name = _bench_url(os.environ["DATABASE_URL"])
    _recreate_database(url, name)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoicing.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from invoicing.models import Invoice, InvoiceDetail, RunTrigger
    from invoicing.services import execute_run, start_run

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    build(args.contracts, args.items)
    print(
        f"built {args.contracts} contracts, {args.items} ready actuals in {time.perf_counter() - t0:.1f} s"
    )

    update_s, insert_s = plain_sql_floor()
    floor = update_s + insert_s
    print(
        f"plain-SQL floor (1 UPDATE + 1 INSERT ... SELECT): {floor:.2f} s "
        f"(UPDATE {update_s:.2f} s, INSERT {insert_s:.2f} s)"
    )

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    run = start_run(
        run_date=dt.date(2026, 4, 1), trigger=RunTrigger.COMMAND, by=None, now=timezone.now()
    )
    run = execute_run(run=run, clock=timezone.now)
    elapsed = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    invoices = Invoice.objects.count()
    details = InvoiceDetail.objects.count()
    assert (
        (run.invoices_count, run.items_count) == (invoices, details) == (args.contracts, args.items)
    ), (
        run.invoices_count,
        run.items_count,
    )
    print(f"nightly run: {elapsed:.2f} s for {invoices} invoices and {details} items")
    print(f"  {invoices / elapsed:,.0f} invoices/s, {details / elapsed:,.0f} items/s")
    print(f"  peak Python memory during the run: {peak / 1024 / 1024:.1f} MiB (tracemalloc)")
    print(f"  peak RSS growth: {(rss_after - rss_before) / 1024:.1f} MiB")
    print(f"  failures: {run.failures_count}; amount {run.amounts}")
    print(f"ratio run / plain-SQL floor: {elapsed / floor:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
