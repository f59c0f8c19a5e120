"""The task journal library: events, the durable writer, the reader, the index, search
and packs.

Plain, typed and synchronous: it imports neither ``mcp`` nor ``anyio``, so the
MCP server, the command line and hooks all share it at no start-up cost. Only the
errors are imported with the package; every other name is imported when first named
(``__getattr__``), so a process loads only the modules it uses: the status line
loads neither msgspec nor the writer.
"""

from typing import TYPE_CHECKING, Any

from journal_core.errors import (
    AmbiguousId,
    Failed,
    IdempotencyKeyReused,
    IdPrefixTooShort,
    InvalidEvent,
    InvalidQuery,
    InvalidSetting,
    JournalBusy,
    JournalDurabilityUnknown,
    JournalError,
    JournalUnavailable,
    JournalWriteFailed,
    NoRemote,
    Refused,
    SyncFailed,
    TaskAlreadyOpen,
    TaskNotFound,
    TaskStateConflict,
    UnknownEvent,
)

if TYPE_CHECKING:
    from journal_core.capture import (
        check_records,
        current_branch,
        flush_spools,
        records_from_tool_use,
        remember_branch_task,
        spool_records,
        task_in_hand,
    )
    from journal_core.clip import clip_page
    from journal_core.environment import DURABILITY_MODES, durability_of, lock_timeout_of
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
        format_timestamp,
        new_event,
    )
    from journal_core.excerpt import FIRST_USE_BYTES, Excerpt, task_excerpt
    from journal_core.filters import EventArguments, ReadFilter, SearchFilter
    from journal_core.fold import (
        FoldEvent,
        Standing,
        TaskFold,
        as_fold_events,
        canonical,
        fold_lines,
    )
    from journal_core.ids import SHORTEST_PREFIX, resolve_event_id, resolve_task_id
    from journal_core.index.results import EventPage, IndexStatus, TaskPage, TaskSummary
    from journal_core.index.scan import TaskScan
    from journal_core.index.state import current_open_tasks, index_lag
    from journal_core.journal import AppendResult, FlushResult, Journal
    from journal_core.location import data_dir, find_project_root, resolve_journal_path
    from journal_core.pack import (
        COMPACT_TOKENS,
        FULL_TOKENS,
        MAX_BUDGET_TOKENS,
        MIN_BUDGET_TOKENS,
        PACK_MODES,
        Pack,
        Resume,
    )
    from journal_core.query import MAX_LIMIT, ORDERS, RESUME_TOKENS, TASK_STATUS_FILTERS
    from journal_core.reader import BadLine, VerifyReport, last_written_event
    from journal_core.recall import recall, render_recall
    from journal_core.remembered import Remembered
    from journal_core.search import SearchHit, SearchPage
    from journal_core.settings import Settings
    from journal_core.spelling import did_you_mean
    from journal_core.sync import SyncReport, SyncStatus, sync, sync_status
    from journal_core.untrusted import (
        code_span,
        data_block,
        inline,
        text_lines,
        visible,
        visible_document,
    )
    from journal_core.writer import WriterStats

__all__ = [
    "AUTHORS",
    "COMPACT_TOKENS",
    "DURABILITY_MODES",
    "EVENT_TYPES",
    "EVIDENCE_STRENGTHS",
    "FIRST_USE_BYTES",
    "FULL_TOKENS",
    "MAX_BUDGET_TOKENS",
    "MAX_LIMIT",
    "MIN_BUDGET_TOKENS",
    "ORDERS",
    "OUTCOME_TAGS",
    "PACK_MODES",
    "RESUME_TOKENS",
    "SHORTEST_PREFIX",
    "SOURCES",
    "STATUSES",
    "TASK_STATUS_FILTERS",
    "AmbiguousId",
    "AppendResult",
    "BadLine",
    "Event",
    "EventArguments",
    "EventPage",
    "Excerpt",
    "Failed",
    "FlushResult",
    "FoldEvent",
    "IdPrefixTooShort",
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
    "NoRemote",
    "Pack",
    "ReadFilter",
    "Refs",
    "Refused",
    "Remembered",
    "Resume",
    "SearchFilter",
    "SearchHit",
    "SearchPage",
    "Settings",
    "Standing",
    "SyncFailed",
    "SyncReport",
    "SyncStatus",
    "TaskAlreadyOpen",
    "TaskFold",
    "TaskNotFound",
    "TaskPage",
    "TaskScan",
    "TaskStateConflict",
    "TaskSummary",
    "UnknownEvent",
    "VerifyReport",
    "WriterStats",
    "as_fold_events",
    "canonical",
    "check_records",
    "clip_page",
    "code_span",
    "current_branch",
    "current_open_tasks",
    "data_block",
    "data_dir",
    "did_you_mean",
    "durability_of",
    "event_to_dict",
    "find_project_root",
    "flush_spools",
    "fold_lines",
    "format_timestamp",
    "index_lag",
    "inline",
    "last_written_event",
    "lock_timeout_of",
    "new_event",
    "recall",
    "records_from_tool_use",
    "remember_branch_task",
    "render_recall",
    "resolve_event_id",
    "resolve_journal_path",
    "resolve_task_id",
    "spool_records",
    "sync",
    "sync_status",
    "task_excerpt",
    "task_in_hand",
    "text_lines",
    "visible",
    "visible_document",
]

# The names imported on first use, and their modules: msgspec alone takes 40 ms to
# import, which the status line, run at every redraw, must not pay.
_LATER = {
    **dict.fromkeys(
        (
            "AUTHORS",
            "EVENT_TYPES",
            "EVIDENCE_STRENGTHS",
            "OUTCOME_TAGS",
            "SOURCES",
            "STATUSES",
            "Event",
            "Limits",
            "Refs",
            "event_to_dict",
            "format_timestamp",
            "new_event",
        ),
        "journal_core.events",
    ),
    **dict.fromkeys(("AppendResult", "FlushResult", "Journal"), "journal_core.journal"),
    **dict.fromkeys(
        ("data_dir", "find_project_root", "resolve_journal_path"), "journal_core.location"
    ),
    **dict.fromkeys(
        (
            "COMPACT_TOKENS",
            "FULL_TOKENS",
            "MAX_BUDGET_TOKENS",
            "MIN_BUDGET_TOKENS",
            "PACK_MODES",
            "Pack",
            "Resume",
        ),
        "journal_core.pack",
    ),
    **dict.fromkeys(
        ("MAX_LIMIT", "ORDERS", "RESUME_TOKENS", "TASK_STATUS_FILTERS"), "journal_core.query"
    ),
    "did_you_mean": "journal_core.spelling",
    **dict.fromkeys(("EventArguments", "ReadFilter", "SearchFilter"), "journal_core.filters"),
    "clip_page": "journal_core.clip",
    **dict.fromkeys(("FIRST_USE_BYTES", "Excerpt", "task_excerpt"), "journal_core.excerpt"),
    **dict.fromkeys(
        ("FoldEvent", "Standing", "TaskFold", "as_fold_events", "canonical", "fold_lines"),
        "journal_core.fold",
    ),
    **dict.fromkeys(("current_open_tasks", "index_lag"), "journal_core.index.state"),
    "TaskScan": "journal_core.index.scan",
    **dict.fromkeys(("BadLine", "VerifyReport", "last_written_event"), "journal_core.reader"),
    **dict.fromkeys(("SearchHit", "SearchPage"), "journal_core.search"),
    **dict.fromkeys(
        ("DURABILITY_MODES", "durability_of", "lock_timeout_of"), "journal_core.environment"
    ),
    "Settings": "journal_core.settings",
    **dict.fromkeys(("SyncReport", "SyncStatus", "sync", "sync_status"), "journal_core.sync"),
    **dict.fromkeys(
        ("EventPage", "IndexStatus", "TaskPage", "TaskSummary"), "journal_core.index.results"
    ),
    **dict.fromkeys(
        ("code_span", "data_block", "inline", "text_lines", "visible", "visible_document"),
        "journal_core.untrusted",
    ),
    "WriterStats": "journal_core.writer",
    **dict.fromkeys(("SHORTEST_PREFIX", "resolve_event_id", "resolve_task_id"), "journal_core.ids"),
    **dict.fromkeys(
        (
            "check_records",
            "current_branch",
            "flush_spools",
            "records_from_tool_use",
            "remember_branch_task",
            "spool_records",
            "task_in_hand",
        ),
        "journal_core.capture",
    ),
    **dict.fromkeys(("recall", "render_recall"), "journal_core.recall"),
    "Remembered": "journal_core.remembered",
}


def __getattr__(name: str) -> Any:
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # asked once: later lookups find it here
    return value
