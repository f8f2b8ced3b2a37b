"""What blocks posting a proposal, said all at once with what to fix."""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from actuals.journal import source_key
from actuals.models import Actual, BillingType
from contracts.models import Project
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

    def __str__(self) -> str:
        where = (
            _("back from credit note %(ref)s, which is not posted yet") % {"ref": self.credit_note}
            if self.credit_note
            else _("not imported into the integration journal")
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
        for line in JournalLine.objects.filter(source_key__in=[source_key(a.pk) for a in accruing])
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
    if missing:
        errors["journal"].append(
            _(
                "These T&M actuals are not accrued in WIP yet: %(list)s. Import the actuals "
                "into the journal and post it (or post the credit note they came back with) "
                "first."
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
