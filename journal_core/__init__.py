"""The task journal library: events, the durable writer, the reader, the index, search
and packs.

Plain, typed and synchronous: it imports neither ``mcp`` nor ``anyio``, so the
MCP server, the command line and hooks all share it at no start-up cost. The types
of packs, search and the writer are imported when first named (``__getattr__``): a
process that only reads the index (the status line) loads none of them, nor filelock.
"""

from typing import TYPE_CHECKING, Any

from journal_core.errors import (
    IdempotencyKeyReused,
    InvalidEvent,
    InvalidQuery,
    InvalidSetting,
    JournalBusy,
    JournalDurabilityUnknown,
    JournalError,
    JournalUnavailable,
    JournalWriteFailed,
    TaskAlreadyOpen,
    TaskNotFound,
    TaskStateConflict,
    UnknownEvent,
)
from journal_core.events import (
    AUTHORS,
    EVENT_TYPES,
    EVIDENCE_STRENGTHS,
    OUTCOME_TAGS,
    SOURCES,
    STATUSES,
    Event,
    Limits,
    Refs,
    event_to_dict,
    new_event,
)
from journal_core.journal import AppendResult, FlushResult, Journal
from journal_core.location import resolve_journal_path
from journal_core.reader import BadLine, VerifyReport
from journal_core.settings import DURABILITY_MODES, Settings
from journal_core.store import EventPage, IndexStatus, TaskPage, TaskSummary

if TYPE_CHECKING:
    from journal_core.pack import Pack, Resume
    from journal_core.search import SearchHit, SearchPage
    from journal_core.writer import WriterStats

__all__ = [
    "AUTHORS",
    "DURABILITY_MODES",
    "EVENT_TYPES",
    "EVIDENCE_STRENGTHS",
    "OUTCOME_TAGS",
    "SOURCES",
    "STATUSES",
    "AppendResult",
    "BadLine",
    "Event",
    "EventPage",
    "FlushResult",
    "IdempotencyKeyReused",
    "IndexStatus",
    "InvalidEvent",
    "InvalidQuery",
    "InvalidSetting",
    "Journal",
    "JournalBusy",
    "JournalDurabilityUnknown",
    "JournalError",
    "JournalUnavailable",
    "JournalWriteFailed",
    "Limits",
    "Pack",
    "Refs",
    "Resume",
    "SearchHit",
    "SearchPage",
    "Settings",
    "TaskAlreadyOpen",
    "TaskNotFound",
    "TaskPage",
    "TaskStateConflict",
    "TaskSummary",
    "UnknownEvent",
    "VerifyReport",
    "WriterStats",
    "event_to_dict",
    "new_event",
    "resolve_journal_path",
]

# The names imported on first use, and their modules.
_LATER = {
    "Pack": "journal_core.pack",
    "Resume": "journal_core.pack",
    "SearchHit": "journal_core.search",
    "SearchPage": "journal_core.search",
    "WriterStats": "journal_core.writer",
}


def __getattr__(name: str) -> Any:
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # asked once: later lookups find it here
    return value
