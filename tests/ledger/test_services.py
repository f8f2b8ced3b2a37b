"""The posting API and its building blocks: numbers, periods, VAT codes, exchange rates."""

import datetime as dt
import random
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from contracts.models import ItemSalesTaxGroup, SalesTaxGroup
from ledger.models import (
    Account,
    LedgerEntry,
    LedgerEntryLine,
    NumberSeries,
    PeriodStatus,
    PostingProfile,
    VatCode,
    VatRule,
)
from ledger.services import (
    InvalidAccount,
    LineSpec,
    MissingExchangeRate,
    MissingVatCode,
    PeriodClosed,
    PeriodStateError,
    Side,
    UnbalancedEntry,
    close_period,
    exchange_rate,
    load_default_chart,
    next_number,
    post_entry,
    reopen_period,
    reverse_entry,
    vat_code_for,
)
from tests.factories import (
    DimensionValueFactory,
    ExchangeRateFactory,
    LegalEntityFactory,
    ProjectFactory,
    ledger_setup,
)

from .conftest import POSTED_AT, period


def _line(account, side, amount, currency="EUR", **kwargs):
    return LineSpec(account=account, side=side, currency=currency, amount=Decimal(amount), **kwargs)


def test_post_entry_writes_a_balanced_entry_with_the_first_voucher_number(
    legal_entity, accounts, accountant
):
    project = ProjectFactory(legal_entity=legal_entity)
    department = DimensionValueFactory(dimension__code="DEPARTMENT", code="CONS")

    entry = post_entry(
        legal_entity=legal_entity,
        entry_date=dt.date(2026, 3, 5),
        memo="Invoice 2026-1",
        lines=[
            _line(
                accounts["1300"],
                Side.DEBIT,
                "121.00",
                customer=project.customer,
                project=project,
                dimensions=[department],
            ),
            _line(accounts["8000"], Side.CREDIT, "100.00", project=project),
            _line(accounts["1710"], Side.CREDIT, "21.00"),
        ],
        posted_by=accountant,
        posted_at=POSTED_AT,
    )

    assert entry.voucher_number == "VOU2026-000001"
    assert entry.period == period(legal_entity, 3)
    assert entry.posted_by == accountant
    rows = list(
        entry.lines.order_by("line_number").values_list(
            "account__code", "amount", "accounting_amount", "exchange_rate"
        )
    )
    assert rows == [
        ("1300", Decimal("121.00"), Decimal("121.00"), Decimal("1.00000000")),
        ("8000", Decimal("-100.00"), Decimal("-100.00"), Decimal("1.00000000")),
        ("1710", Decimal("-21.00"), Decimal("-21.00"), Decimal("1.00000000")),
    ]
    first = entry.lines.get(line_number=1)
    assert list(first.dimension_values.all()) == [department]
    assert (first.debit, first.credit) == (Decimal("121.00"), None)


def test_post_entry_converts_foreign_currency_with_the_rate_on_the_date(legal_entity, accounts):
    ExchangeRateFactory(rate_date=dt.date(2026, 3, 1), rate=Decimal("0.9"))
    ExchangeRateFactory(rate_date=dt.date(2026, 3, 10), rate=Decimal("0.8"))

    entry = post_entry(
        legal_entity=legal_entity,
        entry_date=dt.date(2026, 3, 5),
        memo="USD invoice",
        lines=[
            _line(accounts["1300"], Side.DEBIT, "100.00", currency="USD"),
            _line(accounts["8000"], Side.CREDIT, "100.00", currency="USD"),
        ],
        posted_by=None,
        posted_at=POSTED_AT,
    )

    assert list(entry.lines.order_by("line_number").values_list("amount", "accounting_amount")) == [
        (Decimal("100.00"), Decimal("90.00")),
        (Decimal("-100.00"), Decimal("-90.00")),
    ]


def test_unbalanced_entry_is_refused_with_the_totals_and_nothing_is_written(legal_entity, accounts):
    with pytest.raises(UnbalancedEntry) as refused:
        post_entry(
            legal_entity=legal_entity,
            entry_date=dt.date(2026, 3, 5),
            memo="wrong",
            lines=[
                _line(accounts["1300"], Side.DEBIT, "121.00"),
                _line(accounts["8000"], Side.CREDIT, "100.00"),
            ],
            posted_by=None,
            posted_at=POSTED_AT,
        )

    assert str(refused.value) == (
        "The entry does not balance: debits 121.00 and credits 100.00 EUR; they must be equal."
    )
    assert refused.value.message_dict == {"lines": [str(refused.value)]}
    assert LedgerEntry.objects.count() == 0
    assert NumberSeries.objects.count() == 0


def test_entry_in_a_closed_period_is_refused_by_the_service(legal_entity, accounts, accountant):
    close_period(period=period(legal_entity, 3), closed_by=accountant, closed_at=POSTED_AT)

    with pytest.raises(PeriodClosed) as refused:
        post_entry(
            legal_entity=legal_entity,
            entry_date=dt.date(2026, 3, 5),
            memo="late",
            lines=[
                _line(accounts["1300"], Side.DEBIT, "10.00"),
                _line(accounts["8000"], Side.CREDIT, "10.00"),
            ],
            posted_by=None,
            posted_at=POSTED_AT,
        )

    assert str(refused.value) == (
        "Period 3 of 2026 (2026-03-01 to 2026-03-31) is closed: choose a date in an open "
        "period or reopen the period."
    )
    assert refused.value.message_dict.keys() == {"entry_date"}
    assert LedgerEntry.objects.count() == 0


def test_entry_outside_every_fiscal_year_is_refused(legal_entity, accounts):
    with pytest.raises(PeriodClosed, match="No accounting period of NL01 covers 2027-01-02"):
        post_entry(
            legal_entity=legal_entity,
            entry_date=dt.date(2027, 1, 2),
            memo="next year",
            lines=[
                _line(accounts["1300"], Side.DEBIT, "10.00"),
                _line(accounts["8000"], Side.CREDIT, "10.00"),
            ],
            posted_by=None,
            posted_at=POSTED_AT,
        )
    assert LedgerEntry.objects.count() == 0


def test_account_of_another_legal_entity_is_refused(legal_entity, accounts):
    other = ledger_setup(LegalEntityFactory(code="BE01"))
    foreign = Account.objects.get(legal_entity=other, code="8000")

    with pytest.raises(InvalidAccount, match="belongs to another legal entity"):
        post_entry(
            legal_entity=legal_entity,
            entry_date=dt.date(2026, 3, 5),
            memo="x",
            lines=[
                _line(accounts["1300"], Side.DEBIT, "10.00"),
                _line(foreign, Side.CREDIT, "10.00"),
            ],
            posted_by=None,
            posted_at=POSTED_AT,
        )
    assert LedgerEntry.objects.count() == 0


def test_reverse_entry_posts_the_mirror_image(legal_entity, accounts):
    entry = post_entry(
        legal_entity=legal_entity,
        entry_date=dt.date(2026, 3, 5),
        memo="Invoice",
        lines=[
            _line(accounts["1300"], Side.DEBIT, "121.00"),
            _line(accounts["8000"], Side.CREDIT, "121.00"),
        ],
        posted_by=None,
        posted_at=POSTED_AT,
    )

    reversal = reverse_entry(
        entry=entry,
        entry_date=dt.date(2026, 4, 1),
        memo="Credit",
        posted_by=None,
        posted_at=POSTED_AT,
    )

    assert reversal.reverses == entry
    assert reversal.voucher_number == "VOU2026-000002"
    assert list(reversal.lines.order_by("line_number").values_list("account__code", "amount")) == [
        ("1300", Decimal("-121.00")),
        ("8000", Decimal("121.00")),
    ]


def test_close_and_reopen_period(legal_entity, accountant):
    march = period(legal_entity, 3)

    closed = close_period(period=march, closed_by=accountant, closed_at=POSTED_AT)
    assert (closed.status, closed.status_changed_by) == (PeriodStatus.CLOSED, accountant)
    with pytest.raises(PeriodStateError, match="Period 3 of 2026 is already Closed"):
        close_period(period=march, closed_by=accountant, closed_at=POSTED_AT)

    reopened = reopen_period(period=march, reopened_by=accountant, reopened_at=POSTED_AT)
    assert reopened.status == PeriodStatus.OPEN
    march.refresh_from_db()
    assert march.status == PeriodStatus.OPEN


def test_vat_code_for_a_pair_with_a_rule(legal_entity):
    code = vat_code_for(
        sales_tax_group=SalesTaxGroup.objects.get(code="EU_B2B"),
        item_sales_tax_group=ItemSalesTaxGroup.objects.get(code="SERVICES"),
    )
    assert (code.code, code.rate, code.category, code.invoice_text) == (
        "VRC",
        Decimal("0.0000"),
        "reverse_charge",
        "Btw verlegd",
    )


def test_vat_code_for_a_pair_without_a_rule_says_what_to_fix(legal_entity):
    goods = ItemSalesTaxGroup.objects.create(code="GOODS", name="Goods")

    with pytest.raises(MissingVatCode) as refused:
        vat_code_for(
            sales_tax_group=SalesTaxGroup.objects.get(code="DOMESTIC"), item_sales_tax_group=goods
        )

    assert refused.value.message_dict == {
        "item_sales_tax_group": [
            "No VAT code for sales tax group DOMESTIC with item sales tax group GOODS: choose "
            "another pair or add a VAT rule for it."
        ]
    }


def test_exchange_rate_is_the_latest_on_or_before_the_date(db):
    ExchangeRateFactory(rate_date=dt.date(2026, 1, 1), rate=Decimal("0.9"))
    ExchangeRateFactory(rate_date=dt.date(2026, 2, 1), rate=Decimal("0.85"))

    assert exchange_rate(
        from_currency="USD", to_currency="EUR", on_date=dt.date(2026, 1, 31)
    ) == Decimal("0.9")
    assert exchange_rate(
        from_currency="USD", to_currency="EUR", on_date=dt.date(2026, 2, 1)
    ) == Decimal("0.85")
    assert exchange_rate(
        from_currency="EUR", to_currency="USD", on_date=dt.date(2026, 2, 1)
    ) == Decimal("1.17647059")
    assert exchange_rate(
        from_currency="EUR", to_currency="EUR", on_date=dt.date(2026, 2, 1)
    ) == Decimal("1")


def test_missing_exchange_rate_says_what_to_fix(db):
    ExchangeRateFactory(rate_date=dt.date(2026, 2, 1))

    with pytest.raises(MissingExchangeRate) as refused:
        exchange_rate(from_currency="USD", to_currency="EUR", on_date=dt.date(2026, 1, 31))

    assert refused.value.message_dict == {
        "currency": [
            "No exchange rate from USD to EUR on or before 2026-01-31: add one under exchange "
            "rates."
        ]
    }


def test_load_default_chart_is_idempotent(legal_entity):
    counts = (
        Account.objects.count(),
        VatCode.objects.count(),
        VatRule.objects.count(),
        PostingProfile.objects.count(),
    )
    load_default_chart(legal_entity=legal_entity, year=2026)
    assert counts == (
        Account.objects.count(),
        VatCode.objects.count(),
        VatRule.objects.count(),
        PostingProfile.objects.count(),
    )
    assert counts == (24, 5, 9, 1)
    profile = PostingProfile.objects.get()
    assert (profile.is_default, profile.accrue_tm_revenue) == (True, True)
    assert legal_entity.fiscal_years.get().periods.filter(status="open").count() == 12


def test_next_number_counts_per_legal_entity_fiscal_year_and_purpose(legal_entity):
    fiscal_year = legal_entity.fiscal_years.get()
    with transaction.atomic():
        first = next_number(legal_entity=legal_entity, fiscal_year=fiscal_year, purpose="invoice")
        second = next_number(legal_entity=legal_entity, fiscal_year=fiscal_year, purpose="invoice")
        voucher = next_number(legal_entity=legal_entity, fiscal_year=fiscal_year, purpose="voucher")
    assert (first, second, voucher) == ("INV2026-000001", "INV2026-000002", "VOU2026-000001")


class _Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_gapless_voucher_numbers_under_eight_concurrent_posters_with_rollbacks():
    le = ledger_setup(LegalEntityFactory())
    accounts = {a.code: a for a in Account.objects.filter(legal_entity=le)}
    per_thread = 6
    committed: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def poster(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait()
            for i in range(per_thread):
                try:
                    with transaction.atomic():
                        entry = post_entry(
                            legal_entity=le,
                            entry_date=dt.date(2026, 3, 1 + i),
                            memo=f"thread {seed} #{i}",
                            lines=[
                                _line(accounts["1300"], Side.DEBIT, "10.00"),
                                _line(accounts["8000"], Side.CREDIT, "10.00"),
                            ],
                            posted_by=None,
                            posted_at=POSTED_AT,
                        )
                        if rng.random() < 0.4:
                            raise _Rollback
                    with lock:
                        committed.append(entry.voucher_number)
                except _Rollback:
                    pass
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poster, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    n = LedgerEntry.objects.count()
    assert 0 < n < 8 * per_thread  # some rolled back (seeded), some committed
    numbers = sorted(
        int(v.rsplit("-", 1)[1])
        for v in LedgerEntry.objects.values_list("voucher_number", flat=True)
    )
    assert numbers == list(range(1, n + 1))
    assert sorted(committed) == sorted(LedgerEntry.objects.values_list("voucher_number", flat=True))
    assert NumberSeries.objects.get(purpose="voucher").next_number == n + 1
    assert LedgerEntryLine.objects.count() == 2 * n
