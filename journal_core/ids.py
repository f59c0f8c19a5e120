"""Task and event ids taken whole or by a unique prefix, as git takes commit ids.

Packs and the command line show events by a short id (the first 12 characters), so a
caller may name an event or a task by any start of its id that no other id shares. The
front ends resolve what they are given here before an event is made, so the journal
never holds a prefix. A task id may be given without its ``tj-``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from journal_core.errors import AmbiguousId, IdPrefixTooShort, UnknownEvent

if TYPE_CHECKING:
    from journal_core.journal import Journal

__all__ = ["SHORTEST_PREFIX", "resolve_event_id", "resolve_task_id"]

# The shortest prefix the MCP tools take: long enough that one typed today still names
# a single event as the journal grows (the command line, read by a person, takes any).
SHORTEST_PREFIX: Final = 8

_TASK_MARK: Final = "tj-"
_ULID_CHARS: Final = 26
_CROCKFORD: Final = re.compile(r"[0-9A-HJKMNP-TV-Z]+")
# Enough candidates to show a few and to know there are several.
_CANDIDATES: Final = 7


def resolve_task_id(
    journal: Journal, given: str, field: str = "task_id", shortest: int = SHORTEST_PREFIX
) -> str:
    """The id of the task ``given`` names: the task with that id, else the only one whose
    id starts with it (with or without ``tj-``).

    An id that starts no task's comes back as given, for the caller's own "no such task".
    Raises ``AmbiguousId`` or ``IdPrefixTooShort``.
    """
    if not given or journal.holds_task(given):
        return given  # the task with that id: the common case, asked without catching up
    candidates = journal.task_ids_with_prefix(given)
    if not candidates and not given.startswith(_TASK_MARK):
        candidates = journal.task_ids_with_prefix(_TASK_MARK + given)
    if given in candidates or not candidates:
        return given
    if len(given) < shortest:
        raise IdPrefixTooShort(field, given, shortest)
    if len(candidates) > 1:
        raise AmbiguousId(field, given, candidates)
    return candidates[0]


def resolve_event_id(
    journal: Journal,
    given: str,
    field: str,
    task_id: str | None = None,
    shortest: int = SHORTEST_PREFIX,
) -> str:
    """The event id ``given`` names: a whole id (or anything that cannot start one) as it
    is, for the event checks to judge; else the only event whose id starts with it.

    When several do, those of ``task_id`` are looked at alone (a correction is nearly
    always of its own task). Raises ``UnknownEvent``, ``AmbiguousId`` or
    ``IdPrefixTooShort``.
    """
    wanted = given.upper()
    if len(wanted) >= _ULID_CHARS or not _CROCKFORD.fullmatch(wanted):
        return given
    if len(wanted) < shortest:
        raise IdPrefixTooShort(field, given, shortest)
    found = journal.event_ids_with_prefix(wanted, _CANDIDATES)
    if len(found) > 1 and task_id is not None:
        found = [pair for pair in found if pair[1] == task_id] or found
    if not found:
        raise UnknownEvent(field, given)
    if len(found) > 1:
        raise AmbiguousId(field, given, [event_id for event_id, _ in found])
    return found[0][0]
