"""The billing lifecycle as a state machine (hypothesis): any sequence of approvals, marks,
drafts, removals, confirmations, credits, re-invoices, write-offs (and their reversals),
cancellations, journal postings and invoice postings keeps the invariants the product
promises, checked after every step:

- every unbilled actual is on at most one open detail, and its billing status says so;
- billed quantity = invoiced − credited (hour for hour, over the confirmed documents);
- the project subledger of unbilled sales equals the WIP account;
- the trial balance balances.

Services refuse what the state forbids (``StateConflict``, ``ValidationError``): a refused step
is fine, and the invariants must hold after it too.
"""

import datetime as dt
from collections import Counter
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from actuals import services as actuals
from actuals.journal import import_actuals, pending_actuals
from actuals.models import (
    BACKLOG_STATUSES,
    Actual,
    ActualBilling,
    ActualType,
    BacklogTotal,
    BillingStatus,
    BillingType,
    TimeEntry,
)
from actuals.services.billing import mark_ready, reverse_write_off, write_off
from actuals.wip import unbilled_wip_subledger, wip_balances
from contracts.errors import StateConflict
from invoicing.models import OPEN_STATUSES, Invoice, InvoiceDetail, InvoiceStatus
from invoicing.queries import correctable_details
from invoicing.services import (
    confirm_invoice,
    create_correction,
    create_invoice_for_contract,
    post_invoice,
    remove_detail,
)
from ledger.models import Journal, JournalStatus, PostingProfile
from ledger.reports import trial_balance
from ledger.services import post_journal

from .conftest import AT

pytestmark = pytest.mark.django_db

REFUSALS = (StateConflict, ValidationError)
YEAR_END = dt.date(2026, 12, 31)
POSTED_AT = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


class Lifecycle(RuleBasedStateMachine):
    world = None  # set by the test: (billing, accountant)
    seen: Counter[str] = Counter()
    refusals: dict[str, str] = {}

    def __init__(self) -> None:
        super().__init__()
        self.billing, self.accountant = type(self).world
        self.savepoint = transaction.savepoint()  # each example starts from the same world
        self.days = 0

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)

    # --- helpers ---------------------------------------------------------------------------

    def _pick(self, rows: list, index: int):
        return rows[index % len(rows)] if rows else None

    def _exists(self, **filters) -> bool:
        return Actual.objects.filter(contract=self.billing.contract, **filters).exists()

    def _items(self, *statuses: str) -> list[Actual]:
        return list(
            Actual.objects.filter(
                billing__status__in=statuses, contract=self.billing.contract
            ).order_by("pk")
        )

    def _invoices(self, *statuses: str, credit_note: bool | None = None) -> list[Invoice]:
        qs = Invoice.objects.filter(contract=self.billing.contract, status__in=statuses)
        if credit_note is not None:
            qs = qs.filter(is_credit_note=credit_note)
        return list(qs.order_by("pk"))

    def _try(self, name: str, step) -> None:
        """Run a step; a refusal is fine (and counted apart, to see what the runs exercised)."""
        try:
            step()
        except REFUSALS as exc:
            type(self).seen[f"{name} refused"] += 1
            type(self).refusals[name] = str(exc)  # the last one, said if a step never ran
        else:
            type(self).seen[name] += 1

    # --- rules -----------------------------------------------------------------------------

    @precondition(
        lambda self: (
            Actual.objects.filter(
                contract=self.billing.contract, billing__status__in=BACKLOG_STATUSES
            ).count()
            < 6
        )
    )
    @rule(hours=st.integers(min_value=1, max_value=8), lowered=st.booleans())
    def approve(self, hours, lowered):
        self.days += 1
        day = dt.date(2026, 3, 1) + dt.timedelta(days=self.days % 28)
        billable = str(hours - 1) if lowered and hours > 1 else None
        self.billing.approve(str(hours), day=day, billable=billable)
        type(self).seen["approve"] += 1

    @precondition(
        lambda self: self._exists(billing__status=BillingStatus.NOT_READY, billing__billable=True)
    )
    @rule(index=st.integers(min_value=0, max_value=50), every=st.booleans())
    def mark_ready(self, index, every):
        waiting = [i for i in self._items(BillingStatus.NOT_READY) if i.billing.billable]
        for item in waiting if every else [self._pick(waiting, index)] if waiting else []:
            self._try(
                "mark_ready",
                lambda item=item: mark_ready(actual_ids=[item.pk], scope=Actual.objects.all()),
            )

    @precondition(lambda self: self._exists(billing__status=BillingStatus.READY))
    @rule()
    def create_draft(self):
        self._try(
            "create_draft",
            lambda: create_invoice_for_contract(
                contract=self.billing.contract,
                up_to=None,
                invoice_date=dt.date(2026, 3, 31),
                by=self.billing.manager,
                now=AT,
            ),
        )

    @precondition(lambda self: self._invoices(*OPEN_STATUSES))
    @rule(index=st.integers(min_value=0, max_value=50))
    def remove_a_detail(self, index):
        details = list(
            InvoiceDetail.objects.filter(
                invoice__contract=self.billing.contract, invoice__status__in=OPEN_STATUSES
            ).order_by("pk")
        )
        detail = self._pick(details, index)
        if detail is not None:
            self._try("remove_a_detail", lambda: remove_detail(detail=detail, at=AT))

    @precondition(lambda self: self._invoices(*OPEN_STATUSES))
    @rule(index=st.integers(min_value=0, max_value=10))
    def confirm(self, index):
        invoice = self._pick(self._invoices(*OPEN_STATUSES), index)
        if invoice is not None:
            self._try(
                "confirm", lambda: confirm_invoice(invoice=invoice, by=self.billing.manager, at=AT)
            )

    def _correct(self, name: str, confirm_it: bool, **kwargs) -> None:
        """A correction, confirmed at once when ``confirm_it`` (else it waits as a draft)."""

        def step() -> None:
            document = create_correction(
                by=self.billing.manager, now=AT, invoice_date=dt.date(2026, 4, 10), **kwargs
            )
            if confirm_it:
                confirm_invoice(invoice=document, by=self.billing.manager, at=AT)

        self._try(name, step)

    @precondition(
        lambda self: self._invoices(
            InvoiceStatus.CONFIRMED, InvoiceStatus.POSTED, credit_note=False
        )
    )
    @rule(
        index=st.integers(min_value=0, max_value=10),
        tenths=st.integers(0, 9),
        confirm_it=st.booleans(),
    )
    def credit(self, index, tenths, confirm_it):
        invoice = self._pick(
            self._invoices(InvoiceStatus.CONFIRMED, InvoiceStatus.POSTED, credit_note=False), index
        )
        if invoice is None:
            return
        rows = [c for c in correctable_details(invoice) if c.available]
        if not rows:
            return
        row = rows[index % len(rows)]
        stays = (row.quantity * tenths / 10).quantize(D("0.01"))
        self._correct(
            "credit",
            confirm_it,
            invoice=invoice,
            remaining={row.detail.pk: D(0) if row.detail.milestone_id else stays},
        )

    @precondition(
        lambda self: self._invoices(InvoiceStatus.CONFIRMED, InvoiceStatus.POSTED, credit_note=True)
    )
    @rule(index=st.integers(min_value=0, max_value=10), confirm_it=st.booleans())
    def invoice_a_credit_note_again(self, index, confirm_it):
        note = self._pick(
            self._invoices(InvoiceStatus.CONFIRMED, InvoiceStatus.POSTED, credit_note=True), index
        )
        if note is not None:
            self._correct("invoice_a_credit_note_again", confirm_it, invoice=note, remaining=None)

    @precondition(
        lambda self: self._exists(
            billing__status__in=[BillingStatus.NOT_READY, BillingStatus.READY]
        )
    )
    @rule(index=st.integers(min_value=0, max_value=50))
    def write_one_off(self, index):
        item = self._pick(self._items(BillingStatus.NOT_READY, BillingStatus.READY), index)
        if item is not None:
            self._try(
                "write_one_off",
                lambda: write_off(
                    actual_ids=[item.pk],
                    reason="Goodwill",
                    scope=Actual.objects.all(),
                    by=self.billing.manager,
                    at=AT,
                ),
            )

    @precondition(lambda self: self._exists(billing__status=BillingStatus.WRITTEN_OFF))
    @rule(index=st.integers(min_value=0, max_value=50))
    def reverse_a_write_off(self, index):
        item = self._pick(self._items(BillingStatus.WRITTEN_OFF), index)
        if item is not None:
            self._try(
                "reverse_a_write_off",
                lambda: reverse_write_off(
                    actual_ids=[item.pk], scope=Actual.objects.all(), by=self.billing.manager, at=AT
                ),
            )

    @rule(index=st.integers(min_value=0, max_value=50))
    def cancel_an_approval(self, index):
        entries = list(
            TimeEntry.objects.filter(project=self.billing.project, status="approved").order_by("pk")
        )
        entry = self._pick(entries, index)
        if entry is not None:
            self._try(
                "cancel_an_approval",
                lambda: actuals.cancel_approval(entry=entry, by=self.billing.manager, at=AT),
            )

    @precondition(
        lambda self: (
            pending_actuals().exists() or Journal.objects.filter(status=JournalStatus.OPEN).exists()
        )
    )
    @rule()
    def post_the_journal(self):
        import_actuals(now=AT)
        for journal in Journal.objects.filter(status=JournalStatus.OPEN).order_by("pk"):
            post_journal(journal=journal, posted_by=self.accountant, posted_at=AT)
        type(self).seen["post_the_journal"] += 1

    @precondition(lambda self: self._invoices(InvoiceStatus.CONFIRMED))
    @rule(index=st.integers(min_value=0, max_value=10))
    def post(self, index):
        invoice = self._pick(self._invoices(InvoiceStatus.CONFIRMED), index)
        if invoice is not None:
            self._try(
                "post", lambda: post_invoice(invoice=invoice, by=self.accountant, at=POSTED_AT)
            )

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def each_actual_is_on_at_most_one_open_detail_and_says_so(self):
        open_details = dict(
            InvoiceDetail.objects.filter(invoice__status__in=OPEN_STATUSES, actual__isnull=False)
            .values("actual_id")
            .annotate(n=Count("pk"))
            .values_list("actual_id", "n")
        )
        assert all(n == 1 for n in open_details.values())
        on_draft = set(
            ActualBilling.objects.filter(status=BillingStatus.ON_DRAFT).values_list(
                "actual_id", flat=True
            )
        )
        assert on_draft == set(open_details)
        invoiced = set(
            ActualBilling.objects.filter(status=BillingStatus.INVOICED).values_list(
                "actual_id", flat=True
            )
        )
        confirmed = set(
            InvoiceDetail.objects.filter(
                invoice__status__in=[InvoiceStatus.CONFIRMED, InvoiceStatus.POSTED],
                actual__isnull=False,
            ).values_list("actual_id", flat=True)
        )
        assert invoiced == confirmed

    @invariant()
    def billed_is_invoiced_minus_credited(self):
        confirmed = Q(invoice__status__in=[InvoiceStatus.CONFIRMED, InvoiceStatus.POSTED])
        documents = InvoiceDetail.objects.filter(confirmed).aggregate(q=Sum("quantity"))["q"]
        given_away = InvoiceDetail.objects.filter(
            confirmed, given_away_actual__isnull=False
        ).values("given_away_actual")
        billed = (
            Actual.objects.filter(actual_type=ActualType.BILLED_SALES)
            .exclude(pk__in=given_away)
            .aggregate(q=Sum("quantity"))["q"]
        )
        assert (billed or D(0)) == (documents or D(0))

    @invariant()
    def each_items_wip_balance_matches_its_state(self):
        """Out of WIP once written off or invoiced on a posted invoice; otherwise in WIP at its
        amount once accrued (its journal line posted, or the credit note that brought it back
        posted), or not yet (EUR throughout: amount = accounting amount)."""
        items = list(
            Actual.objects.filter(
                billing__isnull=False, billing_type="chargeable", contract=self.billing.contract
            ).select_related("billing", "project")
        )
        balances = wip_balances(items)
        posted = set(
            InvoiceDetail.objects.filter(
                invoice__status=InvoiceStatus.POSTED, actual__isnull=False
            ).values_list("actual_id", flat=True)
        )
        for item in items:
            balance = balances[item.pk].accounting
            if item.billing.status == BillingStatus.WRITTEN_OFF or item.pk in posted:
                assert balance == 0, (item.pk, item.billing.status, balance)
            elif item.billing.status != BillingStatus.CANCELLED:
                assert balance in (D(0), item.amount), (item.pk, item.billing.status, balance)

    @invariant()
    def the_backlog_totals_kept_by_triggers_equal_the_items(self):
        kept = {
            (t.contract_id, t.status, t.currency): (t.items, t.hours, t.amount)
            for t in BacklogTotal.objects.exclude(items=0)
        }
        summed = {
            (r["contract"], r["billing__status"], r["currency"]): (r["n"], r["q"], r["a"])
            for r in Actual.objects.filter(
                actual_type=ActualType.UNBILLED_SALES,
                billing_type=BillingType.CHARGEABLE,
                billing__status__in=BACKLOG_STATUSES,
            )
            .values("contract", "billing__status", "currency")
            .annotate(
                n=Count("pk"),
                q=Coalesce(Sum("quantity", filter=Q(transaction_class="time")), D(0)),
                a=Sum("amount"),
            )
        }
        assert kept == summed

    @invariant()
    def the_subledger_equals_wip_and_the_ledger_balances(self):
        entity = self.billing.project.legal_entity
        balance = trial_balance(legal_entity=entity, on_date=YEAR_END)
        assert balance.total_balance == D(0)
        wip_accounts = set(
            PostingProfile.objects.filter(legal_entity=entity).values_list(
                "wip_sales_value_account__code", flat=True
            )
        )
        wip = sum((r.balance for r in balance.rows if r.account.code in wip_accounts), D(0))
        subledger = unbilled_wip_subledger(legal_entity=entity, on_date=YEAR_END)
        assert sum(subledger.values(), D(0)) == wip


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_the_billing_lifecycle_keeps_its_invariants(billing, accountant):
    Lifecycle.world = (billing, accountant)
    Lifecycle.seen = Counter()
    Lifecycle.refusals = {}
    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=50,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,  # the same sequences in every run: CI never flakes
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    # The runs went through the whole lifecycle, not only its refusals.
    for step in (
        "approve",
        "mark_ready",
        "create_draft",
        "remove_a_detail",
        "confirm",
        "credit",
        "invoice_a_credit_note_again",
        "write_one_off",
        "reverse_a_write_off",
        "cancel_an_approval",
        "post",
    ):
        assert Lifecycle.seen[step] > 0, (
            f"{step}: {sorted(Lifecycle.seen.items())}; last refusals: {Lifecycle.refusals}"
        )
