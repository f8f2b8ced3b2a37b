"""Security headers on every page the browser opens, and a form refused without its CSRF token.

The ``page`` fixture already checks every HTML page of every journey (and that the browser saw
no Content-Security-Policy violation). This module opens every page of the portal that has no
argument, plus the detail pages of the demo's objects and a 404, as a superuser who holds every
role (and is a resource, for the team member's pages), and checks each response's headers.
"""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch
from playwright.sync_api import Page, expect

from actuals.journal import import_actuals
from actuals.models import TimeEntry
from contracts.models import Contract, LegalEntity, Resource, Role
from invoicing.demo import TM_CONTRACT
from ledger.models import Account, Journal
from tests.e2e.conftest import confirmed_invoice, log_in, security_header_problems

pytestmark = [pytest.mark.e2e]

#: Not pages: POST-only actions, the API (tests/test_security.py checks its docs) and the admin.
SKIPPED = re.compile(r"^/(api|admin)/|^/accounts/logout/$|^/i18n/setlang/$|^/time/journal/import/$")


def _names(patterns: list, namespace: str = "") -> list[str]:
    names: list[str] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            names += _names(
                pattern.url_patterns,
                f"{namespace}:{inner}" if namespace and inner else inner or namespace,
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def pages_without_arguments() -> list[str]:
    urls = set()
    for name in _names(get_resolver().url_patterns):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if not SKIPPED.search(url):
            urls.add(url)
    return sorted(urls)


def assert_security_headers(response, url: str) -> None:
    assert security_header_problems(url, response.headers) == []


def test_every_page_sends_the_security_headers(page: Page, lang: str, demo) -> None:
    invoice = confirmed_invoice(demo["manager"])
    import_actuals(now=invoice.confirmed_at)
    root = User.objects.create_superuser("root", "root@example.com", "root-pass-123")
    Resource.objects.create(
        user=root,
        name="Root",
        legal_entity=LegalEntity.objects.get(code="NL01"),
        default_role=Role.objects.get(code="DEVELOPER"),
    )
    urls = pages_without_arguments()
    assert "/time/week/" in urls and "/billing/backlog/" in urls and "/ledger/journals/" in urls
    urls += [
        reverse("contracts:detail", args=[Contract.objects.get(number=TM_CONTRACT).pk]),
        reverse("invoicing:invoice-detail", args=[invoice.pk]),
        reverse("invoicing:proposal-detail", args=[invoice.pk]),
        reverse("ledger:journal-detail", args=[Journal.objects.get().pk]),
        reverse("ledger:account-detail", args=[Account.objects.order_by("pk").first().pk]),
    ]

    log_in(page, "root", "root-pass-123")
    expect(page.locator("h1")).to_be_visible()
    for url in urls:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert_security_headers(response, url)

    missing = page.goto("/billing/invoices/999999/")
    assert missing is not None and missing.status == 404
    assert_security_headers(missing, "404")


def test_a_form_posted_without_its_csrf_token_is_refused(page: Page, lang: str, demo) -> None:
    log_in(page, "teammember")
    page.goto("/time/week/?week=2026-11-16")
    page.locator("#id_row-0-project").select_option(label="P-1001 Warehouse platform")
    page.locator("#id_row-0-d0").fill("8")
    # What a forged form from elsewhere would lack: the token.
    page.locator("#timesheet input[name=csrfmiddlewaretoken]").evaluate("input => input.remove()")

    with page.expect_response(re.compile(r"/time/week/")) as refused:
        page.locator("#timesheet button[value=save]").click()

    assert refused.value.status == 403
    assert_security_headers(refused.value, "csrf failure")
    # The refusal, in the portal's layout and language (no inline style the CSP would block).
    expect(page.locator("h1#csrf-failure")).to_have_text(
        {"en": "Not allowed", "nl": "Geen toegang"}[lang]
    )
    assert not TimeEntry.objects.exists()
