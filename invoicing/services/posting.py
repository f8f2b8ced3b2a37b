"""Invoice proposals and posting (DOMAIN.md §5–7; the ledger postings of §6).

**The proposal.** A confirmed invoice waits for the accountant as an *invoice proposal*.
:func:`update_proposal` changes only what the accountant may still change: the invoice date,
accounting date, due date, description, customer reference, and per invoice line the sales
tax group and item sales tax group (set on every detail of the line, so
:func:`invoicing.queries.invoice_totals` recomputes the VAT). An empty accounting date means
*the invoice date*; an empty due date means *the invoice date + the customer's payment terms*
(:func:`effective_accounting_date`, :func:`effective_due_date`); posting writes the dates it
used.

**Posting** (:func:`post_invoice`, the django-fsm-2 transition confirmed → posted, in ONE
durable transaction): the invoice row is locked (``SELECT … FOR UPDATE``) and its status
checked, so a second post (two accountants, a double click) waits for the first and is then
refused with :class:`InvoiceStateError` (409): one entry, one number, one PDF. The one who
confirmed the invoice may not post it (DOMAIN.md §7: :class:`PostingNotAllowed`, 403).
Posting is refused, with everything to fix at once (:class:`PostingBlocked`, 400, by field),
when:

- a T&M actual on the invoice (a detail's unbilled ``actual``) whose posting profile accrues
  revenue has no *posted* integration-journal line (``source_key "actual:<id>"``): the
  message lists them, imported or not (``journal``);
- a line's pair of tax groups selects no VAT code (``lines``);
- the customer has no address (``customer``);
- the accounting date lies in a closed period or in no period (``accounting_date``). With
  ``settings.POST_INTO_NEXT_OPEN_PERIOD`` the accounting date moves instead to the first day
  of the next open period of the legal entity (refused if there is none);
- a credit note's original invoice is not posted yet (``corrects``), a due date lies before the
  invoice date (``due_date``), a project has no posting profile (``project``), or the currency
  has no exchange rate (``currency``).

Then, in the same transaction:

1. the **number**: :func:`ledger.services.next_number` of the legal entity's ``"invoice"``
   series for the fiscal year of the accounting date (``INV2026-000001``), under the series'
   row lock: a rollback gives it back, so posted numbers have no gaps. Credit notes share the
   series (a Dutch credit note is an invoice with negative amounts);
2. **one balanced ledger entry** (:func:`ledger.services.post_entry`) dated on the accounting
   date: debit *receivables* the gross amount (net + VAT, ``customer`` set); credit *invoiced
   revenue* per invoice line and project (the chargeable details' net; milestone details go
   to *invoiced revenue on account*; ``project`` set); credit *VAT payable* per VAT code (the
   code's ``payable_account``, else the profile's; codes with 0 VAT have no line); and, for
   every T&M detail whose unbilled actual was journalled into WIP (its journal line posted
   *with* an entry), the accrual is reversed: debit *accrued revenue*, credit *WIP – sales
   value*, per project, for the actual's original unbilled amount, in accounting currency
   exactly as the journal posted it (so WIP clears to the cent; the accounts are the ones that
   journal entry used). Revenue and receivables come from the posting profile of each detail's
   project; receivables and VAT from the legal entity's default profile (else the first
   project's). Zero amounts make no line; an invoice with nothing at all to post is refused.
   **Credit notes** post the mirror image (their amounts are negative, so every side flips)
   and name the invoice they correct in the memo. A credit note has **no accrual lines**: the
   credited quantity went back to the backlog as a *new* unbilled actual, which the journal
   will accrue again when it is imported and posted;
3. **currency**: amounts are in the contract's currency; when the legal entity's accounting
   currency differs, each revenue and VAT line is converted with the ledger's
   :func:`~ledger.services.exchange_rate` on the accounting date and rounded once, and the
   receivables line takes their sum, so the entry balances exactly. A rate fixed by the
   contract is not modelled yet;
4. a **customer open item** (:func:`ledger.services.record_customer_transaction`): number,
   invoice date, due date, gross (signed), open = gross, currency. A credit note's item
   settles its original invoice's open item as far as both allow, so a full credit nets the
   open items to zero;
5. the **project subledger link**: the billed actuals written on confirmation are reachable
   from ``InvoiceDetail.billed_actual`` and the voucher from ``Invoice.ledger_entry`` (the
   ledger knows no actuals; revenue and accrual lines carry the project). Nothing is written on
   the actuals themselves (their financial columns are immutable);
6. the invoice: number, **payment reference** — a structured creditor reference ISO 11649
   (``RF`` + two check digits + the digits of the number, e.g. ``RF422026000001``) for every
   customer: Dutch and Belgian banks both accept it, so one rule serves both — posted_at/by,
   ledger entry, accounting and due dates; then the **PDF** is rendered
   (``invoicing.documents.render_invoice_pdf(invoice=…, proforma=False)``) and stored in
   ``invoice.pdf`` (``<number>.pdf``) with its SHA-256. If rendering fails the whole posting
   rolls back (no number is used); a file already written for a posting that rolls back is
   deleted.

**Batches** (*post selected*): :func:`start_posting_batch` records a
:class:`~invoicing.models.PostingBatch`; :func:`run_posting_batch` (a Celery task wraps it)
posts each proposal in its own transaction and records the counts and each failure's reason
after every invoice, so the batch page shows progress.
"""

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from actuals.journal import source_key
from actuals.models import Actual, BillingType
from contracts.models import ItemSalesTaxGroup, Project, SalesTaxGroup
from contracts.money import ZERO, round_money
from invoicing.models import (
    Invoice,
    InvoiceDetail,
    InvoiceLine,
    InvoiceStatus,
    PostingBatch,
    RunStatus,
)
from invoicing.queries import invoice_totals
from ledger.models import (
    CustomerTransaction,
    JournalLine,
    JournalLineStatus,
    LedgerEntryLine,
    Period,
    PeriodStatus,
    PostingProfile,
    VatCode,
)
from ledger.queries import period_on, posting_profile_for
from ledger.services import (
    LedgerError,
    LineSpec,
    PeriodClosed,
    Side,
    exchange_rate,
    next_number,
    post_entry,
    record_customer_transaction,
    vat_code_for,
)

from .drafts import InvoiceStateError, lock_invoice

logger = logging.getLogger(__name__)

#: The purpose of the legal entity's invoice number series (credit notes included).
INVOICE_SERIES = "invoice"

Clock = Callable[[], dt.datetime]


class PostingBlocked(ValidationError):
    """The proposal cannot be posted yet; the messages, by field, say what to fix (HTTP 400)."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.reasons = {field: list(messages) for field, messages in errors.items()}
        super().__init__(self.reasons)

    def __str__(self) -> str:
        return " ".join(m for messages in self.reasons.values() for m in messages)


class PostingNotAllowed(Exception):
    """This user may not post this invoice (HTTP 403): the confirmer never posts."""


# --- dates --------------------------------------------------------------------------------------


def effective_accounting_date(invoice: Invoice) -> dt.date:
    """The accounting date, defaulting to the invoice date."""
    return invoice.accounting_date or invoice.invoice_date


def effective_due_date(invoice: Invoice) -> dt.date:
    """The due date, defaulting to the invoice date + the customer's payment terms."""
    if invoice.due_date is not None:
        return invoice.due_date
    return invoice.invoice_date + dt.timedelta(days=invoice.customer.payment_terms_days)


def posting_period(invoice: Invoice) -> tuple[dt.date, Period]:
    """The accounting date the posting will use and its open period.

    A closed period (or no period) raises :class:`ledger.services.PeriodClosed` with the
    ledger's message, unless ``settings.POST_INTO_NEXT_OPEN_PERIOD``: then the date moves to
    the first day of the legal entity's next open period.
    """
    wanted = effective_accounting_date(invoice)
    period = period_on(legal_entity=invoice.legal_entity, on_date=wanted)
    if period is not None and period.status == PeriodStatus.OPEN:
        return wanted, period
    if getattr(settings, "POST_INTO_NEXT_OPEN_PERIOD", False):
        following = (
            Period.objects.select_related("fiscal_year")
            .filter(
                fiscal_year__legal_entity=invoice.legal_entity,
                status=PeriodStatus.OPEN,
                start_date__gt=wanted,
            )
            .order_by("start_date", "pk")
            .first()
        )
        if following is not None:
            return following.start_date, following
        raise PeriodClosed(
            _(
                "The accounting date %(date)s lies in a closed period and %(le)s has no open "
                "period after it: create the next fiscal year or reopen a period."
            )
            % {"date": wanted.isoformat(), "le": invoice.legal_entity.code},
            field="accounting_date",
        )
    if period is None:
        raise PeriodClosed(
            _(
                "No accounting period of %(le)s covers the accounting date %(date)s: create "
                "the fiscal year first, or choose another accounting date."
            )
            % {"le": invoice.legal_entity.code, "date": wanted.isoformat()},
            field="accounting_date",
        )
    raise PeriodClosed(
        _(
            "The accounting date %(date)s lies in period %(n)s of %(year)s (%(start)s to "
            "%(end)s), which is closed: choose an accounting date in an open period, or "
            "reopen the period."
        )
        % {
            "date": wanted.isoformat(),
            "n": period.number,
            "year": period.fiscal_year.year,
            "start": period.start_date.isoformat(),
            "end": period.end_date.isoformat(),
        },
        field="accounting_date",
    )


# --- the proposal -------------------------------------------------------------------------------


def update_proposal(
    *,
    invoice: Invoice,
    by: Any,
    version: int | None,
    invoice_date: dt.date | None = None,
    accounting_date: dt.date | None = None,
    due_date: dt.date | None = None,
    description: str | None = None,
    customer_reference: str | None = None,
    line_tax_groups: Mapping[int, tuple[SalesTaxGroup | None, ItemSalesTaxGroup | None]]
    | None = None,
) -> Invoice:
    """Change what the accountant may still change on a confirmed invoice (see the module).

    ``None`` leaves a value as it is. A line's tax groups are set on every detail of the line;
    a pair that selects no VAT code is refused (400, naming ``lines[<id>]``), as is a due date
    before the invoice date. Anything but a confirmed invoice is 409; so is a stale
    ``version``. Nothing changes when anything is refused.
    """
    with transaction.atomic(durable=True):
        locked = lock_invoice(invoice_id=invoice.pk, version=version)
        if locked.status != InvoiceStatus.CONFIRMED:
            raise InvoiceStateError(
                _(
                    "Invoice %(ref)s is %(status)s: only a confirmed invoice (an invoice "
                    "proposal) can be updated before posting."
                )
                % {"ref": locked, "status": locked.get_status_display()}
            )
        errors: dict[str, list[str]] = {}
        if invoice_date is not None:
            locked.invoice_date = invoice_date
        if accounting_date is not None:
            locked.accounting_date = accounting_date
        if due_date is not None:
            locked.due_date = due_date
        if description is not None:
            locked.description = description.strip()
        if customer_reference is not None:
            locked.customer_reference = customer_reference.strip()
        due = effective_due_date(locked)
        if due < locked.invoice_date:
            errors["due_date"] = [
                _(
                    "The due date %(due)s lies before the invoice date %(date)s: choose a due "
                    "date on or after the invoice date."
                )
                % {"due": due.isoformat(), "date": locked.invoice_date.isoformat()}
            ]
        lines = {
            line.pk: line
            for line in InvoiceLine.objects.filter(
                invoice=locked, pk__in=list(line_tax_groups or {})
            )
        }
        for line_id, (sales_group, item_group) in (line_tax_groups or {}).items():
            key = f"lines[{line_id}]"
            if line_id not in lines:
                errors[key] = [_("This line is not on invoice %(ref)s.") % {"ref": locked}]
                continue
            try:
                vat_code_for(sales_tax_group=sales_group, item_sales_tax_group=item_group)
            except LedgerError as error:
                errors[key] = [error.reason]
        if errors:
            raise ValidationError(errors)
        for line_id, (sales_group, item_group) in (line_tax_groups or {}).items():
            InvoiceDetail.objects.filter(line_id=line_id).update(
                sales_tax_group=sales_group, item_sales_tax_group=item_group
            )
        locked.version += 1
        locked.save(
            update_fields=[
                "invoice_date",
                "accounting_date",
                "due_date",
                "description",
                "customer_reference",
                "version",
            ]
        )
        logger.info("invoice proposal %s updated by %s", locked.pk, getattr(by, "pk", None))
        return locked


# --- what blocks posting ------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingJournalPosting:
    """A T&M actual on the invoice whose journal line is not posted (or not imported)."""

    actual_id: int
    transaction_date: dt.date
    project_code: str
    amount: Decimal
    currency: str
    #: The journal that holds its draft line; ``None`` when not imported yet.
    journal_id: int | None
    error_reason: str

    def __str__(self) -> str:
        where = (
            _("not imported into the integration journal")
            if self.journal_id is None
            else _("draft in journal %(j)s") % {"j": self.journal_id}
        )
        if self.error_reason:
            where = f"{where} ({self.error_reason})"
        return _("actual %(id)s of %(date)s, %(project)s, %(amount)s %(currency)s: %(where)s") % {
            "id": self.actual_id,
            "date": self.transaction_date.isoformat(),
            "project": self.project_code,
            "amount": self.amount,
            "currency": self.currency,
            "where": where,
        }


class _Profiles:
    """Posting profiles per project, looked up once."""

    def __init__(self) -> None:
        self._cache: dict[int, PostingProfile | None] = {}

    def of(self, project: Project) -> PostingProfile | None:
        if project.pk not in self._cache:
            self._cache[project.pk] = posting_profile_for(project=project)
        return self._cache[project.pk]


def _unbilled_actuals(invoice: Invoice) -> list[Actual]:
    ids = [
        a
        for a in InvoiceDetail.objects.filter(invoice=invoice, actual__isnull=False).values_list(
            "actual_id", flat=True
        )
        if a is not None
    ]
    return list(Actual.objects.select_related("project").filter(pk__in=ids).order_by("pk"))


def _accrues(actual: Actual, profiles: _Profiles) -> bool:
    """Did (or will) the journal post this actual into WIP?"""
    if actual.billing_type != BillingType.CHARGEABLE or actual.amount == 0:
        return False  # never journalled (actuals.journal.JOURNALLED)
    profile = profiles.of(actual.project)
    return profile is not None and profile.accrue_tm_revenue


def missing_journal_postings(
    invoice: Invoice, *, profiles: _Profiles | None = None
) -> list[MissingJournalPosting]:
    """The T&M actuals on the invoice that accrue revenue and whose integration-journal line
    is not posted yet (in actual id order)."""
    profiles = profiles or _Profiles()
    accruing = [a for a in _unbilled_actuals(invoice) if _accrues(a, profiles)]
    lines = {
        line.source_key: line
        for line in JournalLine.objects.filter(source_key__in=[source_key(a.pk) for a in accruing])
    }
    missing = []
    for actual in accruing:
        line = lines.get(source_key(actual.pk))
        if line is not None and line.status == JournalLineStatus.POSTED:
            continue
        missing.append(
            MissingJournalPosting(
                actual_id=actual.pk,
                transaction_date=actual.transaction_date,
                project_code=actual.project.code,
                amount=actual.amount,
                currency=actual.currency,
                journal_id=line.journal_id if line is not None else None,
                error_reason=line.error_reason if line is not None else "",
            )
        )
    return missing


def _details(invoice: Invoice) -> list[InvoiceDetail]:
    return list(
        InvoiceDetail.objects.select_related(
            "line", "billed_actual__project", "sales_tax_group", "item_sales_tax_group"
        )
        .filter(invoice=invoice)
        .order_by("line_id", "pk")
    )


def _vat_problems(details: Iterable[InvoiceDetail]) -> list[str]:
    """Per line, the pairs of tax groups that select no VAT code (chargeable details)."""
    problems: list[str] = []
    seen: set[tuple[int, int | None, int | None]] = set()
    for detail in details:
        if detail.billing_type != BillingType.CHARGEABLE:
            continue
        key = (detail.line_id, detail.sales_tax_group_id, detail.item_sales_tax_group_id)
        if key in seen:
            continue
        seen.add(key)
        try:
            vat_code_for(
                sales_tax_group=detail.sales_tax_group,
                item_sales_tax_group=detail.item_sales_tax_group,
            )
        except LedgerError as error:
            problems.append(
                _("Line %(line)s: %(reason)s")
                % {
                    "line": detail.line.description or detail.line.contract_line_id,
                    "reason": error.reason,
                }
            )
    return problems


def _customer_profile(invoice: Invoice, projects: Iterable[Project]) -> PostingProfile | None:
    """Receivables and VAT: the legal entity's default profile, else the first project's."""
    default = PostingProfile.objects.filter(
        legal_entity=invoice.legal_entity, is_default=True
    ).first()
    if default is not None:
        return default
    profiles = _Profiles()
    for project in sorted(projects, key=lambda p: p.pk):
        profile = profiles.of(project)
        if profile is not None:
            return profile
    return None


def posting_blockers(invoice: Invoice) -> dict[str, list[str]]:
    """Everything that stops ``invoice`` from being posted now, by field, as sentences that
    say what to fix (empty when it can be posted). Reads only."""
    errors: dict[str, list[str]] = defaultdict(list)
    profiles = _Profiles()
    missing = missing_journal_postings(invoice, profiles=profiles)
    if missing:
        errors["journal"].append(
            _(
                "These T&M actuals are not posted through the integration journal yet: "
                "%(list)s. Import the actuals into the journal and post it first."
            )
            % {"list": "; ".join(str(m) for m in missing)}
        )
    details = _details(invoice)
    if not details:
        errors["lines"].append(_("Invoice %(ref)s has nothing on it.") % {"ref": invoice})
    errors["lines"].extend(_vat_problems(details))
    if not invoice.customer.address.strip():
        errors["customer"].append(
            _(
                "Customer %(customer)s has no address, which a legal invoice needs: add the "
                "address to the customer first."
            )
            % {"customer": invoice.customer}
        )
    try:
        posting_period(invoice)
    except LedgerError as error:
        errors["accounting_date"].append(error.reason)
    due = effective_due_date(invoice)
    if due < invoice.invoice_date:
        errors["due_date"].append(
            _("The due date %(due)s lies before the invoice date %(date)s: change the due date.")
            % {"due": due.isoformat(), "date": invoice.invoice_date.isoformat()}
        )
    if invoice.corrects_id is not None:
        original = Invoice.objects.get(pk=invoice.corrects_id)
        if original.status != InvoiceStatus.POSTED:
            errors["corrects"].append(
                _(
                    "This credit note corrects invoice %(ref)s, which is not posted yet: post "
                    "invoice %(ref)s first."
                )
                % {"ref": original}
            )
    projects = {d.billed_actual.project for d in details if d.billed_actual is not None}
    for project in sorted(projects, key=lambda p: p.pk):
        if profiles.of(project) is None:
            errors["project"].append(
                _(
                    "Project %(p)s has no posting profile and %(le)s has no default one: "
                    "assign a posting profile."
                )
                % {"p": project.code, "le": invoice.legal_entity.code}
            )
    if invoice.currency != invoice.legal_entity.accounting_currency:
        try:
            exchange_rate(
                from_currency=invoice.currency,
                to_currency=invoice.legal_entity.accounting_currency,
                on_date=effective_accounting_date(invoice),
            )
        except LedgerError as error:
            errors["currency"].append(error.reason)
    return {field: messages for field, messages in errors.items() if messages}


# --- posting --------------------------------------------------------------------------------------


def creditor_reference(number: str) -> str:
    """The ISO 11649 structured creditor reference of an invoice number: ``RF`` + two check
    digits + the number's digits (``INV2026-000001`` → ``RF422026000001``)."""
    reference = "".join(ch for ch in number if ch.isdigit()) or "0"
    # Move "RF00" behind the reference, letters as numbers (R = 27, F = 15), mod 97.
    check = 98 - int(f"{reference}271500") % 97
    return f"RF{check:02d}{reference}"


@dataclass
class _Amount:
    """A signed amount (debit positive) in the line's currency and in accounting currency."""

    amount: Decimal = ZERO
    accounting: Decimal = ZERO


def _spec(
    *,
    account: Any,
    currency: str,
    value: _Amount,
    project: Project | None = None,
    customer: Any = None,
    description: str = "",
) -> LineSpec:
    return LineSpec(
        account=account,
        side=Side.DEBIT if value.amount > 0 else Side.CREDIT,
        currency=currency,
        amount=abs(value.amount),
        accounting_amount=abs(value.accounting),
        project=project,
        customer=customer,
        description=description,
    )


@dataclass(frozen=True)
class _Entry:
    lines: list[LineSpec]
    gross: Decimal
    gross_accounting: Decimal


def _entry_lines(
    *, invoice: Invoice, number: str, entry_date: dt.date, details: list[InvoiceDetail]
) -> _Entry:
    """The lines of the invoice's entry (see the module), balanced in accounting currency."""
    legal_entity = invoice.legal_entity
    accounting_currency = legal_entity.accounting_currency
    rate = exchange_rate(
        from_currency=invoice.currency, to_currency=accounting_currency, on_date=entry_date
    )

    def convert(amount: Decimal) -> Decimal:
        return round_money(amount * rate, accounting_currency)

    profiles = _Profiles()
    totals = invoice_totals(invoice)
    projects = {d.billed_actual.project for d in details if d.billed_actual is not None}
    customer_profile = _customer_profile(invoice, projects)
    assert customer_profile is not None  # posting_blockers refused a missing profile

    # Revenue per invoice line × project × account (credit: negative).
    revenue: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    accounts: dict[int, Any] = {}
    project_by_id: dict[int, Project] = {}
    line_text: dict[int, str] = {}
    for detail in details:
        if detail.billing_type != BillingType.CHARGEABLE:
            continue
        billed = detail.billed_actual
        assert billed is not None  # confirmation wrote it
        profile = profiles.of(billed.project)
        assert profile is not None
        account = (
            profile.revenue_on_account_account
            if detail.milestone_id
            else profile.invoiced_revenue_account
        )
        accounts[account.pk] = account
        project_by_id[billed.project_id] = billed.project
        line_text[detail.line_id] = detail.line.description
        revenue[(detail.line_id, billed.project_id, account.pk)] -= detail.amount

    credits: list[LineSpec] = []
    credited_accounting = ZERO  # signed (debit positive) sum of the revenue and VAT lines
    for (line_id, project_id, account_id), amount in sorted(revenue.items()):
        if amount == 0:
            continue
        credited_accounting += convert(amount)
        credits.append(
            _spec(
                account=accounts[account_id],
                currency=invoice.currency,
                value=_Amount(amount, convert(amount)),
                project=project_by_id[project_id],
                description=f"{number} {line_text[line_id]}".strip(),
            )
        )
    codes = VatCode.objects.select_related("payable_account").in_bulk(
        [r.code for r in totals.vat_rows], field_name="code"
    )
    for row in totals.vat_rows:
        if row.vat == 0:
            continue
        code = codes[row.code]
        credited_accounting += convert(-row.vat)
        credits.append(
            _spec(
                account=code.payable_account or customer_profile.vat_payable_account,
                currency=invoice.currency,
                value=_Amount(-row.vat, convert(-row.vat)),
                description=_("%(number)s VAT %(code)s on %(base)s")
                % {"number": number, "code": row.code, "base": row.base},
            )
        )
    gross = totals.gross
    gross_accounting = -credited_accounting
    lines: list[LineSpec] = []
    if gross != 0 or gross_accounting != 0:
        lines.append(
            _spec(
                account=customer_profile.receivables_account,
                currency=invoice.currency,
                value=_Amount(gross, gross_accounting),
                customer=invoice.customer,
                description=f"{number} {invoice.customer.name}",
            )
        )
    lines.extend(credits)
    if not invoice.is_credit_note:
        lines.extend(_accrual_reversal(invoice=invoice, number=number, profiles=profiles))
    return _Entry(lines=lines, gross=gross, gross_accounting=gross_accounting)


def _accrual_reversal(*, invoice: Invoice, number: str, profiles: _Profiles) -> list[LineSpec]:
    """Debit accrued revenue, credit WIP, per project, for the T&M actuals the journal posted
    into WIP (exactly the accounting amounts and accounts of their journal entries)."""
    actuals = {a.pk: a for a in _unbilled_actuals(invoice) if _accrues(a, profiles)}
    if not actuals:
        return []
    keys = {source_key(pk): pk for pk in actuals}
    posted = JournalLine.objects.filter(
        source_key__in=list(keys), status=JournalLineStatus.POSTED, entry__isnull=False
    ).values_list("source_key", "entry_id")
    entry_of = {keys[key]: entry_id for key, entry_id in posted}
    entry_lines: dict[int, list[LedgerEntryLine]] = defaultdict(list)
    for row in (
        LedgerEntryLine.objects.select_related("account")
        .filter(entry_id__in=list(entry_of.values()))
        .order_by("entry_id", "line_number")
    ):
        entry_lines[row.entry_id].append(row)
    # (project, accrued account, WIP account, currency) → (amount, accounting amount)
    groups: dict[tuple[int, int, int, str], _Amount] = {}
    accounts: dict[int, Any] = {}
    for pk, actual in sorted(actuals.items()):
        if pk not in entry_of:
            continue  # posted without an entry: the profile did not accrue at the time
        rows = entry_lines[entry_of[pk]]
        wip = next(r for r in rows if r.accounting_amount > 0 or r.amount > 0)
        accrued = next(r for r in rows if r is not wip)
        accounts[wip.account_id] = wip.account
        accounts[accrued.account_id] = accrued.account
        key = (actual.project_id, accrued.account_id, wip.account_id, actual.currency)
        total = groups.setdefault(key, _Amount())
        total.amount += actual.amount
        total.accounting += abs(wip.accounting_amount)
    projects = {a.project_id: a.project for a in actuals.values()}
    lines: list[LineSpec] = []
    for (project_id, accrued_id, wip_id, currency), value in sorted(groups.items()):
        if value.amount == 0:
            continue
        text = _("%(number)s accrued revenue invoiced") % {"number": number}
        lines.append(
            _spec(
                account=accounts[accrued_id],
                currency=currency,
                value=value,
                project=projects[project_id],
                description=text,
            )
        )
        lines.append(
            _spec(
                account=accounts[wip_id],
                currency=currency,
                value=_Amount(-value.amount, -value.accounting),
                project=projects[project_id],
                description=text,
            )
        )
    return lines


def _memo(invoice: Invoice, number: str) -> str:
    if invoice.corrects_id is not None:
        return _("Credit note %(number)s for invoice %(original)s, %(customer)s") % {
            "number": number,
            "original": invoice.corrects,
            "customer": invoice.customer.name,
        }
    return _("Invoice %(number)s, contract %(contract)s, %(customer)s") % {
        "number": number,
        "contract": invoice.contract.number,
        "customer": invoice.customer.name,
    }


def _render_pdf(invoice: Invoice) -> bytes:
    """The printed invoice (external: WeasyPrint). Imported here so that it is looked up on
    every posting."""
    from invoicing import documents

    return documents.render_invoice_pdf(invoice=invoice, proforma=False)


def post_invoice(
    *, invoice: Invoice, by: Any, at: dt.datetime, version: int | None = None
) -> Invoice:
    """Post a confirmed invoice (see the module); returns the posted invoice."""
    stored: list[str] = []
    try:
        with transaction.atomic(durable=True):
            return _post(invoice=invoice, by=by, at=at, version=version, stored=stored)
    except BaseException:
        if stored:  # the posting rolled back: the printed invoice it wrote must go too
            from django.core.files.storage import default_storage

            for name in stored:
                default_storage.delete(name)
        raise


def _post(
    *, invoice: Invoice, by: Any, at: dt.datetime, version: int | None, stored: list[str]
) -> Invoice:
    locked = lock_invoice(invoice_id=invoice.pk, version=version)
    if not can_proceed(locked.post):
        raise InvoiceStateError(
            _(
                "Invoice %(ref)s is %(status)s; only a confirmed invoice (an invoice proposal) "
                "can be posted."
            )
            % {"ref": locked, "status": locked.get_status_display()}
        )
    if by is not None and locked.confirmed_by_id == getattr(by, "pk", None):
        raise PostingNotAllowed(
            _(
                "You confirmed invoice %(ref)s, so you may not post it: the one who confirms "
                "an invoice never posts it. Ask another accountant to post it."
            )
            % {"ref": locked}
        )
    locked = Invoice.objects.select_related("customer", "legal_entity", "contract", "corrects").get(
        pk=locked.pk
    )
    blockers = posting_blockers(locked)
    if blockers:
        raise PostingBlocked(blockers)
    entry_date, period = posting_period(locked)
    locked.accounting_date = entry_date
    locked.due_date = effective_due_date(locked)
    number = next_number(
        legal_entity=locked.legal_entity, fiscal_year=period.fiscal_year, purpose=INVOICE_SERIES
    )
    details = _details(locked)
    built = _entry_lines(invoice=locked, number=number, entry_date=entry_date, details=details)
    if not built.lines:
        raise PostingBlocked(
            {
                "lines": [
                    _(
                        "Invoice %(ref)s totals 0.00 and has nothing to post to the ledger: "
                        "add chargeable items or correct it."
                    )
                    % {"ref": locked}
                ]
            }
        )
    entry = post_entry(
        legal_entity=locked.legal_entity,
        entry_date=entry_date,
        memo=_memo(locked, number),
        lines=built.lines,
        posted_by=by,
        posted_at=at,
    )
    if built.gross != 0:
        settles = None
        if locked.corrects is not None and locked.corrects.ledger_entry_id is not None:
            settles = (
                CustomerTransaction.objects.filter(
                    entry_id=locked.corrects.ledger_entry_id, customer=locked.customer
                )
                .exclude(open_amount=0)
                .order_by("pk")
                .first()
            )
            if settles is not None and (settles.open_amount > 0) == (built.gross > 0):
                settles = None  # only an item of the opposite sign is settled
        record_customer_transaction(
            entry=entry,
            customer=locked.customer,
            document_number=number,
            document_date=locked.invoice_date,
            due_date=locked.due_date,
            currency=locked.currency,
            amount=built.gross,
            accounting_amount=built.gross_accounting,
            settles=settles,
        )
    locked.post()
    locked.number = number
    locked.payment_reference = creditor_reference(number)
    locked.posted_at = at
    locked.posted_by = by
    locked.ledger_entry = entry
    locked.version += 1
    pdf = _render_pdf(locked)
    locked.pdf.save(f"{number}.pdf", ContentFile(pdf), save=False)
    stored.append(locked.pdf.name)
    locked.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    locked.save()
    return locked


# --- batches --------------------------------------------------------------------------------------


def start_posting_batch(*, invoice_ids: Iterable[int], by: Any, at: dt.datetime) -> PostingBatch:
    """Record a *post selected* batch (status *running*); :func:`run_posting_batch` posts.

    The ids must name invoice proposals (confirmed invoices): others are refused (400, naming
    them) and no batch is recorded.
    """
    ids = list(dict.fromkeys(int(i) for i in invoice_ids))
    if not ids:
        raise ValidationError({"invoice_ids": [_("Select at least one invoice proposal.")]})
    found = dict(Invoice.objects.filter(pk__in=ids).values_list("pk", "status"))
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise ValidationError(
            {
                "invoice_ids": [
                    _("Unknown invoices: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}
                ]
            }
        )
    not_proposals = [i for i in ids if found[i] != InvoiceStatus.CONFIRMED]
    if not_proposals:
        raise ValidationError(
            {
                "invoice_ids": [
                    _("Not invoice proposals (only confirmed invoices can be posted): %(ids)s.")
                    % {"ids": ", ".join(map(str, not_proposals))}
                ]
            }
        )
    return PostingBatch.objects.create(
        started_at=at, started_by=by, invoice_ids=ids, total=len(ids)
    )


def failure_reason(error: BaseException) -> str:
    """A failure as one sentence a person reads (PostgreSQL's CONTEXT lines left out)."""
    if isinstance(error, PostingBlocked):
        return str(error)
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def run_posting_batch(*, batch: PostingBatch, clock: Clock) -> PostingBatch:
    """Post every invoice of the batch, each in its own transaction (one failing does not stop
    the others); counts and reasons are saved after each invoice. A batch that is no longer
    running (e.g. a task delivered twice) is left alone."""
    batch = PostingBatch.objects.select_related("started_by").get(pk=batch.pk)
    if batch.status != RunStatus.RUNNING:
        return batch
    for invoice_id in batch.invoice_ids:
        if str(invoice_id) in batch.failures:
            continue
        try:
            invoice = Invoice.objects.get(pk=invoice_id)
            post_invoice(invoice=invoice, by=batch.started_by, at=clock())
        except Exception as error:  # recorded on the batch; the others go on
            logger.info("posting batch %s: invoice %s failed: %s", batch.pk, invoice_id, error)
            batch.failed += 1
            batch.failures[str(invoice_id)] = failure_reason(error)
        else:
            batch.posted += 1
        batch.save(update_fields=["posted", "failed", "failures"])
    batch.status = RunStatus.DONE_WITH_FAILURES if batch.failed else RunStatus.DONE
    batch.finished_at = clock()
    batch.save(update_fields=["status", "finished_at"])
    return batch
