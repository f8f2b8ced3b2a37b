"""The ledger services' exceptions: bad input (400, naming the field) and state (409)."""

from django.core.exceptions import ValidationError

from contracts.errors import StateConflict


class LedgerError(ValidationError):
    """Bad input for the ledger: names the field and says what to fix (HTTP 400)."""

    default_field = "__all__"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.reason = message
        super().__init__({field or self.default_field: [message]})

    def __str__(self) -> str:
        return self.reason


class UnbalancedEntry(LedgerError):
    default_field = "lines"


class PeriodClosed(LedgerError):
    """The date lies in a closed period, or in no period at all."""

    default_field = "entry_date"


class InvalidAccount(LedgerError):
    default_field = "account"


class MissingExchangeRate(LedgerError):
    default_field = "currency"


class MissingVatCode(LedgerError):
    default_field = "item_sales_tax_group"


class MissingPostingProfile(LedgerError):
    default_field = "project"


class LedgerStateError(StateConflict):
    """The object's state forbids the action (HTTP 409)."""


class PeriodStateError(LedgerStateError):
    pass


class JournalLinePosted(LedgerStateError):
    pass


class JournalPosted(LedgerStateError):
    pass
