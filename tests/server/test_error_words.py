"""A tool words the journal's errors by their type: the core's sentence, then what to send."""

from __future__ import annotations

import pytest

from journal_core import (
    InvalidQuery,
    JournalError,
    TaskAlreadyOpen,
    TaskNotFound,
    TaskStateConflict,
    UnknownEvent,
)
from server.tools.errors import error_text


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        pytest.param(TaskNotFound("tj-gone000000"), "list_tasks shows", id="no-such-task"),
        pytest.param(TaskAlreadyOpen("tj-a"), "use type='reopen'", id="already-open"),
        pytest.param(TaskStateConflict("tj-a", "close", "closed"), "no second close", id="close"),
        pytest.param(TaskStateConflict("tj-a", "reopen", "open"), "directly", id="reopen"),
        pytest.param(UnknownEvent("corrects", "01KA"), "read_events shows", id="unknown-event"),
    ],
)
def test_a_tool_error_starts_with_the_cores_sentence_and_says_what_to_send(
    error: JournalError, advice: str
) -> None:
    text = error_text(error)
    assert text.startswith(str(error))
    assert advice in text


def test_an_error_the_tools_have_no_words_for_is_said_as_the_core_says_it() -> None:
    error = InvalidQuery("limit", "is 0, under its minimum of 1")
    assert error_text(error) == str(error)


def test_the_words_follow_the_type_not_the_text() -> None:
    class Reworded(TaskNotFound):
        def __str__(self) -> str:
            return "gone"

    assert error_text(Reworded("tj-a")) == (
        "gone; list_tasks shows the tasks there are, and append_event with type='open' and no "
        "task_id starts a new one"
    )
