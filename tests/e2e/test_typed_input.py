"""Typed input in a real browser: hours in the page's language, a contract found as you type.

- In Dutch a team member types 7,5 (seven and a half hours; it once became 75) and 1,25; in
  English 7.5 and 1.25. The grid saves exactly that and shows it back in the same notation.
- A project manager filters the backlog by typing the start of a contract number: the box
  suggests the contracts they may see (htmx fills its datalist), and the chosen number filters.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from actuals.models import TimeEntry
from invoicing.demo import TM_CONTRACT
from tests.e2e.conftest import MONDAY, TUESDAY, book_and_submit, log_in, shot

pytestmark = [pytest.mark.e2e]

TYPED = {"en": ("7.5", "1.25", "7.50", "1.25"), "nl": ("7,5", "1,25", "7,50", "1,25")}


def test_hours_typed_in_the_page_language_are_saved_as_typed(page: Page, lang: str, demo) -> None:
    monday, tuesday, shown_monday, shown_tuesday = TYPED[lang]
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, "teammember")
    page.goto(f"/time/week/?week={MONDAY.isoformat()}")
    page.locator("#id_row-0-project").select_option(label="P-1001 Warehouse platform")
    page.locator("#id_row-0-task").select_option(label="P-1001 / BUILD Build")
    page.locator("#id_row-0-d0").fill(monday)
    page.locator("#id_row-0-d1").fill(tuesday)
    page.locator("button[value=save]").click()

    expect(page.locator("ul.messages")).to_be_visible()
    assert sorted(TimeEntry.objects.values_list("entry_date", "hours")) == [
        (MONDAY, Decimal("7.50")),
        (TUESDAY, Decimal("1.25")),
    ]
    # Drafts stay editable: the boxes show the saved hours in the page's notation.
    expect(page.locator("#id_row-0-d0")).to_have_value(shown_monday)
    expect(page.locator("#id_row-0-d1")).to_have_value(shown_tuesday)
    # The whole week fits a 1440 px screen: Sunday's box is on screen, nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    sunday = page.locator("#id_row-0-d6").bounding_box()
    assert sunday is not None and sunday["x"] + sunday["width"] <= 1440
    assert page.evaluate(
        "(() => { const w = document.querySelector('.timesheet').closest('.table-wrap');"
        " return w.scrollWidth <= w.clientWidth; })()"
    )
    shot(page, "my-week-decimals")


def test_the_backlog_finds_a_contract_as_it_is_typed(page: Page, lang: str, demo) -> None:
    book_and_submit({MONDAY: "8"})
    log_in(page, "manager")
    page.goto("/billing/backlog/")
    box = page.locator("#id_contract")
    box.click()
    box.press_sequentially(TM_CONTRACT[:4], delay=50)
    options = page.locator("#id_contract-options option")
    expect(options.first).to_have_attribute("value", TM_CONTRACT)
    assert page.locator("select#id_contract").count() == 0  # no list of every contract

    box.fill(TM_CONTRACT)
    page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"contract={TM_CONTRACT}"))
    expect(page.locator("#id_contract")).to_have_value(TM_CONTRACT)
    shot(page, "backlog-filtered-by-contract")
