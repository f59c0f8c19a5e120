"""The index against a brute-force scan of the file, while threads and processes append.

A Hypothesis state machine appends through the library from several threads and from a
real child process, lets the index catch up (this process's, or a fresh store's, as a
new process would) in between, and after every step checks that every query the index
answers equals what a scan of the whole file gives: tasks, events by task, by type and
by time, search hits, idempotency keys.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from journal_core import EVENT_TYPES, Journal, JournalError, Settings, new_event
from journal_core.index.store import JournalStore
from journal_core.reader import Record, iter_forward
from journal_core.search import document, matches, parse
from tests.core.journal_lines import append_in_child

WORDS = ("alpha", "beta", "gamma", "delta")
KINDS = ("close", "reopen", "finding", "close", "reopen", "rejection")  # state changes often
KEYS = ("key-1", "key-2", "key-3")
texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)


def scan(path: Path) -> list[dict[str, Any]]:
    return [item.event for item in iter_forward(path) if isinstance(item, Record)]


def expected_tasks(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(task_id, title, status, created_at, last_event_at, count), latest activity first."""
    tasks: dict[str, dict[str, Any]] = {}
    order: dict[str, int] = {}
    for position, event in enumerate(events):
        task = tasks.setdefault(
            event["task_id"],
            {"title": "", "status": "open", "created": event["timestamp"], "count": 0},
        )
        task["count"] += 1
        task["last"] = event["timestamp"]
        order[event["task_id"]] = position
        if event["type"] == "open":
            task["title"] = event["meta"].get("title") or event["text"]
        if event["type"] in ("open", "reopen"):
            task["status"] = "open"
        elif event["type"] == "close":
            task["status"] = "closed"
    return [
        (task_id, t["title"], t["status"], t["created"], t["last"], t["count"])
        for task_id, t in sorted(tasks.items(), key=lambda item: -order[item[0]])
    ]


class IndexMatchesAScan(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp())
        self.path = self.folder / "events.jsonl"
        self.journal = Journal(Settings(journal_path=self.path, durability="flush"))
        self.task_ids: list[str] = []

    def teardown(self) -> None:
        self.journal.close()
        shutil.rmtree(self.folder)

    @initialize(title=texts)
    def open_the_first_task(self, title: str) -> None:
        self.open_a_task(title)

    @rule(title=texts)
    def open_a_task(self, title: str) -> None:
        opened = self.journal.append(new_event(type="open", text="start", title=title))
        self.task_ids.append(opened.task_id)

    @precondition(lambda self: self.task_ids)
    @rule(
        data=st.data(),
        batch=st.lists(
            st.tuples(st.sampled_from(KINDS), texts, st.none() | st.sampled_from(KEYS)),
            min_size=1,
            max_size=4,
        ),
    )
    def append_from_threads(
        self, data: st.DataObject, batch: list[tuple[str, str, str | None]]
    ) -> None:
        events = [
            new_event(
                type=kind,
                text=text,
                task_id=data.draw(st.sampled_from(self.task_ids)),
                idempotency_key=key,
            )
            for kind, text, key in batch
        ]

        def append(event: Any) -> None:
            # Refused (a close of a closed task, a reused key): nothing written.
            with contextlib.suppress(JournalError):
                self.journal.append(event)

        threads = [threading.Thread(target=append, args=(event,)) for event in events]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    @precondition(lambda self: self.task_ids)
    @rule(data=st.data(), count=st.integers(1, 3))
    def append_from_another_process(self, data: st.DataObject, count: int) -> None:
        append_in_child(self.path, data.draw(st.sampled_from(self.task_ids)), count)

    @rule()
    def catch_up_here(self) -> None:
        self.journal.build_index()

    @rule()
    def catch_up_in_a_fresh_store(self) -> None:
        fresh = JournalStore(self.path)
        fresh.refresh()
        fresh.close()

    @invariant()
    def every_query_equals_a_scan(self) -> None:
        events = scan(self.path) if self.path.exists() else []
        page = self.journal.list_tasks(status="any", limit=500)
        assert [
            (t.task_id, t.title, t.status, t.created_at, t.last_event_at, t.event_count)
            for t in page.tasks
        ] == expected_tasks(events)
        for task_id in self.task_ids:
            read = self.journal.read_events(task_id=task_id, order="oldest", limit=500)
            assert read.events == [e for e in events if e["task_id"] == task_id]
        for kind in ("open", "close", "finding"):
            read = self.journal.read_events(types=[kind], limit=500)
            assert read.events == [e for e in reversed(events) if e["type"] == kind]
        if events:
            middle = events[len(events) // 2]["timestamp"]
            read = self.journal.read_events(since=middle, order="oldest", limit=500)
            assert read.events == [e for e in events if e["timestamp"] >= middle]
        for query in ("alpha", "beta gamma", "delta OR n1", "start -alpha"):
            parsed = parse(query)
            hits = self.journal.search(query, limit=100).hits
            assert sorted(hit.event_id for hit in hits) == sorted(
                e["event_id"] for e in events if matches(parsed, document(e))
            )
        store = self.journal._index
        for key in KEYS:
            first = next((e for e in events if e["meta"].get("idempotency_key") == key), None)
            assert store.find_key(key) == first
        assert {e["type"] for e in events} <= set(EVENT_TYPES)


IndexMatchesAScan.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_the_index_answers_as_a_scan_of_the_file = pytest.mark.slow(IndexMatchesAScan.TestCase)
