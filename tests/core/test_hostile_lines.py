"""Lines no decoder can take (nested too deeply, a number too large): each is reported
as a bad line, and every reader and writer of the journal goes on working."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from journal_core import BadLine, Journal, new_event
from tests.core.journal_lines import event, write

TOO_DEEP = "nested too deeply (over 128 levels)"
TOO_LARGE = "holds an integer too long to read"


def extras(events: list[dict[str, Any]]) -> list[Any]:
    return [e["extra"] for e in events if "extra" in e]


def event_line(task_id: str, extra: bytes) -> bytes:
    """A finding of ``task_id`` whose field ``"extra"`` holds ``extra`` as it is."""
    return msgspec.json.encode(event(task_id=task_id))[:-1] + b', "extra": ' + extra + b"}\n"


# (line for the task, reason): the line is the journal's second one.
HOSTILE = [
    pytest.param((lambda task_id: b"[" * 1000 + b"\n", TOO_DEEP), id="deep-list"),
    pytest.param(
        (lambda task_id: b'{"a":' * 1000 + b"1" + b"}" * 1000 + b"\n", TOO_DEEP),
        id="deep-object",
    ),
    pytest.param(
        (lambda task_id: event_line(task_id, b"[" * 1000 + b"]" * 1000), TOO_DEEP),
        id="deep-field-of-an-event",
    ),
    pytest.param((lambda task_id: event_line(task_id, b"9" * 5000), TOO_LARGE), id="huge-int"),
]


@pytest.fixture(params=HOSTILE)
def hostile(request: pytest.FixtureRequest, journal: Journal, task_id: str) -> str:
    """Writes the hostile line after the task's open event; returns its reason."""
    make, reason = request.param
    write(journal.path, make(task_id))
    return str(reason)


def texts(events: list[dict[str, object]]) -> list[object]:
    return [item["text"] for item in events]


def test_an_append_after_it_is_written(journal: Journal, task_id: str, hostile: str) -> None:
    result = journal.append(new_event(type="finding", task_id=task_id, text="after"))
    assert not result.duplicate
    assert texts(journal.read_events(limit=1).events) == ["after"]


def test_unfiltered_reads_skip_it(journal: Journal, task_id: str, hostile: str) -> None:
    journal.append(new_event(type="finding", task_id=task_id, text="after"))
    assert texts(journal.read_events(order="oldest").events) == ["a task", "after"]
    assert texts(journal.read_events().events) == ["after", "a task"]


def test_filtered_reads_skip_it(journal: Journal, task_id: str, hostile: str) -> None:
    journal.append(new_event(type="finding", task_id=task_id, text="after"))
    assert texts(journal.read_events(task_id=task_id).events) == ["after", "a task"]
    assert texts(journal.read_events(types=["finding"]).events) == ["after"]


def test_list_tasks_does_not_count_it(journal: Journal, task_id: str, hostile: str) -> None:
    (task,) = journal.list_tasks().tasks
    assert (task.task_id, task.event_count) == (task_id, 1)
    assert scanned_tasks(journal) == [task]


def scanned_tasks(journal: Journal) -> list[Any]:
    """The tasks as a scan of the journal finds them (a first ``tasks`` on a big one)."""
    with journal.task_scan() as scan:
        return scan.list_tasks().tasks


def test_verify_reports_it_with_its_line_offset_and_reason(
    journal: Journal, task_id: str, hostile: str
) -> None:
    offset = journal.path.read_bytes().index(b"\n") + 1
    report = journal.verify()
    assert (report.lines, report.events) == (2, 1)
    assert report.bad_lines == [BadLine(line=2, offset=offset, reason=hostile)]


def test_a_line_with_a_float_past_the_largest_double_counts_on_every_path(
    journal: Journal, task_id: str
) -> None:
    write(journal.path, event_line(task_id, b"-1e999"))
    (task,) = journal.list_tasks().tasks
    assert task.event_count == 2
    assert scanned_tasks(journal) == [task]
    assert extras(journal.read_events(task_id=task_id).events) == ["-1e999"]
    assert extras(journal.read_events().events) == ["-1e999"]
    assert journal.verify().events == 2


def test_a_line_with_a_long_but_readable_number_counts_on_every_path(
    journal: Journal, task_id: str
) -> None:
    write(journal.path, event_line(task_id, b"9" * 4000))
    (task,) = journal.list_tasks().tasks
    assert task.event_count == 2
    assert scanned_tasks(journal) == [task]
    assert extras(journal.read_events(task_id=task_id).events) == [int("9" * 4000)]
    assert extras(journal.read_events().events) == [int("9" * 4000)]
    assert journal.verify().events == 2
