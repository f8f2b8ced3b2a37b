"""Writes of the ledger: posting entries, number series, periods, the integration journal.

``post_entry`` and ``next_number`` are building blocks: they run inside the caller's
transaction (``atomic(savepoint=False)``), so that a voucher or invoice number is taken, and
given back on rollback, together with everything else the caller writes. Use-case services
(``post_journal``, ``close_period`` …) own their transaction.

Errors are :class:`LedgerError` (a Django ``ValidationError`` naming the field, so the API
answers 400 and a form shows it) or :class:`LedgerStateError` (the object's state forbids the
action: HTTP 409). Time is passed in; nothing here reads the clock.
"""

from ledger.chart import load_default_chart

from .errors import (
    InvalidAccount,
    JournalLinePosted,
    JournalPosted,
    LedgerError,
    LedgerStateError,
    MissingExchangeRate,
    MissingPostingProfile,
    MissingVatCode,
    PeriodClosed,
    PeriodStateError,
    UnbalancedEntry,
)
from .jobs import queue_journal_job, run_journal_job, start_journal_job
from .journal import (
    KEEP,
    JournalEditResult,
    JournalPostResult,
    edit_journal_lines,
    journal_line_accounts,
    journal_tax_groups_changed,
    post_journal,
    update_journal_line,
)
from .periods import close_period, create_fiscal_year, reopen_period
from .posting import (
    LineSpec,
    Side,
    exchange_rate,
    format_number,
    next_number,
    post_entry,
    record_customer_transaction,
    reverse_entry,
    vat_code_for,
)
from .settlement import settle_customer_transaction

__all__ = [
    "KEEP",
    "InvalidAccount",
    "JournalEditResult",
    "JournalLinePosted",
    "JournalPostResult",
    "JournalPosted",
    "LedgerError",
    "LedgerStateError",
    "LineSpec",
    "MissingExchangeRate",
    "MissingPostingProfile",
    "MissingVatCode",
    "PeriodClosed",
    "PeriodStateError",
    "Side",
    "UnbalancedEntry",
    "close_period",
    "create_fiscal_year",
    "edit_journal_lines",
    "exchange_rate",
    "format_number",
    "journal_line_accounts",
    "journal_tax_groups_changed",
    "load_default_chart",
    "next_number",
    "post_entry",
    "post_journal",
    "queue_journal_job",
    "record_customer_transaction",
    "reopen_period",
    "reverse_entry",
    "run_journal_job",
    "settle_customer_transaction",
    "start_journal_job",
    "update_journal_line",
    "vat_code_for",
]
