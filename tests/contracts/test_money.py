from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.money import round_money, split_by_percent


def test_round_money_rounds_half_up_to_the_minor_unit():
    assert round_money(Decimal("0.005"), "EUR") == Decimal("0.01")
    assert round_money(Decimal("-0.005"), "EUR") == Decimal("-0.01")
    assert round_money(Decimal("2.675"), "EUR") == Decimal("2.68")
    assert round_money(Decimal("10.5"), "JPY") == Decimal("11")


def test_round_money_refuses_floats():
    with pytest.raises(TypeError):
        round_money(0.1, "EUR")  # type: ignore[arg-type]


def test_split_60_40_with_an_odd_cent_adds_up_exactly():
    parts = split_by_percent(
        Decimal("100.01"), [(Decimal(60), False), (Decimal(40), True)], Decimal("0.01")
    )
    assert parts == [Decimal("60.01"), Decimal("40.00")]


@given(
    total=st.decimals(min_value=Decimal("-100000"), max_value=Decimal("100000"), places=2),
    first=st.integers(min_value=1, max_value=99),
)
def test_split_parts_always_add_up_to_the_whole(total, first):
    shares = [(Decimal(first), False), (Decimal(100 - first), True)]
    parts = split_by_percent(total, shares, Decimal("0.01"))
    assert sum(parts) == total
    assert parts[0] == (total * first / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
