"""The checks on read arguments, done once here for every front end.

Each check returns the argument in the form the index works with, or raises
``InvalidQuery(field, reason)`` whose message tells the caller how to fix it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from journal_core.errors import InvalidQuery
from journal_core.events import EVENT_TYPES

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 500
MAX_EVENT_IDS: Final = 50
ORDERS: Final = ("newest", "oldest")
TASK_STATUS_FILTERS: Final = ("open", "closed", "any")
# The defaults of a search's limit and of the resume briefing's budget, here with the
# other defaults so that ``Journal`` can name them without importing search or packs.
DEFAULT_SEARCH_LIMIT: Final = 20
RESUME_TOKENS: Final = 1_500


def check_limit(limit: object) -> int:
    # bool is an int subclass, but limit=True is a caller's mistake.
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidQuery("limit", f"must be a whole number from 1 to {MAX_LIMIT}, got {limit!r}")
    return limit


def check_order(order: object) -> str:
    if isinstance(order, str) and order in ORDERS:
        return order
    raise InvalidQuery("order", f"must be 'newest' or 'oldest', got {order!r}")


def check_task_id(task_id: object) -> str | None:
    if task_id is not None and (not isinstance(task_id, str) or not task_id):
        raise InvalidQuery("task_id", f"must be a task id string, got {task_id!r}")
    return task_id


def check_types(types: object) -> frozenset[str] | None:
    """The set of event types asked for; ``None`` (or an empty list) means all of them."""
    if types is None:
        return None
    if isinstance(types, str) or not isinstance(types, Sequence):
        raise InvalidQuery("types", f"must be a list of event types, got {types!r}")
    for name in types:
        if name not in EVENT_TYPES:
            raise InvalidQuery(
                "types", f"{name!r} is not an event type; use some of: {', '.join(EVENT_TYPES)}"
            )
    return frozenset(types) or None


def parse_instant(field: str, value: object) -> float | None:
    """An RFC 3339 timestamp (``Z`` or an offset) as POSIX seconds, ``None`` if absent."""
    if value is None:
        return None
    moment = None
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidQuery(
            field,
            f'must be an RFC 3339 timestamp with a time zone, like "2026-11-25T17:03:09Z", '
            f"got {value!r}",
        )
    return moment.timestamp()


def check_task_status(status: object) -> str:
    if isinstance(status, str) and status in TASK_STATUS_FILTERS:
        return status
    raise InvalidQuery("status", f"must be 'open', 'closed' or 'any', got {status!r}")


def check_text_query(query: object) -> str | None:
    """The title search text, folded for a case-insensitive match."""
    if query is None:
        return None
    if not isinstance(query, str):
        raise InvalidQuery("query", f"must be a string, got {query!r}")
    return query.casefold()


def check_event_ids(event_ids: object) -> list[str]:
    """1 to ``MAX_EVENT_IDS`` event ids or id prefixes, each non-empty text."""
    if (
        not isinstance(event_ids, (list, tuple))
        or not 1 <= len(event_ids) <= MAX_EVENT_IDS
        or not all(isinstance(given, str) and given.strip() for given in event_ids)
    ):
        raise InvalidQuery(
            "event_ids",
            f"must be a list of 1 to {MAX_EVENT_IDS} event ids (or unique starts of them), "
            f"got {event_ids!r}",
        )
    return [given.strip() for given in event_ids]
