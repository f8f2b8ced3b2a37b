"""Every operation of the OpenAPI schema, fuzzed with schemathesis as each role, answers no 5xx.

The schema is the app's own (drf-spectacular at ``/api/schema/``), loaded through the WSGI
application, and the calls go through the same application with the role's token, against the
demo data (``invoicing.demo.seed_demo``) in the test database. Mutating calls change that data
as they go; the test's transaction throws it away.

Bounded to about 40 s a role (2-3 minutes for the four) on this shared 2-core machine: a few
examples per operation, valid ones and ones the schema says are invalid (``NEGATIVE``: wrong
types, missing fields, out-of-range numbers), derandomized so CI sees the same cases every run,
no example database and no shrinking (each 5xx is reported as generated, all of them at once).
A 5xx found here gets its cause fixed and a focused regression test beside the code it
concerns; this test is the net, not the specification.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from werkzeug.test import Client

from invoicing.demo import seed_demo

pytestmark = pytest.mark.django_db

EXAMPLES = {GenerationMode.POSITIVE: 2, GenerationMode.NEGATIVE: 2}


@pytest.fixture
def app() -> Iterator[WSGIHandler]:
    """The WSGI application inside the test's transaction: as Django's test client does, the
    request signals do not close the connection (that would end the transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def schema(app: WSGIHandler) -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)


def first_id(client: Client, path: str, token: str) -> dict[str, int]:
    """The ``{id}`` of an object the role can see in the collection ``path`` is under, so the
    object's operations reach an object (random ids only meet the 404 of the router)."""
    if "{id}" not in path:
        return {}
    response = client.get(path.split("{id}")[0], headers={"Authorization": f"Token {token}"})
    rows = (response.json or {}).get("results", []) if response.status_code == 200 else []
    return {"id": rows[0]["id"]} if rows and "id" in rows[0] else {}


def server_errors(schema: Any, app: WSGIHandler, token: str) -> list[str]:
    """Run every operation of ``schema`` (see the module) and describe each 5xx answer."""
    found: list[str] = []
    headers = {"Authorization": f"Token {token}"}
    client = Client(app)
    for result in schema.get_all_operations():
        operation = result.ok()
        pinned = first_id(client, operation.path, token)
        for mode, examples in EXAMPLES.items():

            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=pinned))
            def call(case: Any) -> None:
                try:
                    case.call_and_validate(headers=headers, checks=[not_a_server_error])
                except Exception as exc:  # the check's failure, reported below with the case
                    found.append(
                        f"{case.method} {case.formatted_path} query={case.query} "
                        f"body={case.body!r}: {str(exc).strip().splitlines()[0]}"
                    )

            # A negative case needs a part to make invalid; some operations have only the id.
            with contextlib.suppress(Unsatisfiable):
                call()
    return found


@pytest.mark.parametrize("username", ["teammember", "manager", "accountant", "admin"])
def test_no_api_operation_answers_a_server_error(schema, app, username):
    seed_demo()
    token = Token.objects.create(user=User.objects.get(username=username)).key

    assert server_errors(schema, app, token) == []
