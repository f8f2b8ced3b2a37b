"""Tables of allowed moves, kept in Python and in PostgreSQL from the same table.

A state that money depends on (an actual's billing status, a milestone's status) is moved
only through a table of allowed moves ``{(from, to): verb}``: the service that owns the state
checks it before it writes, and :func:`moves_trigger` makes PostgreSQL refuse every other move,
so that a bulk ``.update()`` or raw SQL cannot take a shortcut either.

The trigger is a row trigger whose ``WHEN`` condition holds only for an illegal move, so a
legal one (the invoice run moves 100,000 rows at a time) never calls its function. It raises
``restrict_violation`` (an ``IntegrityError`` in Django, a 409 in the API) naming the row and
the move.
"""

from collections.abc import Iterable

import pgtrigger

Move = tuple[str, str]


def _literal(value: str) -> str:
    if "'" in value:  # pragma: no cover - choices never contain quotes
        raise ValueError(f"state {value!r} contains a quote")
    return f"'{value}'"


def moves_trigger(
    *, name: str, column: str, moves: Iterable[Move], key: str = "id"
) -> pgtrigger.Trigger:
    """A trigger that refuses any change of ``column`` other than the ``moves``."""
    pairs = ", ".join(f"({_literal(a)}, {_literal(b)})" for a, b in sorted(moves))
    return pgtrigger.Trigger(
        name=name,
        when=pgtrigger.Before,
        operation=pgtrigger.Update,
        condition=pgtrigger.Condition(
            f'OLD."{column}" IS DISTINCT FROM NEW."{column}" '
            f'AND (OLD."{column}", NEW."{column}") NOT IN ({pairs})'
        ),
        func=f"""
        RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = format(
            '%s %s: %s cannot move from %s to %s', TG_TABLE_NAME, OLD."{key}", '{column}',
            OLD."{column}", NEW."{column}");
        """,
    )


def starts_in_trigger(
    *, name: str, column: str, states: Iterable[str], key: str = "id"
) -> pgtrigger.Trigger:
    """A trigger that refuses a new row whose ``column`` is not one of the starting ``states``."""
    allowed = ", ".join(_literal(s) for s in sorted(states))
    return pgtrigger.Trigger(
        name=name,
        when=pgtrigger.Before,
        operation=pgtrigger.Insert,
        condition=pgtrigger.Condition(f'NEW."{column}" NOT IN ({allowed})'),
        func=f"""
        RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = format(
            '%s %s: a new row starts with %s in %s, not %s', TG_TABLE_NAME, NEW."{key}",
            '{column}', '{allowed.replace("'", "''")}', NEW."{column}");
        """,
    )
