"""English and Dutch: the Dutch catalogue is complete and compiled, pages follow the language the
user picked (cookie), and dates and amounts are formatted for it (1,600.00 / 1.600,00)."""

import datetime as dt
import gettext
import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django import forms
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from django.utils.translation.template import templatize

from tests.invoicing.conftest import billing  # noqa: F401  (the billing world: 8 h × 200)

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale" / "nl" / "LC_MESSAGES"
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


# --- the catalogue covers the sources ---------------------------------------------------------

#: Folders `scripts/i18n.sh` keeps out of makemessages (hidden folders are skipped as well).
NOT_SCANNED = frozenset({".venv", "var", ".devdata", "bench", "tests", "artifacts"})
#: The functions makemessages tells xgettext about, as Babel keyword specs ("c": the context).
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}

MessageKey = tuple[str | None, str | tuple[str, ...]]  # (context, msgid or (singular, plural))


def marked_strings(path: Path) -> list[MessageKey]:
    """The strings a .py, .html or .txt file marks for translation, as makemessages sees them.

    Templates go through Django's own ``templatize`` (what makemessages hands to xgettext: every
    ``{% translate %}``/``{% blocktranslate %}``/``_("…")`` as a gettext call among blanked-out
    text, a call never spanning lines); its lines are dedented for Python's tokenizer. Babel's
    Python extractor then reads the calls, in templates and code alike.
    """
    if path.suffix == ".py":
        source = path.read_bytes()
    elif path.suffix in {".html", ".txt"}:
        text = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        source = "\n".join(line.lstrip() for line in text.splitlines()).encode()
    else:
        return []
    found: list[MessageKey] = []
    for _lineno, message, _comments, context in extract(
        "python", io.BytesIO(source), keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else tuple(message)
        if msgid and (isinstance(msgid, str) or msgid[0]):
            found.append((context, msgid))
    return found


def source_messages(root: Path) -> dict[MessageKey, str]:
    """Every marked string under ``root`` → the first file (relative path) that marks it."""
    found: dict[MessageKey, str] = {}
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(
            name for name in subfolders if name not in NOT_SCANNED and not name.startswith(".")
        )
        for name in sorted(files):
            path = Path(folder) / name
            for key in marked_strings(path):
                found.setdefault(key, str(path.relative_to(root)))
    return found


def catalogue_keys() -> set[MessageKey]:
    return {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in messages()}


def test_every_string_the_code_and_templates_mark_is_in_the_catalogue():
    """A string added to the code or a template without `make messages` fails here.

    Limits: the extraction is Babel's Python tokenizer over the code and over Django's
    ``templatize`` of each template, not xgettext itself; it knows the keywords above (the ones
    makemessages passes) and the folders ``scripts/i18n.sh`` scans, .py/.html/.txt only. As
    with makemessages, a string built at run time (``_(name)``, an f-string) is not seen.
    Entries no longer in the sources are not checked: ``make messages`` drops them.
    """
    sources = source_messages(ROOT)
    known = catalogue_keys()

    missing = sorted(
        f"{path}: {msgid!r}" + (f" (context {context!r})" if context else "")
        for (context, msgid), path in sources.items()
        if (context, msgid) not in known
    )

    assert missing == [], "run `make messages` and translate these"
    assert len(sources) > 1000  # the walk found the project


def test_the_source_check_sees_every_kind_of_marked_string(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "ignored.py").write_text('_("In a folder makemessages skips")\n')
    (tmp_path / "page.html").write_text(
        "{% load i18n %}\n"
        '<h1>{% translate "Billing backlog" %}</h1>\n'
        "  <p>{% trans 'Not in the catalogue' %}</p>\n"
        '<a title="{% translate "Go" context "verb" %}">{{ x|default:_("Empty") }}</a>\n'
        "{% blocktranslate trimmed count n=items %}\n  {{ n }} thing\n"
        "{% plural %}\n  {{ n }} things\n{% endblocktranslate %}\n"
    )
    (tmp_path / "views.py").write_text(
        "from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy\n"
        "LABEL = gettext_lazy('Billing backlog')\n"
        "def f(n, name):\n"
        "    return (ngettext('%(n)d item', '%(n)d items', n), _(name),\n"
        "            pgettext_lazy('month', 'May'))\n"
    )

    found = source_messages(tmp_path)

    assert found == {
        (None, "Billing backlog"): "page.html",
        (None, "Not in the catalogue"): "page.html",
        ("verb", "Go"): "page.html",
        (None, "Empty"): "page.html",
        (None, ("%(n)s thing", "%(n)s things")): "page.html",
        (None, ("%(n)d item", "%(n)d items")): "views.py",
        ("month", "May"): "views.py",
    }
    known = catalogue_keys()
    assert (None, "Billing backlog") in known and (None, ("%(n)d item", "%(n)d items")) in known
    assert (None, "Not in the catalogue") not in known


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
