"""Processes sharing one index: killed while catching up, or catching up all at once."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from journal_core.index.store import JournalStore
from tests.core.journal_lines import REPO_ROOT, event

TASKS = 40
EVENTS = 6000


def announcing(function: str, word: str) -> str:
    """The start of a child's script: the index in steps of 32 KiB, and
    ``catch_up.<function>`` saying ``<word>`` on stdout before each call and
    ``<word>ped`` after it."""
    return f"""
import json, sys
from pathlib import Path
from journal_core.index import catch_up, store
store._STEP_BYTES = 32 * 1024
real = catch_up.{function}
def announced(*args, **kwargs):
    print("{word}", flush=True)
    real(*args, **kwargs)
    print("{word}ped", flush=True)
catch_up.{function} = announced
"""


# Catches the index up in small steps, saying on stdout when each step starts and ends.
_CATCHER = (
    announcing("index_lines", "step")
    + """
index = store.JournalStore(Path(sys.argv[1]))
tasks = index.list_tasks(status="any", limit=500).tasks
print(json.dumps([[t.task_id, t.status, t.event_count, t.last_event_at] for t in tasks]))
"""
)


def big_journal(path: Path) -> None:
    """EVENTS lines over TASKS tasks, about 2 MB: many small catch-up steps."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        msgspec.json.encode(
            event(
                task_id=f"tj-{n % TASKS}",
                type="open" if n < TASKS else ("close" if n % 97 == 0 else "finding"),
                text=f"event {n} " + "words " * 30,
                timestamp=f"2026-11-25T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
            )
        )
        for n in range(EVENTS)
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")


def start_catching_up(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _CATCHER, str(path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def summaries(path: Path) -> list[list[Any]]:
    fresh = JournalStore(path)
    try:
        tasks = fresh.list_tasks(status="any", limit=500).tasks
        return [[t.task_id, t.status, t.event_count, t.last_event_at] for t in tasks]
    finally:
        fresh.close()


def scanned(path: Path) -> list[list[Any]]:
    """The same summaries from a scan of the file."""
    tasks: dict[str, list[Any]] = {}
    for raw in path.read_bytes().splitlines():
        line = json.loads(raw)
        task = tasks.pop(line["task_id"], [line["task_id"], "open", 0, ""])
        task[2] += 1
        task[3] = line["timestamp"]
        if line["type"] == "close":
            task[1] = "closed"
        tasks[line["task_id"]] = task  # re-inserted: the dict ends with the latest task
    return list(reversed(tasks.values()))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("wait_for", "steps"),
    [
        pytest.param("stepped", 3, id="between-steps"),
        pytest.param("step", 4, id="inside-a-step"),
    ],
)
def test_a_process_killed_while_catching_up_leaves_an_index_the_next_one_can_use(
    journal_path: Path, wait_for: str, steps: int
) -> None:
    big_journal(journal_path)
    child = start_catching_up(journal_path)
    assert child.stdout is not None
    seen = 0
    while seen < steps:
        if child.stdout.readline().strip() == wait_for:
            seen += 1
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=60)
    index = Path(f"{journal_path}.index.sqlite")
    with contextlib.closing(sqlite3.connect(index)) as conn, conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (indexed,) = conn.execute("SELECT events FROM state").fetchone()
    assert 0 < indexed < EVENTS  # killed midway: part of the journal is in the index
    assert summaries(journal_path) == scanned(journal_path)


@pytest.mark.slow
def test_four_processes_catching_up_at_once_agree_with_a_scan(journal_path: Path) -> None:
    big_journal(journal_path)
    children = [start_catching_up(journal_path) for _ in range(4)]
    results = []
    for child in children:
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0
        results.append(json.loads(out.splitlines()[-1]))
    expected = scanned(journal_path)
    assert all(result == expected for result in results)
    with contextlib.closing(sqlite3.connect(Path(f"{journal_path}.index.sqlite"))) as conn, conn:
        assert conn.execute("SELECT events FROM state").fetchone() == (EVENTS,)
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (EVENTS,)
