"""Numbers typed by people are read in the page's language; what reads two ways is refused."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from contracts.forms import NumberField, WholeNumberField
from contracts.numbers import NumberRefused, ascii_id, ascii_ids, parse_number

READ = [
    # (language, typed, read)
    ("nl", "7,5", Decimal("7.5")),
    ("nl", "1,25", Decimal("1.25")),
    ("nl", "8", Decimal("8")),
    ("nl", ",5", Decimal("0.5")),
    ("nl", "5,", Decimal("5")),
    ("nl", " -2,50 ", Decimal("-2.50")),
    ("nl", "1.234,56", Decimal("1234.56")),
    ("nl", "1.234.567", Decimal("1234567")),
    ("nl", "1 234,5", Decimal("1234.5")),
    ("nl", "1\u00a0234,5", Decimal("1234.5")),
    ("en", "7.5", Decimal("7.5")),
    ("en", "1.25", Decimal("1.25")),
    ("en", "+3", Decimal("3")),
    ("en", "1,234.56", Decimal("1234.56")),
    ("en", "1,234,567", Decimal("1234567")),
    ("en", ".75", Decimal("0.75")),
]

REFUSED = [
    # (language, typed, message)
    ("nl", "7.5", "Gebruik “,” voor decimalen: 7,5."),
    ("nl", "1.5", "Gebruik “,” voor decimalen: 1,5."),
    ("nl", "1.500", "“1.500” kan op twee manieren gelezen worden: schrijf 1500 of 1,500."),
    ("nl", "1,5,0", "“1,5,0” heeft meer dan één decimaalteken."),
    ("nl", "12.34.5", "“12.34.5” is geen getal."),
    ("nl", "7,5.0", "“7,5.0” is geen getal."),
    ("nl", "zeven", "“zeven” is geen getal."),
    ("nl", "1e3", "“1e3” is geen getal."),
    ("nl", ",", "“,” is geen getal."),
    ("en", "7,5", "Use “.” for decimals: 7.5."),
    ("en", "-1,5", "Use “.” for decimals: -1.5."),
    ("en", "1,500", "“1,500” could be read two ways: write 1500 or 1.500."),
    ("en", "1.2.3", "“1.2.3” has more than one decimal separator."),
    ("en", "NaN", "“NaN” is not a number."),
    ("en", "Infinity", "“Infinity” is not a number."),
]


@pytest.mark.parametrize(("language", "typed", "read"), READ)
def test_a_number_is_read_with_the_separators_of_the_language(language, typed, read):
    with translation.override(language):
        assert parse_number(typed) == read


@pytest.mark.parametrize(("language", "typed", "message"), REFUSED)
def test_what_reads_two_ways_or_not_at_all_is_refused_and_says_why(language, typed, message):
    with translation.override(language), pytest.raises(NumberRefused) as refused:
        parse_number(typed)
    assert str(refused.value) == message


def test_the_field_shows_and_reads_the_language_and_keeps_its_limits():
    field = NumberField(max_digits=5, decimal_places=2, max_value=Decimal("24"), required=False)
    with translation.override("nl"):
        assert field.clean("7,5") == Decimal("7.5")
        assert field.clean("") is None
        assert field.widget.format_value(field.prepare_value(Decimal("7.50"))) == "7,50"
        with pytest.raises(Exception) as refused:
            field.clean("75,5")
        assert refused.value.messages == ["Zorg ervoor dat deze waarde hoogstens 24 is."]
    with translation.override("en"):
        assert field.clean("7.5") == Decimal("7.5")
        assert field.widget.format_value(field.prepare_value(Decimal("7.50"))) == "7.50"
        with pytest.raises(Exception) as refused:
            field.clean("7,5")
        assert refused.value.messages == ["Use “.” for decimals: 7.5."]
    html = field.widget.render("d0", "7.5")
    assert 'type="text"' in html and 'inputmode="decimal"' in html


@pytest.mark.parametrize(
    "language, typed, message",
    [
        ("en", "٣", "Use the digits 0-9."),
        ("en", "7.٥", "Use the digits 0-9."),
        ("nl", "٣,٥", "Gebruik de cijfers 0-9."),
        ("nl", "３", "Gebruik de cijfers 0-9."),
    ],
)
def test_other_digits_than_0_9_are_refused_on_the_pages(language, typed, message):
    """Python's Decimal reads Arabic-Indic ``٣`` as 3: hours nobody can check at a glance."""
    field = NumberField(label="Hours", max_digits=5, decimal_places=2)

    with translation.override(language), pytest.raises(ValidationError) as exc:
        field.clean(typed)

    assert exc.value.messages == [message]


def test_a_whole_number_field_takes_0_9_only():
    field = WholeNumberField(min_value=1)

    with pytest.raises(ValidationError) as exc:
        field.clean("٣")

    assert exc.value.messages == ["Use the digits 0-9."]
    assert field.clean("3") == 3


def test_ids_from_a_page_are_read_with_0_9_only():
    assert ascii_ids(["12", "٣", "²", "1.5", "", " 4", "07"]) == [12, 7]
    assert ascii_id("٣") is None
    assert ascii_id("42") == 42
