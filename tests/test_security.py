"""Security headers on every page, and CSRF protection of form posts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from contracts.models import SalesTaxGroup
from contracts.services import ContractSpec, CustomerSplit, create_contract
from tests.factories import CustomerFactory, LegalEntityFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def csp(response) -> dict[str, str]:
    """The policy as {directive: sources} (django-csp does not keep the directives' order)."""
    directives = (d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def assert_security_headers(response, url: str) -> None:
    assert response.status_code == 200, url
    assert csp(response) == EXPECTED_CSP, url
    assert response["X-Frame-Options"] == "DENY", url
    assert response["X-Content-Type-Options"] == "nosniff", url
    assert response["Referrer-Policy"] == "same-origin", url


@pytest.fixture
def contract(project_manager):
    return create_contract(
        spec=ContractSpec(
            number="K-1",
            name="Headers",
            legal_entity=LegalEntityFactory(),
            project_manager=project_manager,
            currency="EUR",
            start_date=dt.date(2026, 1, 1),
            customers=[
                CustomerSplit(
                    customer=CustomerFactory(), split_percent=Decimal(100), is_rounding=True
                )
            ],
        )
    )


def test_the_login_page_sends_the_security_headers(client):
    url = reverse("login")
    assert_security_headers(client.get(url), url)


@pytest.mark.parametrize(
    ("fixture", "url_name"),
    [
        ("team_member", "home-team-member"),
        ("project_manager", "home-project-manager"),
        ("accountant", "home-accountant"),
        ("administrator", "home-administrator"),
    ],
)
def test_every_home_page_sends_the_security_headers(request, client, fixture, url_name):
    client.force_login(request.getfixturevalue(fixture))
    url = reverse(url_name)
    assert_security_headers(client.get(url), url)


def test_the_contract_pages_send_the_security_headers(client, project_manager, contract):
    client.force_login(project_manager)
    for url in (reverse("contracts:list"), reverse("contracts:detail", args=[contract.pk])):
        assert_security_headers(client.get(url), url)


def test_the_admin_and_the_api_docs_send_the_security_headers(client, administrator):
    administrator.is_staff = True
    administrator.save()
    client.force_login(administrator)
    for url in (reverse("admin:index"), reverse("api-docs")):
        assert_security_headers(client.get(url), url)


def test_the_no_role_page_sends_the_security_headers(client):
    client.force_login(UserFactory())
    response = client.get(reverse("home"))

    assert response.status_code == 403
    assert csp(response) == EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"


def test_a_login_post_without_the_csrf_token_is_refused(project_manager):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "manager", "password": "pw-123456!"})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_logout_post_without_the_csrf_token_is_refused(project_manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(project_manager)

    response = client.post(reverse("logout"))

    assert response.status_code == 403
    assert client.session["_auth_user_id"] == str(project_manager.pk)


def test_an_admin_post_without_the_csrf_token_is_refused(administrator):
    administrator.is_staff = True
    administrator.save()
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator)

    response = client.post(
        reverse("admin:contracts_salestaxgroup_add"), {"code": "EU", "name": "EU business"}
    )

    assert response.status_code == 403
    assert not SalesTaxGroup.objects.filter(code="EU").exists()


def test_a_login_post_with_the_csrf_token_is_accepted(project_manager):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("login"))
    token = page.context["csrf_token"]

    response = client.post(
        reverse("login"),
        {"username": "manager", "password": "pw-123456!", "csrfmiddlewaretoken": str(token)},
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(project_manager.pk)
