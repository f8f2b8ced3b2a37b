"""The domain's error family, shared by every app (the lowest layer, so all may import it).

A service says what went wrong with one of three kinds of exception, and each interface turns
them into an answer in **one** place: the API's exception handler
(:func:`contracts.api_errors.exception_handler`) and the portal's
:func:`contracts.errors.error_texts` (used by every page through ``messages``):

- bad input: Django's :class:`~django.core.exceptions.ValidationError`, with its messages by
  field → HTTP 400 / a form error;
- :class:`StateConflict`: the object's state forbids the action (a confirmed invoice, a stale
  version, an item on a draft, a closed period …) → HTTP 409 with the message;
- :class:`NotAllowed`: this user may not do this to this object (the one who confirmed an
  invoice may not post it; only an entry's author may submit it) → HTTP 403 with the message.

A database constraint that catches a race (two people changing the same rows at once: a
unique, exclusion or foreign-key violation, or a trigger's refusal) is an
:class:`~django.db.IntegrityError`; :func:`is_race` tells it apart from a bug, and it answers
409 too, with :data:`RACE_MESSAGE`: the state changed under the caller, and reloading shows how.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class StateConflict(Exception):
    """The object's state forbids the action (HTTP 409). Subclassed per app, e.g.
    ``InvoiceStateError``; the message says what the state is and what to do."""


class NotAllowed(PermissionDenied):
    """This user may not do this to this object (HTTP 403), with a message that says why."""


RACE_MESSAGE = gettext_lazy(
    "Someone else changed these items at the same time; reload and try again."
)

#: SQLSTATEs of constraints that a concurrent change trips: unique, exclusion, foreign key, and
#: ``restrict_violation`` (what our triggers raise when they refuse a change).
_RACE_STATES = {"23505", "23P01", "23503", "23001"}


def is_race(exc: BaseException) -> bool:
    """Is this ``IntegrityError`` a constraint that a concurrent change tripped (not a bug)?"""
    return isinstance(exc, IntegrityError) and (
        getattr(exc.__cause__, "sqlstate", None) in _RACE_STATES
    )


#: What a page catches around a service call and shows as a message (anything else is a bug).
EXPECTED_ERRORS = (ValidationError, StateConflict, NotAllowed, IntegrityError)


def validation_texts(exc: ValidationError) -> dict[str, list[str]]:
    """A ``ValidationError``'s messages by field (``non_field_errors`` for the unnamed)."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for e in errs for m in e]
            for field, errs in exc.error_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def error_texts(exc: Exception) -> list[str]:
    """One of :data:`EXPECTED_ERRORS` as sentences a person reads (validation errors name
    their field)."""
    if isinstance(exc, ValidationError):
        return [
            reason if field == "non_field_errors" else f"{field}: {reason}"
            for field, reasons in validation_texts(exc).items()
            for reason in reasons
        ]
    if isinstance(exc, IntegrityError):
        if is_race(exc):
            return [str(RACE_MESSAGE)]
        return [
            _("Nothing was saved: the database refused the change (%(reason)s).")
            % {"reason": str(exc.__cause__ or exc).splitlines()[0]}
        ]
    return [str(exc) or _("You may not do this.")]
