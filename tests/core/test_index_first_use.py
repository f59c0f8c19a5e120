"""The first use of a large journal (SPEC §6): reads by task, type and time answer once the
structural part of the index is built; the full-text part follows, and a search waits for
it or builds it. The state row says how far each part is, so a process killed between the
two leaves the rest to the next."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from journal_core import Journal, Settings
from journal_core.index import store
from journal_core.index.store import JournalStore
from tests.core.journal_lines import REPO_ROOT
from tests.core.test_store_processes import EVENTS, TASKS, announcing, big_journal

STEP = 32 * 1024  # a transaction every few hundred lines: the journal is many steps long


def parts(journal: Path) -> tuple[int, int, int, int]:
    """(end of the structural part, end of the full-text part, events, documents)."""
    with contextlib.closing(sqlite3.connect(f"{journal}.index.sqlite")) as conn, conn:
        row = conn.execute("SELECT end_offset, text_end, events FROM state").fetchone()
        end, text_end, events = row
        (documents,) = conn.execute("SELECT count(*) FROM fts_docsize").fetchone()
    return end, text_end, events, documents


def task_events(journal: Path, task_id: str) -> list[str]:
    """The ids of the task's events, oldest first, as a scan of the file gives them."""
    lines = (json.loads(raw) for raw in journal.read_bytes().splitlines())
    return [line["event_id"] for line in lines if line["task_id"] == task_id]


def found(journal: Path, query: str) -> list[str]:
    """The texts of the events a fresh journal object finds for ``query``."""
    with contextlib.closing(Journal(Settings(journal_path=journal))) as fresh:
        hits = fresh.search(query, full=True).hits
    return [hit.event["text"] for hit in hits if hit.event is not None]


@pytest.fixture
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "_STEP_BYTES", STEP)


@pytest.mark.usefixtures("small_steps")
def test_a_read_by_task_on_a_journal_with_no_index_answers_before_the_full_text_is_built(
    journal_path: Path,
) -> None:
    big_journal(journal_path)
    index = JournalStore(journal_path)
    try:
        page = index.read_events(task_id="tj-7", order="oldest", limit=500)
    finally:
        index.close()
    assert [event["event_id"] for event in page.events] == task_events(journal_path, "tj-7")
    end, text_end, events, documents = parts(journal_path)
    assert (end, events) == (journal_path.stat().st_size, EVENTS)
    assert (text_end, documents) == (0, 0)  # left for later: the read did not wait for it


@pytest.mark.usefixtures("small_steps")
def test_a_search_after_a_read_builds_the_full_text_part_and_finds_every_match(
    journal_path: Path,
) -> None:
    big_journal(journal_path)
    index = JournalStore(journal_path)
    try:
        assert index.count_tasks("any") == TASKS
    finally:
        index.close()
    assert parts(journal_path)[1] == 0
    assert found(journal_path, "5999") == [f"event 5999 {'words ' * 30}"]
    assert parts(journal_path) == (journal_path.stat().st_size,) * 2 + (EVENTS,) * 2


@pytest.mark.usefixtures("small_steps")
def test_lines_appended_after_a_read_are_found_once_the_full_text_part_catches_up(
    journal_path: Path,
) -> None:
    big_journal(journal_path)
    with contextlib.closing(Journal(Settings(journal_path=journal_path))) as journal:
        assert journal.read_events(task_id="tj-1", limit=1).events
        with journal_path.open("a") as file:  # another writer, unseen by the index
            file.write(journal_path.read_text().splitlines()[0].replace("tj-0", "tj-new") + "\n")
        hits = journal.search("event 0", full=True).hits
    assert sorted(hit.task_id for hit in hits) == ["tj-0", "tj-new"]


def test_a_small_catch_up_keeps_the_full_text_part_as_far_as_the_rest(journal_path: Path) -> None:
    big_journal(journal_path)  # about 2 MB: one step, so the documents go in with the lines
    index = JournalStore(journal_path)
    try:
        index.count_tasks("any")
    finally:
        index.close()
    end, text_end, _, documents = parts(journal_path)
    assert (text_end, documents) == (end, EVENTS)


# Reads a task (the structural part) and waits for a line on stdin, then builds the
# full-text part in small steps, saying on stdout when each text step starts and ends.
_BUILDER = (
    announcing("index_texts", "text step")
    + """
index = store.JournalStore(Path(sys.argv[1]))
index.read_events(task_id="tj-3", limit=1)
print("read", flush=True)
sys.stdin.readline()
index.build()
"""
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("wait_for", "times"),
    [
        pytest.param("read", 1, id="after-the-structural-part"),
        pytest.param("text stepped", 3, id="between-text-steps"),
        pytest.param("text step", 4, id="inside-a-text-step"),
    ],
)
def test_a_process_killed_while_building_the_full_text_part_leaves_it_to_the_next(
    journal_path: Path, wait_for: str, times: int
) -> None:
    big_journal(journal_path)
    child = subprocess.Popen(
        [sys.executable, "-c", _BUILDER, str(journal_path)],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    seen = 0
    while seen < times:
        line = child.stdout.readline()
        assert line, "the builder ended before it was killed"
        if line.strip() == "read" and wait_for != "read":
            child.stdin.write("go\n")
            child.stdin.flush()
        if line.strip() == wait_for:
            seen += 1
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=60)
    end, text_end, events, _ = parts(journal_path)
    assert (end, events) == (journal_path.stat().st_size, EVENTS)
    assert text_end < end  # killed before the full-text part was whole
    assert found(journal_path, "5999") == [f"event 5999 {'words ' * 30}"]
    assert parts(journal_path) == (end, end, EVENTS, EVENTS)


@pytest.mark.usefixtures("small_steps")
@pytest.mark.parametrize("search", [False, True], ids=["read", "search"])
def test_a_build_from_scratch_makes_the_events_indexes_once_the_lines_are_in(
    journal_path: Path, search: bool
) -> None:
    big_journal(journal_path)
    with contextlib.closing(Journal(Settings(journal_path=journal_path))) as journal:
        if search:
            journal.search("5999")
        else:
            journal.read_events(task_id="tj-1", limit=1)
    with contextlib.closing(sqlite3.connect(f"{journal_path}.index.sqlite")) as conn, conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"events_by_task", "events_by_type", "events_by_id"} <= names


def test_asking_whether_a_task_is_held_makes_no_events_index_on_an_empty_table(
    journal_path: Path,
) -> None:
    """A first ``read --task`` asks whether the index holds the task (``holds_task``,
    with nothing indexed yet) before the build: indexes made then were filled line by
    line during the build, a fifth slower at a million events, instead of sorted once."""
    big_journal(journal_path)
    index = JournalStore(journal_path)
    try:
        held = index.holds_task("tj-1")
    finally:
        index.close()
    with contextlib.closing(sqlite3.connect(f"{journal_path}.index.sqlite")) as conn, conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert not held
    assert not {"events_by_task", "events_by_type"} & names


def test_a_store_keeps_a_small_page_cache_for_reading_after_catching_up(
    journal_path: Path,
) -> None:
    big_journal(journal_path)
    index = JournalStore(journal_path)
    try:
        index.count_tasks("any")  # a build: the cache was made big for it
        assert index._conn is not None
        (pages,) = index._conn.execute("PRAGMA cache_size").fetchone()
    finally:
        index.close()
    assert pages == -8192  # KiB: a server keeps none of the catch-up's 32 MiB of pages
