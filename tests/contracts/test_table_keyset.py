"""Cursor paging of a list table (``contracts.views.table_page(keyset=True)``): *Previous*,
*Next* and the last page carry the sort values of the page's edge row."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import RequestFactory

from contracts.models import Customer
from contracts.views import Column, table_page
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

COLUMNS = [Column("Code", "code", ("code",)), Column("Name", "name", ("name",), nullable=True)]


def _table(query: str = ""):
    request = RequestFactory().get(f"/customers/{query}")
    return table_page(
        request,
        Customer.objects.filter(code__startswith="K"),
        columns=COLUMNS,
        default_sort="code",
        per_page=3,
        keyset=True,
    )


def _codes(table) -> list[str]:
    return [c.code for c in table.rows]


def _params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def customers():
    return [CustomerFactory(code=f"K{n}", name=f"Customer {n}") for n in range(1, 8)]


def test_next_previous_and_last_follow_cursors(customers):
    first = _table()
    assert (_codes(first), first.page.number, first.count) == (["K1", "K2", "K3"], 1, 7)
    assert set(_params(first.next_url)) == {"page", "after"}

    second = _table(first.next_url)
    assert (_codes(second), second.page.number) == (["K4", "K5", "K6"], 2)
    assert (second.page.start_index(), second.page.end_index()) == (4, 6)

    back = _table(second.previous_url)
    assert (_codes(back), back.page.number) == (["K1", "K2", "K3"], 1)

    [last_link] = [link for link in first.page_links if link.number == 3]
    assert _params(last_link.url)["before"] == "end"
    last = _table(last_link.url)
    assert (_codes(last), last.page.number, last.next_url) == (["K7"], 3, "")
    assert _codes(_table(last.previous_url)) == ["K4", "K5", "K6"]


def test_descending_sort_pages_by_cursor_too(customers):
    first = _table("?sort=-code")
    second = _table(first.next_url)

    assert _codes(first) == ["K7", "K6", "K5"]
    assert _codes(second) == ["K4", "K3", "K2"]
    assert _codes(_table(second.previous_url)) == ["K7", "K6", "K5"]


def test_a_broken_cursor_or_a_nullable_sort_falls_back_to_the_page_number(customers):
    assert _codes(_table("?page=2&after=not-a-cursor")) == ["K4", "K5", "K6"]
    by_name = _table("?sort=name")
    assert "after" not in _params(by_name.next_url)
