"""``manage.py create_invoices [--date YYYY-MM-DD]``: the nightly invoice run, by hand.

The same run the Celery beat schedule starts (:func:`invoicing.services.record_run` with
trigger *command*, then :func:`invoicing.services.execute_run`, which bills its batches one after
the other in this process: no worker needed), for the given date or today
in ``settings.TIME_ZONE``. It prints the counts: contracts, invoices, items, the amount per
currency, and each failure with its reason. A malformed date is a clear error, before
anything is recorded, and so is a date outside the fiscal calendar or after today
(:func:`invoicing.services.check_run_date`, as for a run started from the API or the page).
"""

import datetime as dt
from typing import Any

import pghistory
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from invoicing.models import InvoiceRun, RunTrigger
from invoicing.services import check_run_date, execute_run, record_run


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--date {value!r} is not a date: give it as YYYY-MM-DD, e.g. 2026-03-31."
        ) from None


class Command(BaseCommand):
    help = (
        "Run the invoice run for a date (default today): bill every due invoice-schedule row "
        "and ready milestone, like the nightly run, and print the counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            dest="run_date",
            default=None,
            help="The run date, YYYY-MM-DD (default: today in the product's time zone).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        raw = options["run_date"]
        run_date = _date(raw) if raw else timezone.localdate()
        try:
            check_run_date(run_date=run_date, today=timezone.localdate())
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        with pghistory.context(command="create_invoices"):
            run = record_run(
                run_date=run_date, trigger=RunTrigger.COMMAND, by=None, now=timezone.now()
            )
            execute_run(run=run, clock=timezone.now)
        for line in report_lines(run):
            self.stdout.write(line)
        if run.failures_count:
            self.stdout.write(self.style.WARNING(f"Run {run.pk} finished with failures."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Run {run.pk} finished."))


def report_lines(run: InvoiceRun) -> list[str]:
    """The counts of a finished run, one per line."""
    lines = [
        f"Invoice run {run.pk} for {run.run_date.isoformat()}: {run.get_status_display()}",
        f"Contracts: {run.contracts_done} of {run.contracts_total}",
        f"Invoices: {run.invoices_count}",
        f"Items: {run.items_count}",
    ]
    if run.amounts:
        lines += [
            f"Amount {currency}: {amount}" for currency, amount in sorted(run.amounts.items())
        ]
    else:
        lines.append("Amount: 0")
    lines.append(f"Failures: {run.failures_count}")
    for failure in run.failures.select_related("contract").order_by("pk"):
        lines.append(f"  {failure.contract.number}: {failure.message}")
    return lines
