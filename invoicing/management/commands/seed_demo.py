"""``manage.py seed_demo [--if-empty]``: load the demo dataset (see :mod:`invoicing.demo`)."""

from typing import Any

import pghistory
from django.core.management.base import BaseCommand, CommandParser

from contracts.models import Contract
from invoicing.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo


class Command(BaseCommand):
    help = (
        "Load the demo data: a Dutch consultancy, a Belgian and a Dutch customer, four projects, "
        "price lists, three contracts and one user per role. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds a contract.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with pghistory.context(command="seed_demo"):
            if options["if_empty"] and Contract.objects.exists():
                self.stdout.write("Demo data: the database already has contracts; nothing to do.")
                return
            report = seed_demo()
            self.stdout.write("Demo data:")
            for line in report.lines():
                self.stdout.write(line)
            if report.changed:
                logins = ", ".join(username for username, *_rest in DEMO_USERS)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Demo data loaded. Logins: {logins} (password {DEMO_PASSWORD})."
                    )
                )
            else:
                self.stdout.write("Demo data was already complete; nothing changed.")
