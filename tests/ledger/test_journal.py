"""The integration journal: posting rules, partial posting, edits of draft lines."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from contracts.models import ItemSalesTaxGroup, SalesTaxGroup
from ledger.models import (
    JournalLineStatus,
    JournalStatus,
    LedgerEntry,
    PostingProfile,
    ProjectPostingProfile,
)
from ledger.reports import trial_balance, wip_reconciliation
from ledger.services import (
    JournalLinePosted,
    JournalPosted,
    close_period,
    post_journal,
    update_journal_line,
)
from tests.factories import (
    DimensionValueFactory,
    ExchangeRateFactory,
    JournalFactory,
    JournalLineFactory,
    ProjectFactory,
)

from .conftest import POSTED_AT, period


def _balances(legal_entity, on_date=dt.date(2026, 12, 31)):
    tb = trial_balance(legal_entity=legal_entity, on_date=on_date)
    return {row.account.code: row.balance for row in tb.rows}, tb


def test_worked_example_1_posts_cost_and_accrued_sales_and_reconciles(legal_entity, accountant):
    """DOMAIN.md §8 example 1: 8 h at cost 100 and bill rate 200, under an accruing profile."""
    journal = JournalFactory(legal_entity=legal_entity)
    project = ProjectFactory(legal_entity=legal_entity)
    cost = JournalLineFactory(journal=journal, project=project, amount=Decimal("800.00"))
    sales = JournalLineFactory(
        journal=journal, project=project, kind="tm_unbilled_sales", amount=Decimal("1600.00")
    )

    result = post_journal(journal=journal, posted_by=accountant, posted_at=POSTED_AT)

    assert (result.posted, result.posted_without_entry, result.failed) == (2, 0, 0)
    cost.refresh_from_db()
    sales.refresh_from_db()
    assert (cost.status, sales.status) == (JournalLineStatus.POSTED, JournalLineStatus.POSTED)
    assert list(
        cost.entry.lines.order_by("line_number").values_list("account__code", "accounting_amount")
    ) == [("7000", Decimal("800.00")), ("4990", Decimal("-800.00"))]
    assert list(
        sales.entry.lines.order_by("line_number").values_list("account__code", "accounting_amount")
    ) == [("1350", Decimal("1600.00")), ("8050", Decimal("-1600.00"))]
    assert set(cost.entry.lines.values_list("project", flat=True)) == {project.pk}

    balances, tb = _balances(legal_entity)
    assert balances == {
        "1350": Decimal("1600.00"),
        "4990": Decimal("-800.00"),
        "7000": Decimal("800.00"),
        "8050": Decimal("-1600.00"),
    }
    assert (tb.total_debit, tb.total_credit, tb.total_balance) == (
        Decimal("2400.00"),
        Decimal("2400.00"),
        Decimal("0.00"),
    )
    [row] = wip_reconciliation(legal_entity=legal_entity, on_date=dt.date(2026, 12, 31))
    assert (row.project, row.subledger, row.ledger, row.reconciles) == (
        project,
        Decimal("1600.00"),
        Decimal("1600.00"),
        True,
    )
    journal.refresh_from_db()
    assert journal.status == JournalStatus.POSTED


def test_expense_cost_posts_project_cost_against_expense_offset(legal_entity, accountant):
    line = JournalLineFactory(
        journal__legal_entity=legal_entity, kind="expense_cost", amount=Decimal("50.00")
    )

    post_journal(journal=line.journal, posted_by=accountant, posted_at=POSTED_AT)

    line.refresh_from_db()
    assert list(
        line.entry.lines.order_by("line_number").values_list("account__code", "accounting_amount")
    ) == [("7000", Decimal("50.00")), ("4995", Decimal("-50.00"))]


def test_reversal_line_posts_the_mirror_image(legal_entity, accountant):
    line = JournalLineFactory(
        journal__legal_entity=legal_entity, kind="tm_unbilled_sales", amount=Decimal("-1600.00")
    )

    post_journal(journal=line.journal, posted_by=accountant, posted_at=POSTED_AT)

    line.refresh_from_db()
    assert list(
        line.entry.lines.order_by("line_number").values_list("account__code", "accounting_amount")
    ) == [("8050", Decimal("1600.00")), ("1350", Decimal("-1600.00"))]
    [row] = wip_reconciliation(legal_entity=legal_entity, on_date=dt.date(2026, 12, 31))
    assert (row.subledger, row.ledger) == (Decimal("-1600.00"), Decimal("-1600.00"))


def test_unbilled_sales_under_a_non_accruing_profile_posts_nothing(legal_entity, accountant):
    default = PostingProfile.objects.get(legal_entity=legal_entity)
    no_accrual = PostingProfile.objects.create(
        legal_entity=legal_entity,
        code="NOACCRUE",
        name="No accrual",
        accrue_tm_revenue=False,
        **{
            f.name: getattr(default, f.name)
            for f in PostingProfile._meta.fields
            if f.name.endswith("_account")
        },
    )
    line = JournalLineFactory(
        journal__legal_entity=legal_entity, kind="tm_unbilled_sales", amount=Decimal("1600.00")
    )
    ProjectPostingProfile.objects.create(project=line.project, profile=no_accrual)

    result = post_journal(journal=line.journal, posted_by=accountant, posted_at=POSTED_AT)

    assert (result.posted, result.posted_without_entry, result.failed) == (0, 1, 0)
    line.refresh_from_db()
    assert (line.status, line.entry, line.posted_at) == (JournalLineStatus.POSTED, None, POSTED_AT)
    assert LedgerEntry.objects.count() == 0


def test_journal_with_one_line_in_a_closed_period_posts_the_others(legal_entity, accountant):
    close_period(period=period(legal_entity, 2), closed_by=accountant, closed_at=POSTED_AT)
    journal = JournalFactory(legal_entity=legal_entity)
    march_1 = JournalLineFactory(journal=journal, line_date=dt.date(2026, 3, 2))
    february = JournalLineFactory(journal=journal, line_date=dt.date(2026, 2, 27))
    march_2 = JournalLineFactory(
        journal=journal, line_date=dt.date(2026, 3, 3), kind="expense_cost"
    )

    result = post_journal(journal=journal, posted_by=accountant, posted_at=POSTED_AT)

    assert (result.posted, result.failed) == (2, 1)
    for line in (march_1, february, march_2):
        line.refresh_from_db()
    assert (march_1.status, march_2.status) == (JournalLineStatus.POSTED, JournalLineStatus.POSTED)
    assert (february.status, february.entry, february.error_reason) == (
        JournalLineStatus.DRAFT,
        None,
        "Period 2 of 2026 (2026-02-01 to 2026-02-28) is closed: choose a date in an open "
        "period or reopen the period.",
    )
    # The numbers stay gapless although the failing line came between the others.
    assert sorted(LedgerEntry.objects.values_list("voucher_number", flat=True)) == [
        "VOU2026-000001",
        "VOU2026-000002",
    ]
    journal.refresh_from_db()
    assert journal.status == JournalStatus.OPEN

    # Reopen February and retry: the line posts and the journal is done.
    from ledger.services import reopen_period

    reopen_period(period=period(legal_entity, 2), reopened_by=accountant, reopened_at=POSTED_AT)
    result = post_journal(journal=journal, posted_by=accountant, posted_at=POSTED_AT)
    assert (result.posted, result.failed) == (1, 0)
    february.refresh_from_db()
    assert (february.status, february.error_reason) == (JournalLineStatus.POSTED, "")
    journal.refresh_from_db()
    assert journal.status == JournalStatus.POSTED
    with pytest.raises(JournalPosted):
        post_journal(journal=journal, posted_by=accountant, posted_at=POSTED_AT)


def test_line_in_a_foreign_currency_without_a_rate_stays_draft_with_the_reason(
    legal_entity, accountant
):
    journal = JournalFactory(legal_entity=legal_entity)
    usd = JournalLineFactory(journal=journal, currency="USD", amount=Decimal("100.00"))
    eur = JournalLineFactory(journal=journal)

    result = post_journal(journal=journal, posted_by=accountant, posted_at=POSTED_AT)

    assert (result.posted, result.failed) == (1, 1)
    usd.refresh_from_db()
    eur.refresh_from_db()
    assert usd.status == JournalLineStatus.DRAFT
    assert usd.error_reason == (
        "No exchange rate from USD to EUR on or before 2026-03-02: add one under exchange rates."
    )
    assert eur.status == JournalLineStatus.POSTED

    ExchangeRateFactory(rate_date=dt.date(2026, 3, 1), rate=Decimal("0.9"))
    post_journal(journal=journal, posted_by=accountant, posted_at=POSTED_AT)
    usd.refresh_from_db()
    assert list(
        usd.entry.lines.values_list("amount", "accounting_amount").order_by("line_number")
    ) == [
        (Decimal("100.00"), Decimal("90.00")),
        (Decimal("-100.00"), Decimal("-90.00")),
    ]


def test_source_key_makes_journalling_an_actual_twice_impossible(legal_entity):
    from django.db import IntegrityError, transaction

    JournalLineFactory(journal__legal_entity=legal_entity, source_key="actual:123")
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalLineFactory(journal__legal_entity=legal_entity, source_key="actual:123")


def test_update_journal_line_sets_tax_groups_and_dimensions(legal_entity):
    line = JournalLineFactory(journal__legal_entity=legal_entity)
    domestic = SalesTaxGroup.objects.get(code="DOMESTIC")
    reduced = ItemSalesTaxGroup.objects.get(code="REDUCED")
    consultancy = DimensionValueFactory(dimension__code="DEPARTMENT", code="CONS")
    amsterdam = DimensionValueFactory(dimension__code="COSTCENTRE", code="AMS")

    update_journal_line(
        line=line,
        sales_tax_group=domestic,
        item_sales_tax_group=reduced,
        dimension_values=[consultancy.pk, amsterdam],
    )

    line.refresh_from_db()
    assert (line.sales_tax_group, line.item_sales_tax_group) == (domestic, reduced)
    assert set(line.dimension_values.all()) == {consultancy, amsterdam}


def test_update_journal_line_refuses_an_unknown_dimension_value_and_changes_nothing(
    legal_entity,
):
    line = JournalLineFactory(journal__legal_entity=legal_entity)
    consultancy = DimensionValueFactory(dimension__code="DEPARTMENT", code="CONS")
    update_journal_line(
        line=line, sales_tax_group=None, item_sales_tax_group=None, dimension_values=[consultancy]
    )

    with pytest.raises(ValidationError) as refused:
        update_journal_line(
            line=line,
            sales_tax_group=SalesTaxGroup.objects.get(code="DOMESTIC"),
            item_sales_tax_group=None,
            dimension_values=[999999],
        )

    assert refused.value.message_dict == {"dimension_values": ["Unknown dimension value: 999999."]}
    line.refresh_from_db()
    assert line.sales_tax_group is None
    assert list(line.dimension_values.all()) == [consultancy]


def test_update_journal_line_refuses_two_values_of_one_dimension(legal_entity):
    line = JournalLineFactory(journal__legal_entity=legal_entity)
    a = DimensionValueFactory(dimension__code="DEPARTMENT", code="CONS")
    b = DimensionValueFactory(dimension__code="DEPARTMENT", code="DEV")

    with pytest.raises(ValidationError, match="at most one value per dimension"):
        update_journal_line(
            line=line, sales_tax_group=None, item_sales_tax_group=None, dimension_values=[a, b]
        )
    assert line.dimension_values.count() == 0


def test_update_journal_line_refuses_a_pair_without_a_vat_code(legal_entity):
    line = JournalLineFactory(journal__legal_entity=legal_entity)
    goods = ItemSalesTaxGroup.objects.create(code="GOODS", name="Goods")

    with pytest.raises(ValidationError, match="No VAT code for sales tax group DOMESTIC"):
        update_journal_line(
            line=line,
            sales_tax_group=SalesTaxGroup.objects.get(code="DOMESTIC"),
            item_sales_tax_group=goods,
            dimension_values=[],
        )
    line.refresh_from_db()
    assert line.item_sales_tax_group is None


def test_update_of_a_posted_journal_line_is_refused(legal_entity, accountant):
    line = JournalLineFactory(journal__legal_entity=legal_entity)
    post_journal(journal=line.journal, posted_by=accountant, posted_at=POSTED_AT)
    line.refresh_from_db()

    with pytest.raises(JournalLinePosted, match="is posted and can no longer be changed"):
        update_journal_line(
            line=line,
            sales_tax_group=SalesTaxGroup.objects.get(code="DOMESTIC"),
            item_sales_tax_group=None,
            dimension_values=[],
        )
    line.refresh_from_db()
    assert line.sales_tax_group is None


def test_database_refuses_changing_a_posted_journal_line(legal_entity, accountant):
    from django.db import DatabaseError, transaction

    from ledger.models import JournalLine

    line = JournalLineFactory(journal__legal_entity=legal_entity)
    post_journal(journal=line.journal, posted_by=accountant, posted_at=POSTED_AT)

    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        JournalLine.objects.filter(pk=line.pk).update(amount=Decimal("1.00"))
    line.refresh_from_db()
    assert line.amount == Decimal("800.00")
