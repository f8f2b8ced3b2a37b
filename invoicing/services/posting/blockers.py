"""What blocks posting a proposal, said all at once with what to fix."""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from actuals.journal import source_key
from actuals.models import Actual, BillingType
from contracts.fiscal_calendar import calendar_errors
from contracts.models import Project
from contracts.numbers import show_date
from invoicing.models import (
    Invoice,
    InvoiceDetail,
    InvoiceStatus,
)
from ledger.models import (
    JournalLine,
    JournalLineStatus,
    PostingProfile,
)
from ledger.queries import PostingProfiles
from ledger.services import (
    LedgerError,
    exchange_rate,
    vat_code_for,
)

from .proposal import effective_accounting_date, effective_due_date, posting_period

logger = logging.getLogger(__name__)

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
    #: For hours a credit note brought back: that credit note (its posting accrues them).
    credit_note: str = ""
    credit_note_id: int | None = None
    journal_date: dt.date | None = None


@dataclass(frozen=True)
class JournalBlocker:
    """Actuals of an invoice that wait for the same fix: one journal to post, an import to
    run, or a credit note to post. Said in the reader's language, with no internal ids; the
    page links each to where it is fixed."""

    count: int
    amount: Decimal
    currency: str
    projects: tuple[str, ...]
    journal_id: int | None = None
    journal_date: dt.date | None = None
    credit_note: str = ""
    credit_note_id: int | None = None
    errors: tuple[str, ...] = ()

    def __str__(self) -> str:
        n = self.count
        values = {
            "n": n,
            "amount": f"{number_format(self.amount, 2, use_l10n=True, force_grouping=True)} "
            f"{self.currency}",
            "projects": ", ".join(self.projects),
        }
        if self.credit_note:
            text = ngettext(
                "%(n)d T&M item (%(amount)s, %(projects)s) came back with credit note %(ref)s, "
                "which is not posted yet: post the credit note first.",
                "%(n)d T&M items (%(amount)s, %(projects)s) came back with credit note %(ref)s, "
                "which is not posted yet: post the credit note first.",
                n,
            ) % {**values, "ref": self.credit_note}
        elif self.journal_id is None:
            text = (
                ngettext(
                    "%(n)d T&M item (%(amount)s, %(projects)s) is not in the integration journal "
                    "yet: import the approved actuals, then post the journal.",
                    "%(n)d T&M items (%(amount)s, %(projects)s) are not in the integration journal "
                    "yet: import the approved actuals, then post the journal.",
                    n,
                )
                % values
            )
        else:
            date = self.journal_date
            text = ngettext(
                "%(n)d T&M item (%(amount)s, %(projects)s) waits as a draft line in the journal "
                "of %(date)s: post that journal first.",
                "%(n)d T&M items (%(amount)s, %(projects)s) wait as draft lines in the journal "
                "of %(date)s: post that journal first.",
                n,
            ) % {**values, "date": date_format(date, "SHORT_DATE_FORMAT") if date else ""}
        if self.errors:
            text = f"{text} " + _("The journal says: %(errors)s") % {
                "errors": " ".join(self.errors)
            }
        return text


def journal_blockers(missing: Iterable[MissingJournalPosting]) -> list[JournalBlocker]:
    """The missing journal postings grouped by what fixes them (journals by date, then the
    import, then credit notes)."""
    groups: dict[tuple[int, dt.date, int], list[MissingJournalPosting]] = defaultdict(list)
    for m in missing:
        key = (
            (2, dt.date.min, m.credit_note_id or 0)
            if m.credit_note
            else (1, dt.date.min, 0)
            if m.journal_id is None
            else (0, m.journal_date or dt.date.min, m.journal_id)
        )
        groups[key].append(m)
    blockers = []
    for key in sorted(groups):
        items = groups[key]
        first = items[0]
        blockers.append(
            JournalBlocker(
                count=len(items),
                amount=sum((m.amount for m in items), Decimal(0)),
                currency=first.currency,
                projects=tuple(sorted({m.project_code for m in items})),
                journal_id=first.journal_id,
                journal_date=first.journal_date,
                credit_note=first.credit_note,
                credit_note_id=first.credit_note_id,
                errors=tuple(sorted({m.error_reason for m in items if m.error_reason})),
            )
        )
    return blockers


def _unbilled_actuals(invoice: Invoice) -> list[Actual]:
    ids = [
        a
        for a in InvoiceDetail.objects.filter(invoice=invoice, actual__isnull=False).values_list(
            "actual_id", flat=True
        )
        if a is not None
    ]
    return list(Actual.objects.select_related("project").filter(pk__in=ids).order_by("pk"))


def _accrues(actual: Actual, profiles: PostingProfiles) -> bool:
    """Did (or will) the journal post this actual into WIP?"""
    if actual.billing_type != BillingType.CHARGEABLE or actual.amount == 0:
        return False  # never journalled (actuals.journal.JOURNALLED)
    profile = profiles.of(actual.project)
    return profile is not None and profile.accrue_tm_revenue


def missing_journal_postings(
    invoice: Invoice, *, profiles: PostingProfiles | None = None
) -> list[MissingJournalPosting]:
    """The T&M actuals on the invoice that accrue revenue and are not accrued yet (in actual id
    order): their integration-journal line is not posted, or, for hours a credit note brought
    back, that credit note is not posted."""
    profiles = profiles or PostingProfiles()
    accruing = [a for a in _unbilled_actuals(invoice) if _accrues(a, profiles)]
    lines = {
        line.source_key: line
        for line in JournalLine.objects.select_related("journal").filter(
            source_key__in=[source_key(a.pk) for a in accruing]
        )
    }
    credit_notes = {
        d.returned_actual_id: d.invoice
        for d in InvoiceDetail.objects.select_related("invoice").filter(
            returned_actual__in=[a.pk for a in accruing if a.returned_from_id]
        )
    }
    missing = []
    for actual in accruing:
        if actual.returned_from_id:
            credit_note = credit_notes.get(actual.pk)
            if credit_note is None or credit_note.status == InvoiceStatus.POSTED:
                continue
            missing.append(
                MissingJournalPosting(
                    actual_id=actual.pk,
                    transaction_date=actual.transaction_date,
                    project_code=actual.project.code,
                    amount=actual.amount,
                    currency=actual.currency,
                    journal_id=None,
                    error_reason="",
                    credit_note=str(credit_note),
                    credit_note_id=credit_note.pk,
                )
            )
            continue
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
                journal_date=line.journal.journal_date if line is not None else None,
            )
        )
    return missing


def _details(invoice: Invoice) -> list[InvoiceDetail]:
    return list(
        InvoiceDetail.objects.select_related(
            "line",
            "billed_actual__project",
            "returned_actual__billing",
            "returned_actual__project",
            "sales_tax_group",
            "item_sales_tax_group",
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
    profiles = PostingProfiles()
    for project in sorted(projects, key=lambda p: p.pk):
        profile = profiles.of(project)
        if profile is not None:
            return profile
    return None


def posting_blockers(invoice: Invoice) -> dict[str, list[str]]:
    """Everything that stops ``invoice`` from being posted now, by field, as sentences that
    say what to fix (empty when it can be posted). Reads only."""
    errors: dict[str, list[str]] = defaultdict(list)
    profiles = PostingProfiles()
    missing = missing_journal_postings(invoice, profiles=profiles)
    errors["journal"].extend(str(b) for b in journal_blockers(missing))
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
    outside = calendar_errors(
        {"invoice_date": (invoice.invoice_date, _("invoice date"))},
        legal_entity=invoice.legal_entity,
    )
    errors["invoice_date"].extend(outside.get("invoice_date", []))
    due = effective_due_date(invoice) if not outside else invoice.invoice_date
    if due < invoice.invoice_date:
        errors["due_date"].append(
            _("The due date %(due)s lies before the invoice date %(date)s: change the due date.")
            % {"due": show_date(due), "date": show_date(invoice.invoice_date)}
        )
    if invoice.corrects_id is not None:
        original = Invoice.objects.get(pk=invoice.corrects_id)
        if original.status != InvoiceStatus.POSTED:
            errors["corrects"].append(
                _("This document corrects %(ref)s, which is not posted yet: post %(ref)s first.")
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
