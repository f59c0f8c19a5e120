"""Many writers at once, threads and processes: every append lands exactly once, whole."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from journal_core import Journal, Settings, new_event
from tests.core import appender, filelock_writer

PROCESSES = 8
APPENDS_PER_PROCESS = 500
THREADS_PER_PROCESS = 4
RACERS = 4
RACED_TASKS = 40
MIXED_APPENDS = 300


@pytest.mark.slow
def test_processes_of_threads_each_append_exactly_once(journal_path: Path) -> None:
    # The children race to create the journal too.
    children = [
        appender.start(
            "burst",
            journal_path,
            "--count",
            str(APPENDS_PER_PROCESS),
            "--threads",
            str(THREADS_PER_PROCESS),
        )
        for _ in range(PROCESSES)
    ]
    acknowledged: list[str] = []
    for child in children:
        assert child.stdout is not None
        acknowledged.append(child.stdout.readline().strip())  # its task's open
        assert child.stdout.readline() == "ready\n"
    for child in children:  # all start appending at once
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0
        acknowledged.extend(out.split())

    data = journal_path.read_bytes()
    assert data.endswith(b"\n")
    lines = data.splitlines()
    assert len(lines) == PROCESSES * APPENDS_PER_PROCESS
    ids = [json.loads(line)["event_id"] for line in lines]
    assert len(set(ids)) == len(ids)
    assert sorted(ids) == sorted(acknowledged)


def test_processes_racing_on_opens_and_keys_write_each_once(journal_path: Path) -> None:
    racers = [
        appender.start("race", journal_path, "--count", str(RACED_TASKS)) for _ in range(RACERS)
    ]
    for racer in racers:
        assert racer.stdout is not None
        assert racer.stdout.readline() == "ready\n"
    for racer in racers:
        assert racer.stdin is not None
        racer.stdin.write("go\n")
        racer.stdin.flush()
    outcomes: list[dict[str, str | None]] = []
    for racer in racers:
        out, _ = racer.communicate(timeout=120)
        assert racer.returncode == 0
        outcomes.extend(json.loads(line) for line in out.splitlines())

    events = [json.loads(line) for line in journal_path.read_bytes().splitlines()]
    opens = {e["task_id"]: e["event_id"] for e in events if e["type"] == "open"}
    keyed = {e["meta"]["idempotency_key"]: e["event_id"] for e in events if e["type"] == "finding"}
    assert len(events) == 2 * RACED_TASKS
    assert sorted(opens) == sorted(keyed) == sorted(f"race-{k}" for k in range(RACED_TASKS))
    # Each open succeeded in exactly one racer; the others were told it was already open.
    for task_id, event_id in opens.items():
        answers = [o["opened"] for o in outcomes if o.get("task") == task_id]
        assert sorted(answers, key=str) == sorted([event_id] + [None] * (RACERS - 1), key=str)
    # Every racer was answered with the one event written for its key.
    for key, event_id in keyed.items():
        assert [o["event_id"] for o in outcomes if o.get("key") == key] == [event_id] * RACERS


def test_threads_sharing_one_journal_each_append_exactly_once(journal_path: Path) -> None:
    journal = Journal(Settings(journal_path=journal_path))
    journal.open()
    task_id = journal.append(new_event(type="open", text="shared")).task_id
    acknowledged: list[str] = []

    def worker(index: int) -> None:
        for n in range(50):
            event = new_event(type="finding", text=f"{index}.{n}", task_id=task_id)
            acknowledged.append(journal.append(event).event_id)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = journal.stats()
    journal.close()

    ids = [json.loads(line)["event_id"] for line in journal_path.read_bytes().splitlines()]
    assert sorted(ids[1:]) == sorted(acknowledged)
    assert len(set(ids)) == 1 + 8 * 50
    assert stats.appends == len(ids)
    # In `always` mode batches written are synced, and no batch more than once.
    assert 0 < stats.fsyncs <= stats.batches


def test_a_filelock_only_writer_and_ours_exclude_each_other_on_one_journal(
    journal_path: Path,
) -> None:
    journal = Journal(Settings(journal_path=journal_path))
    journal.open()  # the file must exist for the filelock writer's O_APPEND open
    journal.close()
    ours = [
        appender.start("burst", journal_path, "--count", str(MIXED_APPENDS), "--threads", "2")
        for _ in range(2)
    ]
    theirs = filelock_writer.start(journal_path, MIXED_APPENDS)
    acknowledged: list[str] = []
    for child in ours:
        assert child.stdout is not None
        acknowledged.append(child.stdout.readline().strip())
    for child in [*ours, theirs]:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
    for child in [*ours, theirs]:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in [*ours, theirs]:
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0
        acknowledged.extend(out.split())

    data = journal_path.read_bytes()
    assert data.endswith(b"\n")
    lines = data.splitlines()
    assert len(lines) == 3 * MIXED_APPENDS
    ids = [json.loads(line)["event_id"] for line in lines]  # no torn line: each one parses
    assert sorted(ids) == sorted(acknowledged)
    assert len(set(ids)) == len(ids)
