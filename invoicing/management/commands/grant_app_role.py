"""``manage.py grant_app_role ROLE``: give the app's database role what it needs, and no more.

Two roles (README "Production", docker-compose.yml): the **owner** runs ``migrate`` and this
command; it owns the tables, their triggers and pgtrigger's functions. The **app** role (web,
worker, beat) connects with ``DATABASE_URL`` and gets reading and writing rows and using
sequences, nothing else: it owns nothing, so it cannot drop or disable a trigger or replace
a trigger function, and it has no TRUNCATE (contracts.seals). The command refuses a role that
is a superuser, may bypass row security, or owns a table or function here; it is idempotent
(run it after every ``migrate``, as docker-compose's migrate service does). Creating the role
(with its password) is the database administrator's step: docker-compose does it in
``scripts/postgres-init.sh``.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from psycopg import sql

_FORBIDDEN = """
SELECT r.rolsuper, r.rolbypassrls,
       EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid
               AND c.relnamespace = 'public'::regnamespace),
       EXISTS (SELECT 1 FROM pg_proc p WHERE p.proowner = r.oid
               AND p.pronamespace = 'public'::regnamespace)
  FROM pg_roles r WHERE r.rolname = %s
"""


class Command(BaseCommand):
    help = (
        "Grant the app's database role row access (SELECT, INSERT, UPDATE, DELETE) and sequence "
        "use on every table, and nothing that could switch a seal off. Run as the owner."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the role the app connects as (it must exist)")

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute(_FORBIDDEN, [role])
            found = cursor.fetchone()
            if found is None:
                raise CommandError(
                    f"Role {role!r} does not exist: create it first "
                    f"(CREATE ROLE {role} LOGIN PASSWORD '...')."
                )
            superuser, bypassrls, owns_tables, owns_functions = found
            reasons = [
                text
                for flag, text in (
                    (superuser, "is a superuser"),
                    (bypassrls, "may bypass row security"),
                    (owns_tables, "owns tables in schema public"),
                    (owns_functions, "owns functions in schema public"),
                )
                if flag
            ]
            if reasons:
                raise CommandError(
                    f"Role {role!r} {' and '.join(reasons)}: the app must connect as a role "
                    "that owns nothing, or it could switch the database's seals off."
                )
            name = sql.Identifier(role)
            statements = [
                sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                    sql.Identifier(connection.settings_dict["NAME"]), name
                ),
                sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(name),
                sql.SQL("REVOKE CREATE ON SCHEMA public FROM {}").format(name),
                sql.SQL(
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
                ).format(name),
                sql.SQL(
                    "REVOKE TRUNCATE, TRIGGER, REFERENCES ON ALL TABLES IN SCHEMA public FROM {}"
                ).format(name),
                sql.SQL(
                    "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}"
                ).format(name),
            ]
            with transaction.atomic():
                for statement in statements:
                    cursor.execute(statement)
        self.stdout.write(
            f"{role}: rows and sequences of every table in public; no TRUNCATE, no ownership."
        )
