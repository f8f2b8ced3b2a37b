"""Browser tests: Playwright driving Debian's Chromium against pytest-django's ``live_server``.

- ``browser`` (module): one headless Chromium (``/usr/bin/chromium``; never downloaded).
- ``lang`` (``en`` / ``nl``): every journey runs once per language; the ``django_language``
  cookie is set on the context before the first request, as if the person had picked it.
- ``page``: a fresh browser context (cookies, storage) per test. While the test runs it records
  every HTML page the browser receives and, at the end, checks that each one sent the security
  headers, and that the browser reported no Content-Security-Policy violation (no inline
  script or style slipped in).
- ``demo``: the demo data set (``manage.py seed_demo``) in a transactional database, so the
  live server's thread sees it.
- ``book_and_submit`` / ``confirmed_invoice``: what an earlier journey did, through the services.
- ``shot(page, name)``: a full-page screenshot under ``artifacts/screenshots/<lang>/``, its path
  printed and listed in ``artifacts/screenshots/index.txt``.
"""

import datetime as dt
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from actuals import services as actuals
from actuals.models import Actual, ActualType, TimeEntry
from actuals.services.billing import mark_ready
from contracts.models import Contract, Project, Resource, Role, Task
from invoicing.demo import TM_CONTRACT
from invoicing.models import Invoice
from invoicing.services import confirm_invoice, create_invoice_for_contract
from tests.test_security import EXPECTED_CSP

# Playwright's sync API runs an asyncio event loop in the main thread, and between its calls
# marks that loop as running. Django then sees an "async context" and refuses the database calls
# of the test body and of pytest-django's fixtures (SynchronousOnlyOperation), although they are
# made synchronously, outside any coroutine. Allowing them (DJANGO_ALLOW_ASYNC_UNSAFE) is the
# documented way to combine pytest-django with Playwright's sync API; the live server serves
# requests in its own thread, where nothing changes. The variable is set only while a browser
# module runs (``_async_unsafe_allowed`` below, with the module-scoped ``browser``): left set, it
# would leak into the rest of the suite, e.g. ``manage.py check --deploy`` warns about it.
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
#: How long ``expect`` and actions wait for the page (milliseconds).
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)
LANGUAGES = ["en", "nl"]
#: The journeys' week: inside the 2026 price lists and open fiscal year, not in the future.
MONDAY, TUESDAY = dt.date(2026, 11, 16), dt.date(2026, 11, 17)

EXPECTED_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def security_header_problems(url: str, headers: dict[str, str]) -> list[str]:
    """What is wrong with a page's security headers (Playwright gives lower-case names): the
    Content-Security-Policy of tests/test_security.py, frame, content-type and referrer."""
    found = [
        f"{url}: {name} is {headers.get(name)!r}, expected {value!r}"
        for name, value in EXPECTED_HEADERS.items()
        if headers.get(name) != value
    ]
    directives = (
        d.strip().split(" ", 1) for d in headers.get("content-security-policy", "").split(";")
    )
    policy = {d[0]: d[1] if len(d) > 1 else "" for d in directives if d[0]}
    if policy != EXPECTED_CSP:
        found.append(f"{url}: Content-Security-Policy is {policy}, expected {EXPECTED_CSP}")
    return found


@pytest.fixture(scope="module", autouse=True)
def _async_unsafe_allowed() -> Iterator[None]:
    """Django's async-safety check off while this module's browser lives (see the top)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ASYNC_UNSAFE, "true")
        yield


@pytest.fixture(scope="module")
def browser(_async_unsafe_allowed: None) -> Iterator[Browser]:
    """One headless Chromium per module: its event loop stops with it, before other tests."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _tasks_in_the_server(eager_celery: None) -> None:
    """Background jobs (journal import and post) run inside the live server's request, as if
    a worker took them at once (the worker itself is tested in tests/test_celery_worker.py)."""


@pytest.fixture(params=LANGUAGES)
def lang(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def context(browser: Browser, live_server: Any, lang: str) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=live_server.url,
        locale="nl-NL" if lang == "nl" else "en-GB",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url}]
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


class PageLog:
    """The HTML pages the browser received and the console's CSP complaints."""

    def __init__(self) -> None:
        self.documents: list[tuple[str, int, dict[str, str]]] = []
        self.csp_violations: list[str] = []
        self.dialogs: list[str] = []

    def on_response(self, response: Any) -> None:
        if response.request.resource_type == "document":
            self.documents.append((response.url, response.status, response.headers))

    def on_dialog(self, dialog: Any) -> None:
        """data-confirm asks with window.confirm before irreversible steps: the person reads
        the question (kept here) and says yes."""
        self.dialogs.append(dialog.message)
        dialog.accept()

    def on_console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def problems(self) -> list[str]:
        found = [f"CSP violation: {text}" for text in self.csp_violations]
        for url, status, headers in self.documents:
            if status not in (301, 302, 303):
                found += security_header_problems(url, headers)
        return found


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(context: BrowserContext, page_log: PageLog) -> Iterator[Page]:
    page = context.new_page()
    page.on("response", page_log.on_response)
    page.on("console", page_log.on_console)
    page.on("dialog", page_log.on_dialog)
    yield page
    page.evaluate("0")  # a round trip: console messages of the last page arrive first
    problems = page_log.problems()
    assert page_log.documents, "the test opened no page"
    assert not problems, "\n".join(problems)


@pytest.fixture
def demo(transactional_db: None) -> dict[str, User]:
    """The demo data (manage.py seed_demo): the three people of the journeys."""
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
    people = User.objects.filter(username__in=["teammember", "manager", "accountant"])
    return {user.username: user for user in people}


def book_and_submit(hours: dict[dt.date, str]) -> list[TimeEntry]:
    """Tim's hours on P-1001 / BUILD as Developer, submitted (journey a's outcome)."""
    resource = Resource.objects.get(user__username="teammember")
    project = Project.objects.get(code="P-1001")
    now, today = timezone.now(), timezone.localdate()
    entries = [
        actuals.create_time_entry(
            resource=resource,
            project=project,
            task=Task.objects.get(project=project, code="BUILD"),
            role=Role.objects.get(code="DEVELOPER"),
            entry_date=day,
            hours=Decimal(h),
            created_at=now,
            today=today,
        )
        for day, h in hours.items()
    ]
    return actuals.submit_entries(
        model=TimeEntry,
        ids=[e.pk for e in entries],
        by=resource.user,
        submitted_at=now,
        today=today,
    )


def confirmed_invoice(manager: User) -> Invoice:
    """Journey b's outcome: 8 h and 4 h approved, marked ready, invoiced (1,500.00 EUR) and
    confirmed by the manager."""
    entries = book_and_submit({MONDAY: "8", TUESDAY: "4"})
    now = timezone.now()
    actuals.approve_entries(
        model=TimeEntry, ids=[e.pk for e in entries], approved_by=manager, approved_at=now
    )
    contract = Contract.objects.get(number=TM_CONTRACT)
    chargeable = Actual.objects.filter(
        contract=contract, actual_type=ActualType.UNBILLED_SALES, billing_type="chargeable"
    )
    mark_ready(actual_ids=list(chargeable.values_list("pk", flat=True)), scope=chargeable)
    result = create_invoice_for_contract(
        contract=contract, up_to=None, invoice_date=timezone.localdate(), by=manager, now=now
    )
    invoice = Invoice.objects.get(pk=next(iter(result.invoice_ids)))
    return confirm_invoice(invoice=invoice, by=manager, at=now, version=invoice.version)


def log_in(page: Page, username: str, password: str = "demo12345") -> None:
    """The login form, as a person fills it in (the labels, not the field names)."""
    page.goto("/")
    expect(page.locator("h1")).to_have_text({"en": "Log in", "nl": "Aanmelden"}[page_lang(page)])
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()


def page_lang(page: Page) -> str:
    """The language the page is rendered in (``<html lang>``)."""
    return page.locator("html").get_attribute("lang") or ""


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot at artifacts/screenshots/<lang>/<name>.png (path printed)."""
    folder = SCREENSHOTS / page_lang(page)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(path)
    index = sorted(p.relative_to(SCREENSHOTS).as_posix() for p in SCREENSHOTS.glob("*/*.png"))
    (SCREENSHOTS / "index.txt").write_text("".join(f"{SCREENSHOTS / p}\n" for p in index))
    return path
