"""The index file beside the journal: trusted only while it matches the file, rebuilt otherwise."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from journal_core.index import catch_up, store
from journal_core.index.results import TaskSummary
from journal_core.index.store import JournalStore
from journal_core.reader import decode_indexed
from tests.core.journal_lines import event, line, write

T = "tj-aaaaaaaaaa"


def index_of(journal_path: Path) -> Path:
    return Path(f"{journal_path}.index.sqlite")


def tasks(journal_path: Path) -> list[TaskSummary]:
    """The tasks as a new store (a fresh process would make one) finds them."""
    fresh = JournalStore(journal_path)
    try:
        return fresh.list_tasks(status="any").tasks
    finally:
        fresh.close()


def count_decoded(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Record every line the index decodes from now on."""
    seen: list[bytes] = []

    real = catch_up.event_of

    def decode(raw: bytes, longest: int, careful: bool, checked: bool, how: Any) -> object:
        seen.append(raw)
        return real(raw, longest, careful, checked, how)

    monkeypatch.setattr(catch_up, "event_of", decode)
    return seen


def test_the_index_is_a_private_file_beside_the_journal(journal_path: Path) -> None:
    write(journal_path, event(type="open"))
    assert [t.task_id for t in tasks(journal_path)] == [T]
    mode = stat.S_IMODE(index_of(journal_path).stat().st_mode)
    assert mode == 0o600


def test_a_new_store_reads_only_the_lines_appended_since_the_index_was_written(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(journal_path, event(type="open"), *(event(text=f"old {n}") for n in range(50)))
    assert tasks(journal_path)[0].event_count == 51
    write(journal_path, event(text="new 1"), event(text="new 2"))
    decoded = count_decoded(monkeypatch)
    assert tasks(journal_path)[0].event_count == 53
    assert len(decoded) == 2


def test_a_deleted_index_is_built_again(journal_path: Path) -> None:
    write(journal_path, event(type="open"), event())
    kept = JournalStore(journal_path)
    assert kept.list_tasks().tasks[0].event_count == 2
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index_of(journal_path)}{suffix}").unlink(missing_ok=True)
    write(journal_path, event())
    assert kept.list_tasks().tasks[0].event_count == 3
    assert index_of(journal_path).exists()
    kept.close()


def test_a_corrupt_index_is_deleted_and_built_again(
    journal_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(journal_path, event(type="open"), event())
    assert tasks(journal_path)[0].event_count == 2
    index_of(journal_path).write_bytes(b"this is not a database" * 500)
    Path(f"{index_of(journal_path)}-wal").unlink(missing_ok=True)
    Path(f"{index_of(journal_path)}-shm").unlink(missing_ok=True)
    with caplog.at_level(logging.WARNING):
        assert tasks(journal_path)[0].event_count == 2
    assert "corrupt" in caplog.text
    with contextlib.closing(sqlite3.connect(index_of(journal_path))) as conn:
        assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)


def test_an_index_with_wrong_counts_in_its_pages_is_not_believed(journal_path: Path) -> None:
    write(journal_path, event(type="open"), *(event(text=f"n{n}") for n in range(2000)))
    assert tasks(journal_path)[0].event_count == 2001
    index = index_of(journal_path)
    data = bytearray(index.read_bytes())
    # Scribble over every page but the first (the header): SQLite reports it corrupt.
    for at in range(4096, len(data), 4096):
        data[at : at + 64] = b"\xff" * 64
    index.write_bytes(bytes(data))
    assert tasks(journal_path)[0].event_count == 2001


def test_a_replaced_journal_is_indexed_again_by_a_new_store(journal_path: Path) -> None:
    write(journal_path, event(type="open", text="old task"))
    assert [t.title for t in tasks(journal_path)] == ["old task"]
    replacement = journal_path.with_name("new.jsonl")
    write(replacement, event(task_id="tj-new", type="open", text="new task"))
    os.replace(replacement, journal_path)
    assert [(t.task_id, t.title) for t in tasks(journal_path)] == [("tj-new", "new task")]


def test_a_journal_truncated_and_regrown_is_indexed_again_by_a_new_store(
    journal_path: Path,
) -> None:
    write(journal_path, event(type="open", text="first"), event(type="close"))
    assert tasks(journal_path)[0].status == "closed"
    with journal_path.open("r+b") as file:
        file.truncate(0)
    write(journal_path, *(event(type="open", text="again", task_id=f"tj-{n}") for n in range(3)))
    assert sorted(t.task_id for t in tasks(journal_path)) == ["tj-0", "tj-1", "tj-2"]


def test_an_index_copied_beside_another_journal_is_not_believed(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "events.jsonl", tmp_path / "b" / "events.jsonl"
    write(first, event(type="open", text="in a"))
    write(second, event(type="open", text="in b", task_id="tj-b"))
    assert [t.title for t in tasks(first)] == ["in a"]
    shutil.copy(index_of(first), index_of(second))
    assert [t.title for t in tasks(second)] == ["in b"]


def test_an_index_of_an_older_schema_is_built_again(journal_path: Path) -> None:
    write(journal_path, event(type="open"), event())
    assert tasks(journal_path)[0].event_count == 2
    with contextlib.closing(sqlite3.connect(index_of(journal_path))) as conn, conn:
        conn.execute("UPDATE state SET schema = schema - 1, events = 99")
        conn.execute("DELETE FROM tasks")
    assert tasks(journal_path)[0].event_count == 2


def test_an_index_whose_end_is_past_the_journals_end_is_built_again(journal_path: Path) -> None:
    write(journal_path, event(type="open"), event(), event(type="close"))
    assert tasks(journal_path)[0].status == "closed"
    with journal_path.open("r+b") as file:
        file.truncate(len(line(type="open")))
    assert [(t.status, t.event_count) for t in tasks(journal_path)] == [("open", 1)]


def test_rebuild_drops_the_index_and_builds_it_again(journal_path: Path) -> None:
    write(journal_path, event(type="open"), event())
    kept = JournalStore(journal_path)
    assert kept.list_tasks().tasks[0].event_count == 2
    with contextlib.closing(sqlite3.connect(index_of(journal_path))) as conn, conn:
        conn.execute("UPDATE tasks SET event_count = 7")  # wrong, and undetectable
    kept.rebuild()
    assert kept.list_tasks().tasks[0].event_count == 2
    kept.close()


def test_a_deeply_nested_line_is_left_out_and_the_rest_indexed(journal_path: Path) -> None:
    write(journal_path, event(type="open"), b"[" * 1000 + b"\n", event(text="after"))
    kept = JournalStore(journal_path)
    assert kept.list_tasks().tasks[0].event_count == 2
    assert [e["text"] for e in kept.read_events(task_id=T).events] == ["after", "a finding"]
    kept.close()


def test_status_reports_what_the_index_holds(journal_path: Path) -> None:
    write(journal_path, event(type="open"), event())
    kept = JournalStore(journal_path)
    status = kept.status()
    assert (status.ok, status.problem, status.events_indexed) == (True, None, 2)
    assert status.bytes_indexed == status.journal_bytes == journal_path.stat().st_size
    assert status.path == str(index_of(journal_path))
    kept.close()


def test_an_index_that_cannot_be_created_degrades_to_memory_with_one_warning(
    journal_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(journal_path, event(type="open"), event())
    index_of(journal_path).mkdir()  # a folder where the file should be
    kept = JournalStore(journal_path)
    with caplog.at_level(logging.WARNING):
        assert kept.list_tasks().tasks[0].event_count == 2
        write(journal_path, event())
        assert kept.list_tasks().tasks[0].event_count == 3
        assert kept.has_open(T)
    (warning,) = caplog.records
    assert "cannot be used" in warning.getMessage()
    status = kept.status()
    assert not status.ok
    assert status.problem is not None
    kept.close()


def test_paging_and_time_filters_agree_after_many_catch_up_steps(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "_STEP_BYTES", 1000)  # a transaction every few lines
    hours = [5, 6, 7, 1, 8, 2, 9, 9, 3, 10] * 8
    write(
        journal_path,
        event(type="open"),
        *(event(text=f"h{h}", timestamp=f"2026-11-25T{h:02d}:00:00.000Z") for h in hours),
    )
    kept = JournalStore(journal_path)
    page = kept.read_events(
        task_id=T,
        since="2026-11-25T02:00:00Z",
        until="2026-11-25T08:00:00Z",
        order="oldest",
        limit=500,
    )
    assert [e["text"] for e in page.events] == [f"h{h}" for h in sorted(hours) if 2 <= h < 8]
    kept.close()


def test_subtasks_are_the_tasks_opened_with_this_parent_in_opening_order(
    journal_path: Path,
) -> None:
    write(
        journal_path,
        event(type="open", text="parent"),
        event(task_id="tj-b", type="open", text="second child", meta={"parent_id": T}),
        event(task_id="tj-a", type="open", text="first? no, later", meta={"parent_id": T}),
        event(task_id="tj-c", type="open", text="elsewhere", meta={"parent_id": "tj-x"}),
        event(task_id="tj-b", type="close", text="done"),
    )
    kept = JournalStore(journal_path)
    children = kept.subtasks(T)
    assert [(t.task_id, t.status) for t in children] == [("tj-b", "closed"), ("tj-a", "open")]
    assert kept.subtasks("tj-none") == []
    kept.close()


def test_task_ids_with_a_prefix_are_sorted(journal_path: Path) -> None:
    write(
        journal_path,
        *(event(task_id=task, type="open") for task in ("tj-b2", "tj-a1", "tj-b1", "xx")),
    )
    kept = JournalStore(journal_path)
    assert kept.task_ids_with_prefix("tj-b") == ["tj-b1", "tj-b2"]
    assert kept.task_ids_with_prefix("tj-%") == []  # not a pattern
    assert kept.task_ids_with_prefix("") == ["tj-a1", "tj-b1", "tj-b2", "xx"]
    kept.close()


def test_tasks_are_counted_by_status(journal_path: Path) -> None:
    write(
        journal_path,
        event(type="open"),
        event(task_id="tj-b", type="open"),
        event(task_id="tj-b", type="close"),
    )
    kept = JournalStore(journal_path)
    assert [kept.count_tasks(status) for status in ("open", "closed", "any")] == [1, 1, 2]
    kept.close()


def test_task_events_and_has_event_answer_from_the_index(journal_path: Path) -> None:
    opened, other, found = write(
        journal_path, event(type="open"), event(task_id="tj-b", type="open"), event()
    )
    kept = JournalStore(journal_path)
    assert kept.task_events(T, decode_indexed) == [opened, found]
    assert kept.task_events("tj-none", decode_indexed) == []
    assert kept.has_event(other["event_id"])
    assert not kept.has_event("01KMZ3T4J8Q7W2E5R6T7Y8V9H0")
    kept.close()
