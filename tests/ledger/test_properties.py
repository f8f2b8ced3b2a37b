"""Invariants, stated over many generated entries: every posted entry balances, so the trial
balance is always zero; an entry that does not balance is always refused."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.models import LedgerEntry
from ledger.reports import trial_balance
from ledger.services import LineSpec, Side, UnbalancedEntry, post_entry

from .conftest import POSTED_AT

CODES = ["1300", "1350", "1710", "4990", "7000", "8000", "8050"]
cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c) / 100)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    debits=st.lists(st.tuples(st.sampled_from(CODES), cents), min_size=1, max_size=4),
    credit_codes=st.lists(st.sampled_from(CODES), min_size=1, max_size=3),
    day=st.integers(min_value=1, max_value=365),
    skew=st.sampled_from([Decimal("0"), Decimal("0.01"), Decimal("-0.01")]),
)
def test_posted_entries_keep_the_trial_balance_at_zero(
    legal_entity, accounts, debits, credit_codes, day, skew
):
    total = sum((amount for _code, amount in debits), Decimal(0))
    # Split the total over the credit lines; the last one takes the remainder (plus the skew).
    share = (total / len(credit_codes)).quantize(Decimal("0.01"))
    credits = [share] * (len(credit_codes) - 1)
    credits.append(total - sum(credits, Decimal(0)) + skew)
    if any(c <= 0 for c in credits):
        return
    lines = [
        LineSpec(account=accounts[code], side=Side.DEBIT, currency="EUR", amount=amount)
        for code, amount in debits
    ] + [
        LineSpec(account=accounts[code], side=Side.CREDIT, currency="EUR", amount=amount)
        for code, amount in zip(credit_codes, credits, strict=True)
    ]
    before = LedgerEntry.objects.count()
    entry_date = dt.date(2026, 1, 1) + dt.timedelta(days=day - 1)

    if skew:
        with pytest.raises(UnbalancedEntry):
            post_entry(
                legal_entity=legal_entity,
                entry_date=entry_date,
                memo="generated",
                lines=lines,
                posted_by=None,
                posted_at=POSTED_AT,
            )
        assert LedgerEntry.objects.count() == before
    else:
        post_entry(
            legal_entity=legal_entity,
            entry_date=entry_date,
            memo="generated",
            lines=lines,
            posted_by=None,
            posted_at=POSTED_AT,
        )
        assert LedgerEntry.objects.count() == before + 1

    tb = trial_balance(legal_entity=legal_entity, on_date=dt.date(2026, 12, 31))
    assert tb.total_balance == 0
    assert tb.total_debit == tb.total_credit
