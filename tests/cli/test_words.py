"""The core's errors in the command line's words, built from the facts they carry."""

import pytest

from journal_core import InvalidEvent, InvalidQuery, JournalError, TaskAlreadyOpen, TaskNotFound
from server.cli.words import error_text


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
    ],
)
def test_an_error_is_said_with_the_flags_a_person_types(error: JournalError, said: str) -> None:
    assert error_text(error) == said
