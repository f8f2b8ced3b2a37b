"""Browser tests: Playwright driving Debian's Chromium against pytest-django's ``live_server``.

- ``browser`` (session): one headless Chromium (``/usr/bin/chromium``; never downloaded).
- ``lang`` (``en`` / ``nl``): every journey runs once per language; the ``django_language``
  cookie is set on the context before the first request, as if the person had picked it.
- ``page``: a fresh browser context (cookies, storage) per test. While the test runs it records
  every HTML page the browser receives and, at the end, checks that each one sent the security
  headers, and that the browser reported no Content-Security-Policy violation (no inline
  script or style slipped in).
- ``demo``: the demo data set (``manage.py seed_demo``) in a transactional database, so the
  live server's thread sees it.
- ``shot(page, name)``: a full-page screenshot under ``artifacts/screenshots/<lang>/``, its path
  printed and listed in ``artifacts/screenshots/index.txt``.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

# Playwright's sync API runs an asyncio event loop in the main thread. Django sees that loop and
# refuses database calls from the test body (SynchronousOnlyOperation), although the calls are
# made synchronously, outside any coroutine. Allowing them is the documented way to combine
# pytest-django with Playwright's sync API; the live server serves requests in its own thread,
# where nothing changes.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

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

EXPECTED_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
CSP_DIRECTIVES = {"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


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

    def on_response(self, response: Any) -> None:
        if response.request.resource_type == "document":
            self.documents.append((response.url, response.status, response.headers))

    def on_console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def problems(self) -> list[str]:
        found = [f"CSP violation: {text}" for text in self.csp_violations]
        for url, status, headers in self.documents:
            if status in (301, 302, 303):
                continue
            for name, value in EXPECTED_HEADERS.items():
                if headers.get(name) != value:
                    found.append(f"{url}: {name} is {headers.get(name)!r}, expected {value!r}")
            policy = {d.strip() for d in headers.get("content-security-policy", "").split(";")}
            if not CSP_DIRECTIVES <= policy:
                found.append(f"{url}: Content-Security-Policy lacks {CSP_DIRECTIVES - policy}")
        return found


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(context: BrowserContext, page_log: PageLog) -> Iterator[Page]:
    page = context.new_page()
    page.on("response", page_log.on_response)
    page.on("console", page_log.on_console)
    # data-confirm asks with window.confirm before irreversible steps: the person says yes.
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    problems = page_log.problems()
    assert page_log.documents, "the test opened no page"
    assert not problems, "\n".join(problems)


@pytest.fixture
def demo(transactional_db: None) -> dict[str, User]:
    """The demo data (manage.py seed_demo): the three people of the journeys."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return {u.username: u for u in User.objects.filter(username__in=["teammember", "manager", "accountant"])}


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
