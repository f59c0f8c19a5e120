"""The task journal library: events, the durable writer, the reader, the index, search
and packs.

Plain, typed and synchronous: it imports neither ``mcp`` nor ``anyio``, so the
MCP server, the command line and hooks all share it at no start-up cost.
"""

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
from journal_core.pack import Pack, Resume
from journal_core.reader import BadLine, VerifyReport
from journal_core.search import SearchHit, SearchPage
from journal_core.settings import DURABILITY_MODES, Settings
from journal_core.store import EventPage, IndexStatus, TaskPage, TaskSummary
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
