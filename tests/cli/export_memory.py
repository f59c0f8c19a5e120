"""Run ``task-journal export`` on a generated journal; print how much it grew the process.

Usage: python -m tests.cli.export_memory JOURNAL EVENTS FORMAT. The journal (EVENTS
lines over 100 tasks) and its index are made first, outside the measurement; then
export runs in this process with stdout sent to /dev/null. Printed: the exit status, the journal's
size and the growth of the peak resident set during the export, both in bytes.
"""

import contextlib
import datetime as dt
import os
import resource
import sys
from pathlib import Path

import msgspec

from journal_core.events import format_timestamp, new_event_id, new_task_id
from journal_core.index.store import JournalStore
from server.cli import main

_TASKS = 100


def write_journal(path: str, events: int) -> None:
    tasks = [new_task_id() for _ in range(_TASKS)]
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    encode = msgspec.json.Encoder().encode
    with open(path, "wb") as out:
        for number in range(events):
            opening = number < _TASKS
            moment = start + dt.timedelta(seconds=number)
            line = {
                "event_id": new_event_id(moment),
                "schema_version": "1.0",
                "task_id": tasks[number % _TASKS],
                "type": "open" if opening else "finding",
                "timestamp": format_timestamp(moment),
                "author": "agent",
                "source": "chat",
                "text": f"Event {number}: " + "the upload test fails after test_auth " * 4,
                "refs": {"files": ["tests/test_upload.py"]},
                "status": "confirmed",
                "meta": {"title": f"Task {number}"} if opening else {},
            }
            out.write(encode(line) + b"\n")


def peak_rss() -> int:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run() -> None:
    path, events, form = sys.argv[1:]
    write_journal(path, int(events))
    # Its index too: pages come from it, and its build's memory is bounded by SQLite's
    # cache, not by the export.
    store = JournalStore(Path(path))
    store.refresh()
    store.close()
    before = peak_rss()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        status = main(["--journal", path, "export", "--format", form])
    print(status, os.path.getsize(path), peak_rss() - before)


if __name__ == "__main__":
    run()
