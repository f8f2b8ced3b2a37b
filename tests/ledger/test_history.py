"""History of the mutable money tables is kept by PostgreSQL triggers (django-pghistory)."""

import datetime as dt
from decimal import Decimal

from ledger.models import ExchangeRate, JournalLine
from tests.factories import ExchangeRateFactory, JournalLineFactory


def test_a_bulk_update_of_an_exchange_rate_is_recorded(db):
    rate = ExchangeRateFactory(rate_date=dt.date(2026, 1, 1), rate=Decimal("0.9"))

    ExchangeRate.objects.filter(pk=rate.pk).update(rate=Decimal("0.95"))

    events = ExchangeRate.pgh_event_model.objects.filter(pgh_obj=rate).order_by("pgh_id")
    assert [(e.pgh_label, e.rate) for e in events] == [
        ("insert", Decimal("0.90000000")),
        ("update", Decimal("0.95000000")),
    ]


def test_journal_line_changes_are_recorded(legal_entity):
    line = JournalLineFactory(journal__legal_entity=legal_entity)

    JournalLine.objects.filter(pk=line.pk).update(description="changed")

    events = JournalLine.pgh_event_model.objects.filter(pgh_obj=line).order_by("pgh_id")
    assert [e.description for e in events] == ["8 h Developer", "changed"]
