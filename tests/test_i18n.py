"""English and Dutch: the Dutch catalogue is complete and compiled, pages follow the language the
user picked (cookie), and dates and amounts are formatted for it (1,600.00 / 1.600,00)."""

import datetime as dt
import gettext
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django import forms
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from tests.invoicing.conftest import billing  # noqa: F401  (the billing world: 8 h × 200)

LOCALE = Path(settings.BASE_DIR) / "locale" / "nl" / "LC_MESSAGES"
PO = LOCALE / "django.po"
MO = LOCALE / "django.mo"
BACKLOG = reverse("invoicing:backlog")

#: %(name)s-style and positional printf placeholders (and %%), {name} placeholders.
PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs%]")
NAMED = re.compile(r"%\([^)]*\)[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")
BRACE = re.compile(r"\{\w*\}")


def read_catalog() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f)


def messages() -> list:
    return [m for m in read_catalog() if m.id]


def as_tuple(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def placeholders(text: str, *, printf: bool) -> list[str]:
    found = (PRINTF if printf else NAMED).findall(text) + BRACE.findall(text)
    return sorted(found)


# --- the catalogue ----------------------------------------------------------------------------


def test_the_dutch_catalogue_has_the_plural_rule_of_dutch():
    catalog = read_catalog()
    assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"
    assert str(catalog.locale) == "nl"
    assert len(messages()) > 1000


def test_every_entry_is_translated_and_none_is_fuzzy():
    untranslated = [
        m.id for m in messages() if not all(s and s.strip() for s in as_tuple(m.string))
    ]
    fuzzy = [m.id for m in messages() if m.fuzzy]
    assert untranslated == [], "run `make messages` and translate these"
    assert fuzzy == [], "check these translations and remove their fuzzy flag"


def test_translations_keep_the_placeholders_of_their_msgid():
    wrong = []
    for m in messages():
        printf = "python-format" in m.flags
        ids = as_tuple(m.id)
        strings = as_tuple(m.string)
        for index, text in enumerate(strings):
            source = ids[min(index, len(ids) - 1)]
            expected = placeholders(source, printf=printf)
            if index == 0 and len(ids) > 1:
                # The singular may leave the count out ("One item"); never add a name.
                if not set(placeholders(text, printf=printf)) <= set(
                    placeholders(ids[1], printf=printf)
                ):
                    wrong.append((source, text))
                continue
            if placeholders(text, printf=printf) != expected:
                wrong.append((source, text))
    assert wrong == []


def test_the_placeholder_check_sees_a_wrong_name():
    assert placeholders("%(n)d items", printf=True) != placeholders("%(m)d posten", printf=True)
    assert placeholders("%(n)d items", printf=True) == placeholders("%(n)d posten", printf=True)
    assert placeholders("Split %%", printf=True) == placeholders("Verdeling %%", printf=True)
    assert placeholders("{count} rows", printf=False) != placeholders("{n} rijen", printf=False)


def test_the_compiled_catalogue_is_up_to_date_with_the_po_file():
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog())
    buffer.seek(0)
    expected = gettext.GNUTranslations(buffer)._catalog  # type: ignore[attr-defined]
    with MO.open("rb") as f:
        committed = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
    expected.pop("", None)
    committed.pop("", None)
    missing = sorted(str(k) for k in set(expected) - set(committed))
    stale = sorted(str(k) for k in set(committed) - set(expected))
    changed = sorted(str(k) for k in set(expected) & set(committed) if expected[k] != committed[k])
    assert (missing, stale, changed) == ([], [], []), "run `make messages` and commit the .mo"
    assert len(committed) > 1000


def test_django_uses_the_dutch_catalogue():
    with translation.override("nl"):
        assert translation.gettext("Billing backlog") == "Achterstand in projectfacturering"
        assert translation.ngettext("%(n)d item", "%(n)d items", 1) % {"n": 1} == "1 post"
        assert translation.ngettext("%(n)d item", "%(n)d items", 3) % {"n": 3} == "3 posten"
    with translation.override("en"):
        assert translation.gettext("Billing backlog") == "Billing backlog"


# --- formats ----------------------------------------------------------------------------------


AMOUNTS = Template(
    "{% load money %}{{ a|amount }}|{{ a|amount:'EUR' }}|{{ y|amount:'JPY' }}|{{ s|amount }}|"
    "{{ none|amount }}|{{ text|amount }}|{{ year }}|{{ day|date:'SHORT_DATE_FORMAT' }}"
)
VALUES = {
    "a": Decimal("1600"),
    "y": Decimal("123456"),
    "s": "-1234567.005",
    "none": None,
    "text": "n/a",
    "year": 2026,
    "day": dt.date(2026, 3, 2),
}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "1,600.00|1,600.00 EUR|123,456 JPY|-1,234,567.01||n/a|2026|2026-03-02"),
        ("nl", "1.600,00|1.600,00 EUR|123.456 JPY|-1.234.567,01||n/a|2026|02-03-2026"),
    ],
)
def test_amounts_and_dates_are_formatted_for_the_language(language, expected):
    with translation.override(language):
        assert AMOUNTS.render(Context(VALUES)) == expected


def test_a_date_field_keeps_the_iso_value_a_browser_date_input_needs_in_dutch():
    widget = forms.DateInput(attrs={"type": "date"})
    with translation.override("nl"):
        html = widget.render("entry_date", dt.date(2026, 3, 2))
        parsed = forms.DateField().clean("02-03-2026")
    assert 'value="2026-03-02"' in html
    assert parsed == dt.date(2026, 3, 2)


# --- pages ------------------------------------------------------------------------------------


@pytest.fixture
def manager_client(client, billing):  # noqa: F811
    billing.approve("8", day=dt.date(2026, 3, 2))  # 8 h × 200 = 1,600.00 EUR in the backlog
    client.force_login(billing.manager)
    return client


@pytest.mark.django_db
def test_the_backlog_in_dutch(manager_client):
    manager_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"

    html = manager_client.get(BACKLOG).content.decode()

    assert '<html lang="nl">' in html
    assert "<h1>Achterstand in projectfacturering</h1>" in html
    assert ">Facturen</a>" in html and ">Goedkeuringen</a>" in html  # the navigation
    assert ">Afmelden</button>" in html
    assert "1.600,00 EUR" in html
    assert "1,600.00" not in html
    assert ">02-03-2026</label>" in html  # the item's date
    assert 'data-decimal-separator="," data-thousand-separator="."' in html
    assert 'data-amount="1600.00"' in html  # what the script adds up stays a plain number


@pytest.mark.django_db
def test_the_backlog_in_english(manager_client):
    manager_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = manager_client.get(BACKLOG).content.decode()

    assert '<html lang="en">' in html
    assert "<h1>Billing backlog</h1>" in html
    assert ">Invoices</a>" in html
    assert "1,600.00 EUR" in html
    assert "1.600,00" not in html
    assert ">2026-03-02</label>" in html
    assert 'data-decimal-separator="." data-thousand-separator=","' in html


@pytest.mark.django_db
def test_the_language_switcher_sets_a_lasting_cookie_and_the_next_page_is_dutch(manager_client):
    before = manager_client.get(BACKLOG).content.decode()
    assert "<h1>Billing backlog</h1>" in before  # English by default
    assert (
        'action="/i18n/setlang/"' in before and '<option value="nl">Nederlands</option>' in before
    )

    response = manager_client.post(reverse("set_language"), {"language": "nl", "next": BACKLOG})

    assert response.status_code == 302 and response["Location"] == BACKLOG
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "nl"
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert cookie["httponly"]
    html = manager_client.get(BACKLOG).content.decode()
    assert "<h1>Achterstand in projectfacturering</h1>" in html
    assert '<option value="nl" selected>Nederlands</option>' in html
    # It sticks: another page, and the login page after logging out, are Dutch too.
    assert ">Achterstand</a>" in manager_client.get(reverse("home"), follow=True).content.decode()
    manager_client.post(reverse("logout"))
    assert ">Aanmelden<" in manager_client.get(reverse("login")).content.decode()

    manager_client.post(reverse("set_language"), {"language": "en", "next": BACKLOG})
    assert ">Log in<" in manager_client.get(reverse("login")).content.decode()


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing(manager_client):
    manager_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"

    response = manager_client.post(reverse("set_language"), {"language": "xx", "next": BACKLOG})

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert "<h1>Achterstand in projectfacturering</h1>" in (
        manager_client.get(BACKLOG).content.decode()
    )
