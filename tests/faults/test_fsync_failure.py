"""An fsync that fails (EIO): the event was written, so the error says durability is
unknown (exit status 4), and nothing written before a failed fsync is called durable
again, by a retry or by another process's shared fsync."""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from journal_core import Journal, JournalDurabilityUnknown, Settings, new_event
from server.cli import main as cli_main
from tests.faults import fsync_child

PROCESS_APPENDS = 150


@pytest.fixture
def failing_fsync(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every fsync of a regular file fails with EIO while the list returned is not empty."""
    real_fsync = os.fsync
    failing = [1]

    def fsync(fd: int) -> None:
        if failing and stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return failing


@pytest.fixture
def always(journal_path: Path) -> Iterator[Journal]:
    journal = Journal(Settings(journal_path=journal_path, durability="always"))
    journal.open()
    yield journal
    journal.close()


def test_failed_fsync_says_written_with_durability_unknown(
    always: Journal, failing_fsync: list[int]
) -> None:
    event = new_event(type="open", text="synced or not")
    with pytest.raises(JournalDurabilityUnknown) as unknown:
        always.append(event)
    assert "written" in str(unknown.value)
    assert "unknown" in str(unknown.value)
    assert "Input/output error" in str(unknown.value)
    lines = always.path.read_bytes().splitlines()
    assert [json.loads(line)["event_id"] for line in lines] == [event.event_id]


def test_retry_of_a_key_whose_fsync_failed_is_not_answered_durable(
    always: Journal, failing_fsync: list[int]
) -> None:
    keyed = new_event(type="open", text="synced or not", idempotency_key="k-eio")
    with pytest.raises(JournalDurabilityUnknown):
        always.append(keyed)
    failing_fsync.clear()  # the disk answers again; what the failure dropped stays lost
    retry = always.append(new_event(type="open", text="again", idempotency_key="k-eio"))
    assert (retry.event_id, retry.duplicate, retry.durable) == (keyed.event_id, True, False)
    later = always.append(new_event(type="open", text="written after the failure"))
    assert later.durable is True


def test_cli_append_whose_fsync_fails_exits_4_and_says_it_was_written(
    journal_path: Path, failing_fsync: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    failing_fsync.clear()
    Journal(Settings(journal_path=journal_path)).open()  # the folder's own fsync succeeds
    failing_fsync.append(1)
    status = cli_main(["--journal", str(journal_path), "append", "open", "Written anyway"])
    err = capsys.readouterr().err
    assert status == 4
    assert "written" in err
    assert "unknown" in err
    assert len(journal_path.read_bytes().splitlines()) == 1


def test_shared_fsyncs_never_answer_durable_before_a_covering_fsync_returned(
    journal_path: Path,
) -> None:
    # Two processes append at once; every fsync of one fails. An event may be answered
    # durable only after an fsync that succeeded (in either process) and that began
    # with the event's bytes already in the file.
    journal = Journal(Settings(journal_path=journal_path))
    journal.open()
    task_id = journal.append(new_event(type="open", text="shared fsyncs")).task_id
    journal.close()
    children = [
        fsync_child.start(journal_path, task_id, PROCESS_APPENDS, fail=fail)
        for fail in (False, True)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    logs: list[list[dict[str, Any]]] = []
    for child in children:
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0
        logs.append([json.loads(line) for line in out.splitlines()])

    ends: dict[str, int] = {}
    offset = 0
    for line in journal_path.read_bytes().splitlines(keepends=True):
        offset += len(line)
        ends[json.loads(line)["event_id"]] = offset
    synced = [entry for log in logs for entry in log if entry.get("ok") is True]
    answers = [entry for log in logs for entry in log if "event" in entry]
    assert len(answers) == 2 * PROCESS_APPENDS
    assert all(answer["event"] in ends for answer in answers)
    for answer in answers:
        if answer.get("durable"):
            end = ends[answer["event"]]
            assert any(s["fsync"] >= end and s["done"] <= answer["at"] for s in synced), answer
    failing_answers = [entry for entry in logs[1] if "event" in entry]
    assert {a.get("error") for a in failing_answers} <= {None, "JournalDurabilityUnknown"}
    assert all(a.get("durable") is not False for a in failing_answers)
