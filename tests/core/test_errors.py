"""The library's errors: two kinds under one base, and messages in the core's own words."""

from __future__ import annotations

from pathlib import Path

import pytest

from journal_core import (
    Failed,
    IdempotencyKeyReused,
    InvalidEvent,
    InvalidQuery,
    InvalidSetting,
    JournalBusy,
    JournalDurabilityUnknown,
    JournalError,
    JournalUnavailable,
    JournalWriteFailed,
    Refused,
    TaskAlreadyOpen,
    TaskNotFound,
    TaskStateConflict,
    UnknownEvent,
)

PATH = Path("/journal/events.jsonl")
REFUSED: list[JournalError] = [
    InvalidEvent("text", "must not be empty"),
    InvalidQuery("limit", "is 0"),
    InvalidSetting("TASK_JOURNAL_DURABILITY", "is 'sometimes'"),
    TaskNotFound("tj-gone000000"),
    TaskAlreadyOpen("tj-open000000"),
    TaskStateConflict("tj-done000000", "close", "closed"),
    TaskStateConflict("tj-open000000", "reopen", "open"),
    UnknownEvent("corrects", "01KMZ3T4J8Q7W2E5R6T7Y8V9H0"),
    IdempotencyKeyReused("k1", "tj-aaaaaaaaaa", "finding"),
]
FAILED: list[JournalError] = [
    JournalBusy(PATH, 10.0),
    JournalWriteFailed(PATH, "disk full"),
    JournalDurabilityUnknown(PATH, "fsync failed"),
    JournalUnavailable(PATH, "permission denied"),
]
# What only a front end may say: a tool's or a command's name or arguments.
FRONT_END_WORDS = ("list_tasks", "read_events", "append_event", "type=", "task-journal", "--")


@pytest.mark.parametrize("error", REFUSED, ids=lambda error: type(error).__name__)
def test_a_wrong_request_is_refused(error: JournalError) -> None:
    assert isinstance(error, Refused)
    assert not isinstance(error, Failed)


@pytest.mark.parametrize("error", FAILED, ids=lambda error: type(error).__name__)
def test_what_the_journal_could_not_do_failed(error: JournalError) -> None:
    assert isinstance(error, Failed)
    assert not isinstance(error, Refused)


@pytest.mark.parametrize("error", REFUSED + FAILED, ids=lambda error: type(error).__name__)
def test_a_core_message_uses_no_front_ends_words(error: JournalError) -> None:
    assert not [word for word in FRONT_END_WORDS if word in str(error)]


def test_one_error_says_there_is_no_such_task() -> None:
    error = TaskNotFound("tj-gone000000")
    assert (error.task_id, str(error)) == (
        "tj-gone000000",
        "no task 'tj-gone000000' in this journal (no 'open' event names it)",
    )
