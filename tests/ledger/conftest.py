"""Ledger fixtures: a legal entity with the default Dutch setup for 2026."""

import datetime as dt

import pytest

from ledger.models import Account, Period
from tests.factories import LegalEntityFactory, ledger_setup

POSTED_AT = dt.datetime(2026, 3, 31, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def legal_entity(db):
    return ledger_setup(LegalEntityFactory())


@pytest.fixture
def accounts(legal_entity):
    return {a.code: a for a in Account.objects.filter(legal_entity=legal_entity)}


def period(legal_entity, month: int, year: int = 2026) -> Period:
    return Period.objects.get(
        fiscal_year__legal_entity=legal_entity, fiscal_year__year=year, number=month
    )
