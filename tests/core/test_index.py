"""The index: task state, idempotency keys, and keeping current with the file."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from journal_core import Journal, Settings, new_event
from journal_core.index.results import TaskSummary
from journal_core.index.store import JournalStore
from tests.core.journal_lines import event, finish, line, start_appender, write

T = "tj-aaaaaaaaaa"


def summary(index: JournalStore, task_id: str = T) -> TaskSummary:
    return next(t for t in index.list_tasks(status="any").tasks if t.task_id == task_id)


def test_a_task_takes_its_title_from_the_open_events_meta_title(journal_path: Path) -> None:
    write(journal_path, event(type="open", text="the text", meta={"title": "The title"}))
    assert summary(JournalStore(journal_path)).title == "The title"


def test_a_task_without_a_meta_title_takes_its_open_events_text(journal_path: Path) -> None:
    write(journal_path, event(type="open", text="Fix the parser"))
    assert summary(JournalStore(journal_path)).title == "Fix the parser"


def test_a_rename_event_gives_the_task_a_new_title(journal_path: Path) -> None:
    write(
        journal_path,
        event(type="open", text="old"),
        event(type="rename", text="renamed", meta={"title": "New title"}),
    )
    assert summary(JournalStore(journal_path)).title == "New title"


def test_a_long_title_is_cut_to_200_characters(journal_path: Path) -> None:
    write(journal_path, event(type="open", text="x" * 5000))
    title = summary(JournalStore(journal_path)).title
    assert len(title) == 200
    assert title.endswith("…")


@pytest.mark.parametrize(
    ("types", "status"),
    [
        pytest.param(["open"], "open", id="opened"),
        pytest.param(["open", "finding", "close"], "closed", id="closed"),
        pytest.param(["open", "close", "reopen"], "open", id="reopened"),
        pytest.param(["open", "close", "reopen", "finding", "close"], "closed", id="closed-again"),
    ],
)
def test_status_follows_the_last_close_or_reopen(
    journal_path: Path, types: list[str], status: str
) -> None:
    write(journal_path, *(event(type=kind) for kind in types))
    assert summary(JournalStore(journal_path)).status == status


def test_a_summary_counts_events_and_gives_first_and_last_times(journal_path: Path) -> None:
    write(
        journal_path,
        event(type="open", timestamp="2026-01-01T00:00:00.000Z"),
        event(task_id="tj-other", type="open", timestamp="2026-01-01T12:00:00.000Z"),
        event(timestamp="2026-01-02T00:00:00.000Z"),
        event(timestamp="2026-01-03T00:00:00.000Z"),
    )
    assert summary(JournalStore(journal_path)) == TaskSummary(
        task_id=T,
        title="a finding",
        status="open",
        created_at="2026-01-01T00:00:00.000Z",
        last_event_at="2026-01-03T00:00:00.000Z",
        event_count=3,
    )


def test_has_open_is_true_only_for_a_task_with_an_open_event(journal_path: Path) -> None:
    write(journal_path, event(type="open"), event(task_id="tj-orphan", type="finding"))
    index = JournalStore(journal_path)
    index.refresh()
    assert index.has_open(T)
    assert not index.has_open("tj-orphan")
    assert not index.has_open("tj-unknown")


def test_find_key_gives_the_first_event_with_that_key(journal_path: Path) -> None:
    first, _ = write(
        journal_path,
        event(type="open", meta={"idempotency_key": "k1"}),
        event(meta={"idempotency_key": "k1"}),
    )
    index = JournalStore(journal_path)
    index.refresh()
    assert index.find_key("k1") == first
    assert index.find_key("k2") is None


def test_has_open_and_find_key_index_the_file_on_first_use(journal_path: Path) -> None:
    (opened,) = write(journal_path, event(type="open", meta={"idempotency_key": "k"}))
    assert JournalStore(journal_path).has_open(T)
    assert JournalStore(journal_path).find_key("k") == opened


def test_find_key_notices_a_replaced_file(journal_path: Path) -> None:
    write(journal_path, event(type="open", meta={"idempotency_key": "old"}))
    index = JournalStore(journal_path)
    index.build()
    replacement = journal_path.with_name("new.jsonl")
    (new,) = write(replacement, event(type="open", meta={"idempotency_key": "new"}))
    os.replace(replacement, journal_path)
    assert index.find_key("old") is None
    assert index.find_key("new") == new


def test_lines_that_are_not_events_are_left_out_of_the_index(journal_path: Path) -> None:
    write(
        journal_path,
        event(type="open"),
        b"garbage\n",
        b"\n",
        b'{"task_id": "tj-aaaaaaaaaa"}\n',
        b'{"event_id": "\xff", "task_id": "tj-aaaaaaaaaa", "type": "close", "timestamp": "x"}\n',
        event(),
    )
    found = summary(JournalStore(journal_path))
    assert (found.event_count, found.status) == (2, "open")


@pytest.mark.parametrize(
    "odd",
    [
        pytest.param({"meta": "not an object"}, id="meta-not-object"),
        pytest.param({"timestamp": "yesterday"}, id="timestamp-not-rfc3339"),
        pytest.param({"timestamp": "2026-11-25T17:03:09"}, id="timestamp-without-zone"),
        pytest.param({"type": "milestone"}, id="unknown-type"),
        pytest.param({"meta": {"title": 42, "idempotency_key": ["x"]}}, id="odd-meta-values"),
    ],
)
def test_an_event_with_odd_fields_is_still_indexed(journal_path: Path, odd: dict[str, Any]) -> None:
    _, odd_event = write(journal_path, event(type="open"), event(**odd))
    index = JournalStore(journal_path)
    assert summary(index).event_count == 2
    assert odd_event in index.read_events(task_id=T).events


def test_an_unterminated_last_line_is_indexed_once_it_is_ended(journal_path: Path) -> None:
    torn = line(text="in progress")
    write(journal_path, event(type="open"), torn[:-5])
    index = JournalStore(journal_path)
    assert summary(index).event_count == 1
    write(journal_path, torn[-5:])
    assert summary(index).event_count == 2


def test_the_index_catches_up_with_appends_from_another_process(journal_path: Path) -> None:
    write(journal_path, event(type="open"))
    index = JournalStore(journal_path)
    index.refresh()
    ids = finish(start_appender(journal_path, T, 20))
    index.refresh()
    page = index.read_events(task_id=T, order="oldest", limit=500)
    assert [e["event_id"] for e in page.events][1:] == ids
    assert summary(index).event_count == 21


def test_the_index_stays_right_while_another_process_appends(journal_path: Path) -> None:
    write(journal_path, event(type="open"))
    index = JournalStore(journal_path)
    child = start_appender(journal_path, T, 300)
    seen: list[str] = []
    try:
        while child.poll() is None:
            index.refresh()
            page = index.read_events(task_id=T, order="oldest", limit=500)
            now = [e["event_id"] for e in page.events]
            # Each look sees what it saw before plus new events, each once.
            assert now[: len(seen)] == seen
            assert len(set(now)) == len(now)
            seen = now
    finally:
        if child.poll() is None:
            child.kill()
    ids = finish(child)
    index.refresh()
    page = index.read_events(task_id=T, order="oldest", limit=500)
    assert [e["event_id"] for e in page.events][1:] == ids
    assert summary(index).event_count == 301


def test_a_replaced_file_is_indexed_again(journal_path: Path) -> None:
    write(journal_path, event(type="open", text="old task"))
    index = JournalStore(journal_path)
    assert summary(index).title == "old task"
    replacement = journal_path.with_name("new.jsonl")
    write(replacement, event(task_id="tj-new", type="open", text="new task"))
    os.replace(replacement, journal_path)
    tasks = index.list_tasks(status="any").tasks
    assert [(t.task_id, t.title) for t in tasks] == [("tj-new", "new task")]


def test_a_truncated_file_is_indexed_again(journal_path: Path) -> None:
    write(journal_path, event(type="open"), event(), event(type="close"))
    index = JournalStore(journal_path)
    assert summary(index).status == "closed"
    with journal_path.open("r+b") as file:
        file.truncate(len(line(type="open")))
    assert (summary(index).status, summary(index).event_count) == ("open", 1)


def test_a_file_truncated_and_regrown_past_its_old_size_is_indexed_again(
    journal_path: Path,
) -> None:
    write(journal_path, event(type="open", text="first"), event(type="close"))
    index = JournalStore(journal_path)
    assert summary(index).status == "closed"
    with journal_path.open("r+b") as file:
        file.truncate(0)
    write(journal_path, *(event(type="open", text="second", task_id=f"tj-{n}") for n in range(3)))
    tasks = index.list_tasks(status="any").tasks
    assert sorted(t.task_id for t in tasks) == ["tj-0", "tj-1", "tj-2"]


def test_a_deleted_file_leaves_an_empty_index(journal_path: Path) -> None:
    write(journal_path, event(type="open"))
    index = JournalStore(journal_path)
    index.refresh()
    journal_path.unlink()
    index.refresh()
    assert not index.has_open(T)
    assert index.list_tasks(status="any").tasks == []


def test_threads_can_query_and_refresh_one_index_while_another_process_appends(
    journal_path: Path,
) -> None:
    write(journal_path, event(type="open"))
    index = JournalStore(journal_path)
    child = start_appender(journal_path, T, 100)
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            while child.poll() is None:
                index.refresh()
                page = index.read_events(task_id=T, order="oldest", limit=500)
                ids = [e["event_id"] for e in page.events]
                assert len(set(ids)) == len(ids)
                index.list_tasks()
        except BaseException as exc:  # handed to the test thread below
            failures.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    ids = finish(child)
    for thread in threads:
        thread.join()
    assert failures == []
    page = index.read_events(task_id=T, order="oldest", limit=500)
    assert [e["event_id"] for e in page.events][1:] == ids


def test_the_index_taken_from_our_own_writes_equals_one_read_from_the_file(
    journal_path: Path,
) -> None:
    # Our appends reach the index from the bytes written (no read back); another
    # writer's lines and a torn line in between are read from the file.
    journal = Journal(Settings(journal_path=journal_path, durability="flush"))
    journal.open()
    task_id = journal.append(new_event(type="open", text="mirrored", title="Mirrored")).task_id
    for n in range(20):
        journal.append(new_event(type="finding", text=f"ours {n}", task_id=task_id))
        if n == 7:
            write(journal_path, event(type="open", text="theirs"))
        if n == 13:
            with journal_path.open("ab") as file:
                file.write(b'{"event_id":"torn')
    journal.append(new_event(type="close", text="done", task_id=task_id))
    ours = (journal.list_tasks(status="any"), journal.read_events(task_id=task_id, limit=500))
    journal.close()
    fresh = Journal(Settings(journal_path=journal_path))
    assert (fresh.list_tasks(status="any"), fresh.read_events(task_id=task_id, limit=500)) == ours
    assert len(ours[1].events) == 22
