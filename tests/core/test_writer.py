"""The durable write: torn-line repair, modes, permissions, idempotency, failed writes."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from journal_core import (
    Event,
    InvalidEvent,
    Journal,
    JournalUnavailable,
    JournalWriteFailed,
    Refs,
    Settings,
    event_to_dict,
    new_event,
)
from journal_core.writer import JournalWriter, Tip, Verdict, Written
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

    def admit(events: object, tip: Tip, fd: int) -> list[Verdict]:
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


def test_retry_in_always_mode_of_a_key_written_in_flush_mode_syncs_before_saying_durable(
    journal: Journal, task_id: str
) -> None:
    keyed = new_event(type="finding", text="fast", task_id=task_id, idempotency_key="k-3")
    assert journal.append(keyed).durable is False
    always = Journal(Settings(journal_path=journal.path, durability="always"))
    always.open()
    try:
        retry = new_event(type="finding", text="fast", task_id=task_id, idempotency_key="k-3")
        again = always.append(retry)
        fsyncs = always.stats().fsyncs
    finally:
        always.close()
    assert (again.event_id, again.duplicate, again.durable) == (keyed.event_id, True, True)
    assert fsyncs == 1


def test_an_event_that_cannot_be_encoded_fails_alone_not_the_batch_it_would_join(
    journal_path: Path,
) -> None:
    # The first append holds the writer in its admission check until the two others
    # are waiting; before the fix the bad event was encoded in the shared batch.
    gate = threading.Event()
    entered = threading.Event()

    def admit(events: Sequence[Event], tip: Tip, fd: int) -> list[Verdict]:
        if not entered.is_set():
            entered.set()
            gate.wait(timeout=30)
        return [None] * len(events)

    writer = JournalWriter(journal_path, durability="flush", admit=admit)
    writer.open()
    outcomes: dict[str, object] = {}

    def append(name: str, event: Event) -> None:
        try:
            outcomes[name] = writer.append(event)
        except Exception as error:
            outcomes[name] = error

    first = new_event(type="open", text="first", task_id="t-1")
    good = new_event(type="open", text="good", task_id="t-2")
    bad = Event(
        event_id=new_event(type="open", text="x").event_id,
        task_id="t-3",
        type="open",
        timestamp=good.timestamp,
        text="bad",
        refs=Refs(files=("lone \ud800 surrogate",)),
    )
    threads = [threading.Thread(target=append, args=("first", first))]
    threads[0].start()
    assert entered.wait(timeout=30)
    threads.append(threading.Thread(target=append, args=("good", good)))
    threads[1].start()
    while len(writer._queue) < 1:  # "good" waits for the writer
        time.sleep(0.001)
    threads.append(threading.Thread(target=append, args=("bad", bad)))
    threads[2].start()
    while len(writer._queue) < 2 and "bad" not in outcomes:
        time.sleep(0.001)
    gate.set()
    for thread in threads:
        thread.join(timeout=30)
    writer.close()
    assert isinstance(outcomes["first"], Written)
    assert isinstance(outcomes["good"], Written)
    assert isinstance(outcomes["bad"], InvalidEvent)
    written = [json.loads(line)["task_id"] for line in journal_path.read_bytes().splitlines()]
    assert written == ["t-1", "t-2"]


@pytest.fixture
def write_refusal(
    request: pytest.FixtureRequest, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """A journal that refuses every write and truncation, nothing written: ``chattr +i``
    where this process may set it, and everywhere an injected EPERM."""
    if request.param == "chattr":
        done = subprocess.run(
            ["chattr", "+i", str(journal.path)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            pytest.skip(f"cannot chattr +i here ({done.stderr.strip()}); the injected case ran")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(journal.path)], check=True)
        return
    journal_inode = journal.path.stat().st_ino
    real_write, real_ftruncate = os.write, os.ftruncate

    def refuse(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(fd: int, *args: Any) -> Any:
            if os.fstat(fd).st_ino == journal_inode:
                raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))
            return real(fd, *args)

        return call

    monkeypatch.setattr(os, "write", refuse(real_write))
    monkeypatch.setattr(os, "ftruncate", refuse(real_ftruncate))
    yield
    monkeypatch.undo()


@pytest.mark.parametrize("write_refusal", ["chattr", "injected-eperm"], indirect=True)
def test_a_write_refused_outright_says_nothing_was_written_not_a_failed_cut_back(
    journal: Journal, task_id: str, write_refusal: None
) -> None:
    before = journal.path.read_bytes()
    with pytest.raises(JournalWriteFailed) as refused:
        journal.append(new_event(type="finding", text="refused", task_id=task_id))
    assert journal.path.read_bytes() == before
    assert "Operation not permitted" in str(refused.value)
    assert "nothing was written" in str(refused.value)
    assert "cut" not in str(refused.value)


def test_an_append_without_open_creates_the_folders_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "journal.jsonl"
    writer = JournalWriter(path)
    try:
        writer.append(new_event(type="open", text="first"))
    finally:
        writer.close()

    assert len(path.read_bytes().splitlines()) == 1
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
