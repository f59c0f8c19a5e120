"""What a read or a search asks for, checked once: one value that travels down the layers.

A front end (an MCP tool, a command) or the facade builds a ``ReadFilter`` or a
``SearchFilter`` from the arguments it was given (``ReadFilter.of``, ``SearchFilter.of``:
each raises ``InvalidQuery`` naming the first bad argument); the facade, the search's
pages, the index and its queries take that value and check nothing again. Only a cursor
is checked further down (``journal_core.cursor``), against the file it pages through.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, TypedDict

import msgspec

from journal_core.errors import InvalidQuery
from journal_core.query import (
    DEFAULT_LIMIT,
    DEFAULT_SEARCH_LIMIT,
    check_event_ids,
    check_limit,
    check_order,
    check_task_id,
    check_types,
    parse_instant,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from journal_core.search import Query

__all__ = [
    "ACTIVE_ONLY",
    "ALL",
    "HOLDING",
    "EventArguments",
    "EventFilter",
    "ReadArguments",
    "ReadFilter",
    "RejectedArguments",
    "SearchArguments",
    "SearchFilter",
]

# What a search keeps: every match, those still holding (not superseded, corrected
# away or overturned: what ``rejected`` gives), or only the active ones.
ALL: Final = "all"
HOLDING: Final = "holding"
ACTIVE_ONLY: Final = "active"


class _Window(TypedDict, total=False):
    task_id: str | None
    since: str | None
    until: str | None


class EventArguments(_Window, total=False):
    """Which events, as a caller gives it (see ``EventFilter.of``)."""

    types: Sequence[str] | None


class ReadArguments(EventArguments, total=False):
    """The arguments of a read as a caller gives them (see ``ReadFilter.of``)."""

    limit: int
    cursor: str | None
    order: str
    event_ids: Sequence[str] | None


class RejectedArguments(_Window, total=False):
    """The arguments of a search for what was turned down, as a caller gives them (see
    ``SearchFilter.of``): no ``types``, it has its own."""

    all_projects: bool
    limit: int
    cursor: str | None
    full: bool


class SearchArguments(RejectedArguments, EventArguments, total=False):
    """The arguments of a search as a caller gives them (see ``SearchFilter.of``)."""

    current_only: bool


class EventFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Which events a read or a search keeps: of one task, of some types, in a time
    window (POSIX seconds, both ends included); ``None`` keeps all."""

    task_id: str | None = None
    types: frozenset[str] | None = None
    since: float | None = None
    until: float | None = None

    @classmethod
    def of(cls, **where: Unpack[EventArguments]) -> EventFilter:
        """The filter of these arguments as a caller gives them (times as RFC 3339)."""
        return cls(
            task_id=check_task_id(where.get("task_id")),
            types=check_types(where.get("types")),
            since=parse_instant("since", where.get("since")),
            until=parse_instant("until", where.get("until")),
        )


_KEEP_ALL: Final = EventFilter()


class ReadFilter(msgspec.Struct, frozen=True, kw_only=True):
    """A page of events to read: ``events`` newest or oldest first (``order``), at most
    ``limit``, from ``cursor`` on; or, with ``event_ids``, those events in that order."""

    events: EventFilter = _KEEP_ALL
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    order: str = "newest"
    event_ids: list[str] | None = None

    @classmethod
    def of(
        cls,
        *,
        limit: object = DEFAULT_LIMIT,
        cursor: str | None = None,
        order: object = "newest",
        event_ids: object = None,
        **where: Unpack[EventArguments],
    ) -> ReadFilter:
        """The read these arguments ask for; ``InvalidQuery`` names the first bad one.
        Events by id take no other filter (``limit`` and ``order`` are theirs to ignore)."""
        if event_ids is not None:
            if cursor is not None or any(value is not None for value in where.values()):
                raise InvalidQuery(
                    "event_ids",
                    "fetches those events only; leave out task_id, types, since, until and cursor",
                )
            return cls(event_ids=check_event_ids(event_ids))
        return cls(
            events=EventFilter.of(**where),
            limit=check_limit(limit),
            cursor=cursor,
            order=check_order(order),
        )


class SearchFilter(msgspec.Struct, frozen=True, kw_only=True):
    """A page of search hits to find (SPEC §7): ``query`` parsed; with ``rejected``,
    what was turned down (rejections, and decisions' alternatives not chosen); ``keep``
    says which standings stay (``ALL``, ``HOLDING``, ``ACTIVE_ONLY``); ``full`` gives
    each hit's whole event; ``all_projects`` searches every journal of the data folder."""

    query: Query
    events: EventFilter = _KEEP_ALL
    rejected: bool = False
    keep: str = ALL
    full: bool = False
    all_projects: bool = False
    limit: int = DEFAULT_SEARCH_LIMIT
    cursor: str | None = None

    @classmethod
    def of(
        cls,
        query: object,
        *,
        rejected: bool = False,
        current_only: bool = False,
        all_projects: bool = False,
        limit: object = DEFAULT_SEARCH_LIMIT,
        cursor: str | None = None,
        full: bool = False,
        **where: Unpack[EventArguments],
    ) -> SearchFilter:
        """The search these arguments ask for; ``InvalidQuery`` names the first bad one
        (the query first). ``current_only`` keeps only the active hits, or with
        ``rejected`` those that still hold; ``rejected`` takes no ``types`` (it has its
        own)."""
        # Search's parser is imported here, not by every reader (a status line).
        from journal_core.search import check_search_limit, parse

        parsed = parse(query)
        if rejected:
            where.pop("types", None)
        events = EventFilter.of(**where)
        if rejected:
            keep = HOLDING if current_only else ALL
        else:
            keep = ACTIVE_ONLY if current_only else ALL
        return cls(
            query=parsed,
            events=events,
            rejected=rejected,
            keep=keep,
            full=full,
            all_projects=all_projects,
            limit=check_search_limit(limit),
            cursor=cursor,
        )
