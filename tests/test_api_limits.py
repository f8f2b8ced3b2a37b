"""The API answers bad requests with a 4xx in JSON, never a 500 (issue 12: ids that are not
numbers, paths that are no route, JSON nested thousands of levels deep)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client, accountant):
    api_client.force_authenticate(accountant)
    return api_client


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/v1/journals/abc/post/"),
        ("get", "/api/v1/journal-lines/1.5/"),
        ("patch", "/api/v1/journal-lines/x/"),
        ("post", "/api/v1/periods/abc/close/"),
        ("post", "/api/v1/periods/abc/reopen/"),
        ("get", "/api/v1/invoices/%27%3B/"),
        ("get", "/api/v1/no-such-thing/"),
    ],
)
def test_a_path_that_is_no_route_is_a_json_404(api, method, path):
    response = getattr(api, method)(path, {}, format="json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": f"No such API route: {response.wsgi_request.path}"}


def test_json_nested_five_thousand_levels_is_a_400_even_before_logging_in(client):
    body = "[" * 5000 + "]" * 5000

    response = client.post("/api/v1/auth/token/", body, content_type="application/json")

    assert response.status_code == 400
    assert "The JSON body is nested deeper than 20 levels." in response.content.decode()


def test_json_at_twenty_one_levels_is_refused_and_at_twenty_taken(api):
    def nested(levels):
        body = "1"
        for _ in range(levels - 1):
            body = f"[{body}]"
        return body

    deep = api.post("/api/v1/journals/import/", nested(21), content_type="application/json")
    fine = api.post("/api/v1/journals/import/", nested(2), content_type="application/json")

    assert deep.status_code == 400
    assert fine.status_code != 500


def test_a_field_the_api_does_not_know_is_a_400_naming_it(api):
    """A client's typo (``invoce_ids``) is refused, not silently dropped; every serializer of
    the API is strict (``contracts.serializers.common.StrictFieldsMixin``)."""
    response = api.post("/api/v1/invoices/post-selected/", {"invoce_ids": [1]}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["invoce_ids"] == ["Not a field that can be set here."]


@pytest.mark.parametrize(
    "method, path",
    [
        ("delete", "/api/v1/auth/token/"),
        ("put", "/api/v1/backlog/"),
        ("delete", "/api/v1/reports/aging/"),
        ("post", "/api/schema/"),
        ("post", "/api/docs/"),
    ],
)
def test_a_wrong_method_on_an_api_path_is_a_json_405(api, method, path):
    response = getattr(api, method)(path)

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.', "errors": {}}


def test_a_post_to_no_route_is_a_json_404_without_a_csrf_token(accountant, client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(accountant)

    response = csrf_client.post("/api/v1/no-such-thing/", {}, content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such API route: /api/v1/no-such-thing/"}


@pytest.mark.parametrize("ids", [[1.5], ["1.5"], ["1e0"], [True], ["١"]])
def test_an_id_list_takes_whole_numbers_written_0_9_only(api, ids):
    response = api.post("/api/v1/invoices/post-selected/", {"invoice_ids": ids}, format="json")

    assert response.status_code == 400
    reason = (
        "Use the digits 0-9."
        if ids == ["١"]
        else ("A whole number is required (no fraction, exponent or true/false).")
    )
    assert response.json()["errors"] == {"invoice_ids": {"0": [reason]}}


def test_a_json_body_larger_than_the_upload_limit_is_a_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"description": "' + "x" * 1000 + '"}'

    response = api.post("/api/v1/time-entries/", body, content_type="application/json")
    keyed = api.post(
        "/api/v1/time-entries/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert (keyed.status_code, keyed.json()["detail"]) == (
        413,
        "The request body is larger than 1000 bytes.",
    )
    assert (response.status_code, response.json()["detail"]) == (
        413,
        "The request body is larger than 1000 bytes.",
    )


def test_the_json_parser_reads_no_more_than_the_limit(settings):
    from io import BytesIO

    from contracts.api_errors import BodyTooLarge
    from contracts.api_parsers import JSONParser

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    with pytest.raises(BodyTooLarge) as refused:
        JSONParser().parse(BytesIO(b'{"a": "12345678"}'), "application/json", {})

    assert (refused.value.status_code, str(refused.value.detail)) == (
        413,
        "The request body is larger than 10 bytes.",
    )
    assert JSONParser().parse(BytesIO(b'{"a": 1}'), "application/json", {}) == {"a": 1}
