"""Exceptions of the actuals services (interfaces turn them into 409 / 403 / form errors)."""

from contracts.errors import NotAllowed, StateConflict


class EntryStateError(StateConflict):
    """The entry's status does not allow the action (HTTP 409), e.g. approving an approved
    entry, or cancelling an approval whose sales actuals are on an invoice."""


class NotAuthorError(NotAllowed):
    """Only the entry's author (its resource's user) may do this (HTTP 403)."""
