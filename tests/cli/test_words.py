"""The core's errors in the command line's words, built from the facts they carry."""

import pytest

from journal_core import (
    IdempotencyKeyReused,
    InvalidEvent,
    InvalidQuery,
    JournalError,
    TaskAlreadyOpen,
    TaskNotFound,
    TaskStateConflict,
    UnknownEvent,
)
from server.cli.words import error_text
from tests.cli.conftest import CallMain


@pytest.mark.parametrize(
    ("error", "said"),
    [
        pytest.param(
            TaskNotFound("tj-8f3k2m9q1z"),
            "task 'tj-8f3k2m9q1z' has no 'open' event in this journal; start a task with "
            "`task-journal append open TEXT`, or find yours with `task-journal tasks --status any`",
            id="task-not-found",
        ),
        pytest.param(
            TaskAlreadyOpen("tj-8f3k2m9q1z"),
            "task 'tj-8f3k2m9q1z' was opened before; add events to it with "
            "--task tj-8f3k2m9q1z, or leave out --task to start a new task",
            id="task-already-open",
        ),
        pytest.param(
            TaskStateConflict("tj-8f3k2m9q1z", "close", "closed"),
            "task 'tj-8f3k2m9q1z' is closed already; to go on with it, "
            "`task-journal reopen tj-8f3k2m9q1z` first",
            id="close-of-a-closed-task",
        ),
        pytest.param(
            TaskStateConflict("tj-8f3k2m9q1z", "reopen", "open"),
            "task 'tj-8f3k2m9q1z' is open: only a closed task can be reopened; "
            "append the next event with --task tj-8f3k2m9q1z",
            id="reopen-of-an-open-task",
        ),
        pytest.param(
            UnknownEvent("refs.events", "01KMZ3T4J8Q7W2E5R6T7Y8V9H0"),
            "--ref-event names the event '01KMZ3T4J8Q7W2E5R6T7Y8V9H0', which is not in this "
            "journal; `task-journal read --long` shows the events' ids",
            id="an-unknown-event",
        ),
        pytest.param(
            IdempotencyKeyReused("k-1", "tj-8f3k2m9q1z", "close"),
            "--idempotency-key 'k-1' was used before for a close event of task "
            "'tj-8f3k2m9q1z'; give this append a key of its own",
            id="a-key-used-for-another-append",
        ),
        pytest.param(
            InvalidEvent("refs.commits", "must be a list of strings"),
            "--ref-commit must be a list of strings",
            id="a-field-by-its-flag",
        ),
        pytest.param(
            InvalidEvent("meta.reason", "must be a non-empty string"),
            "--meta key 'reason' must be a non-empty string",
            id="a-meta-key",
        ),
        pytest.param(
            InvalidQuery("types", "'musing' is not an event type"),
            "--type 'musing' is not an event type",
            id="a-query-argument",
        ),
        pytest.param(
            InvalidQuery("budget_tokens", "must be a whole number from 100 to 20000, got 3"),
            "--budget must be a whole number from 100 to 20000, got 3",
            id="pack-budget",
        ),
        pytest.param(
            InvalidQuery("mode", "must be 'compact' or 'full', got 'short'"),
            "--mode must be 'compact' or 'full', got 'short'",
            id="pack-mode",
        ),
    ],
)
def test_an_error_is_said_with_the_flags_a_person_types(error: JournalError, said: str) -> None:
    assert error_text(error) == said


def test_a_command_s_own_flags_name_the_field_before_append_s() -> None:
    error = InvalidEvent("meta.outcome_tag", "'bogus' is not one of: done")

    assert error_text(error, {"meta.outcome_tag": "--outcome-tag"}) == (
        "--outcome-tag 'bogus' is not one of: done"
    )


# Each refusal of a command in the Rust tool's form, word for word: its own flags.
REFUSALS = [
    pytest.param(
        ("event", "{task}", "--type", "musing", "--text", "x"),
        "--type 'musing' is not one of: open, hypothesis, finding, evidence, decision, "
        "rejection, constraint, correction, reopen, supersede, close, redirect, rename",
        id="event-type",
    ),
    pytest.param(
        ("event", "{task}", "--type", "finding", "--text", " "),
        "--text must not be empty or only whitespace",
        id="event-text",
    ),
    pytest.param(
        ("event", "{task}", "--type", "open", "--text", "x"),
        "--type open starts a new task: use `task-journal create TITLE`",
        id="event-open",
    ),
    pytest.param(
        ("close", "{task}", "--outcome-tag", "finished"),
        "--outcome-tag 'finished' is not one of: done, abandoned, superseded",
        id="close-outcome-tag",
    ),
    pytest.param(
        ("close", "{task}", "--outcome", ""),
        "--outcome must be a non-empty string",
        id="close-outcome",
    ),
    pytest.param(
        ("reopen", "{task}", "--reason", ""),
        "--reason must be a non-empty string",
        id="reopen-reason",
    ),
    pytest.param(("goal", "{task}", " "), "GOAL must be a non-empty string", id="goal"),
    pytest.param(
        ("external", "{task}", "--add", ""),
        "--add must not be empty; give a reference like github:#42",
        id="external",
    ),
    pytest.param(
        ("create", " "), "TITLE or --context must not be empty or only whitespace", id="create"
    ),
    pytest.param(
        ("pack", "{task}", "--budget", "99999"),
        "--budget must be a whole number from 100 to 20000, got 99999",
        id="pack-budget",
    ),
    pytest.param(
        ("resume", "--budget", "1"),
        "--budget must be a whole number from 100 to 20000, got 1",
        id="resume-budget",
    ),
    pytest.param(
        ("events", "list", "--limit", "0"),
        "argument --limit: 0 is too few; give 1 or more events "
        "(see 'task-journal events list --help')",
        id="events-list-limit",
    ),
    pytest.param(
        ("events", "list", "--limit", "all"),
        "argument --limit: 'all' is not a whole number of events "
        "(see 'task-journal events list --help')",
        id="events-list-limit-word",
    ),
]


@pytest.mark.parametrize(("args", "said"), REFUSALS)
def test_a_refusal_names_the_command_s_own_flags(
    task_id: str, call_main: CallMain, args: tuple[str, ...], said: str
) -> None:
    outcome = call_main(*(arg.format(task=task_id) for arg in args))

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == f"task-journal: error: {said}\n"
    for tool_word in ("list_tasks", "task_id", "type='open'", "meta key"):
        assert tool_word not in outcome.stderr
