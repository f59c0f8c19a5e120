"""The task journal library: events, the durable writer, the reader and the index.

Plain, typed and synchronous: it imports neither ``mcp`` nor ``anyio``, so the
MCP server, the command line and hooks all share it at no start-up cost.
"""

from journal_core.errors import (
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
from journal_core.index import EventPage, TaskPage, TaskSummary
from journal_core.journal import AppendResult, FlushResult, Journal
from journal_core.location import resolve_journal_path
from journal_core.reader import BadLine, VerifyReport
from journal_core.settings import DURABILITY_MODES, Settings
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
    "Refs",
    "Settings",
    "TaskAlreadyOpen",
    "TaskNotFound",
    "TaskPage",
    "TaskSummary",
    "VerifyReport",
    "WriterStats",
    "event_to_dict",
    "new_event",
    "resolve_journal_path",
]
