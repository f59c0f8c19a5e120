"""The durable write: torn-line repair, modes, permissions, idempotency, failed writes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from journal_core import Journal, JournalUnavailable, Settings, event_to_dict, new_event
from journal_core.writer import JournalWriter, Verdict
from tests.core import appender


def test_torn_last_line_is_ended_and_the_new_event_written_whole(
    journal: Journal, task_id: str
) -> None:
    torn = b'{"event_id":"01KMZ3T4J8Q7W2E5R6T7Y8V9H0","schema_version":"1.'
    with journal.path.open("ab") as file:
        file.write(torn)
    before = journal.path.read_bytes()
    event = new_event(type="finding", text="after the crash", task_id=task_id)
    journal.append(event)
    after = journal.path.read_bytes()
    assert after.startswith(before + b"\n")
    assert json.loads(after[len(before) + 1 :]) == event_to_dict(event)
    assert after.endswith(b"\n")
    assert journal.read_events(task_id=task_id).events[0] == event_to_dict(event)
    assert [bad.line for bad in journal.verify().bad_lines] == [2]


def test_whole_last_line_is_not_touched_before_an_append(journal: Journal, task_id: str) -> None:
    before = journal.path.read_bytes()
    event = new_event(type="finding", text="next", task_id=task_id)
    journal.append(event)
    after = journal.path.read_bytes()
    assert after.startswith(before)
    assert after.endswith(b"\n")
    assert json.loads(after[len(before) :]) == event_to_dict(event)


def test_new_file_is_0600_and_new_folder_0700_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "journal" / "events.jsonl"
    previous = os.umask(0)
    try:
        journal = Journal(Settings(journal_path=path))
        journal.open()
        journal.close()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_open_is_idempotent_and_keeps_the_content(journal: Journal, task_id: str) -> None:
    before = journal.path.read_bytes()
    journal.open()
    again = Journal(journal.settings)
    again.open()
    again.close()
    assert journal.path.read_bytes() == before


def test_open_of_a_folder_raises_journal_unavailable(tmp_path: Path) -> None:
    journal = Journal(Settings(journal_path=tmp_path))
    with pytest.raises(JournalUnavailable) as refused:
        journal.open()
    assert str(tmp_path) in str(refused.value)


def test_open_under_a_file_raises_journal_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(JournalUnavailable):
        Journal(Settings(journal_path=blocker / "events.jsonl")).open()


def test_flush_mode_answers_not_durable_and_flush_makes_it_durable(
    journal: Journal, task_id: str
) -> None:
    result = journal.append(new_event(type="finding", text="fast", task_id=task_id))
    assert result.durable is False
    flushed = journal.flush()
    assert flushed.durable is True
    assert flushed.size_bytes == journal.path.stat().st_size
    assert Path(flushed.path) == journal.path


def test_always_mode_answers_durable(journal_path: Path) -> None:
    journal = Journal(Settings(journal_path=journal_path, durability="always"))
    journal.open()
    try:
        result = journal.append(new_event(type="open", text="safe"))
    finally:
        journal.close()
    assert result.durable is True
    assert result.duplicate is False


def test_append_answers_the_events_ids(journal: Journal) -> None:
    event = new_event(type="open", text="ids")
    result = journal.append(event)
    assert (result.event_id, result.task_id, result.type, result.timestamp) == (
        event.event_id,
        event.task_id,
        "open",
        event.timestamp,
    )


def test_repeated_idempotency_key_answers_the_first_event_and_writes_nothing(
    journal: Journal, task_id: str
) -> None:
    first = journal.append(
        new_event(type="finding", text="once", task_id=task_id, idempotency_key="k-1")
    )
    before = journal.path.read_bytes()
    again = journal.append(
        new_event(type="finding", text="twice", task_id=task_id, idempotency_key="k-1")
    )
    assert (again.event_id, again.duplicate) == (first.event_id, True)
    assert journal.path.read_bytes() == before


def test_idempotency_key_is_remembered_across_journal_instances(
    journal: Journal, task_id: str
) -> None:
    first = journal.append(
        new_event(type="finding", text="once", task_id=task_id, idempotency_key="k-2")
    )
    restarted = Journal(journal.settings)
    restarted.open()
    try:
        again = restarted.append(
            new_event(type="finding", text="again", task_id=task_id, idempotency_key="k-2")
        )
    finally:
        restarted.close()
    assert (again.event_id, again.duplicate) == (first.event_id, True)


@pytest.mark.parametrize(
    "headroom",
    [
        pytest.param(0, id="write-refused-outright"),
        pytest.param(100, id="write-comes-up-short"),
    ],
)
def test_write_failing_part_way_leaves_the_file_byte_identical(
    journal: Journal, task_id: str, headroom: int
) -> None:
    before = journal.path.read_bytes()
    child = appender.start("fsize", journal.path, "--task", task_id, "--headroom", str(headroom))
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 0
    outcome = json.loads(out)
    assert outcome["error"] == "JournalWriteFailed"
    assert str(journal.path) in outcome["message"]
    assert journal.path.read_bytes() == before
    # The journal is still usable once the limit is gone.
    journal.append(new_event(type="finding", text="after", task_id=task_id))
    assert journal.verify().bad_lines == []


def test_a_failing_admission_check_answers_every_caller_and_writes_nothing(
    journal_path: Path,
) -> None:
    # The committer thread must answer whatever goes wrong; a caller left waiting hangs.
    failures = iter([RuntimeError("a bug in the check")])

    def admit(events: object) -> list[Verdict]:
        error = next(failures, None)
        if error is not None:
            raise error
        return [None]

    writer = JournalWriter(journal_path, durability="flush", admit=admit)
    writer.open()
    event = new_event(type="open", text="first try", title="T")
    with pytest.raises(RuntimeError, match="a bug in the check"):
        writer.append(event)
    assert journal_path.read_bytes() == b""
    assert writer.append(event).durable is False  # the committer is still serving
    writer.close()
    assert json.loads(journal_path.read_bytes())["event_id"] == event.event_id
