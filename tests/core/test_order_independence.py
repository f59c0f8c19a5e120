"""SPEC §6: two journals holding the same events in any line order give identical answers
to every read, tool and command.

The same generated events (duplicate lines, late timestamps, double closes, correction
chains, supersede chains, answered hypotheses, overturned rejections) are written in two
random line orders into two journals, and every read is asked of both. Bounded in CI;
``pytest --hypothesis-profile=long`` runs many more examples.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal_core import EVENT_TYPES, Journal, Settings
from journal_core.index.store import JournalStore
from journal_core.pack import build_pack, export_pr
from server.cli import main

TASKS = ("tj-aaaaaaaaaa", "tj-bbbbbbbbbb", "tj-cccccccccc")
KINDS = (*EVENT_TYPES, "close")  # a second close more often
TEXTS = ("presigned URLs expire mid-upload", "use a proxy", "retry the upload", "keepalive 60 s")


@st.composite
def journal_events(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Events of a few tasks, each opened first in time, then anything: times repeat and
    go back (late lines), events name earlier ones (chains), decisions choose options."""
    count = draw(st.integers(1, 24))
    ids = [f"01KQ{number:022d}" for number in range(count)]
    events: list[dict[str, Any]] = []
    for number, task_id in enumerate(TASKS):
        events.append(_event(f"01KP{number:022d}", task_id, "open", 0, f"Task {number}", {}))
    for event_id in ids:
        kind = draw(st.sampled_from(KINDS))
        task_id = draw(st.sampled_from(TASKS))
        meta: dict[str, Any] = {}
        if kind == "decision":
            meta["alternatives"] = [
                {"option": draw(st.sampled_from(["presigned URLs", "a proxy"])), "chosen": chosen}
                for chosen in draw(st.lists(st.booleans(), max_size=2))
            ]
        if kind in ("redirect", "rename", "close") and draw(st.booleans()):
            meta.update(goal="A goal", title="A title", outcome="An outcome")
        event = _event(
            event_id, task_id, kind, draw(st.integers(1, 12)), draw(st.sampled_from(TEXTS)), meta
        )
        if draw(st.booleans()):
            event["refs"] = {"events": [draw(st.sampled_from(ids))], "files": ["src/a.py"]}
        if kind == "correction" or draw(st.integers(0, 3)) == 0:
            event["corrects"] = draw(st.sampled_from(ids))
        if kind == "supersede" or draw(st.integers(0, 3)) == 0:
            event["supersedes"] = draw(st.sampled_from(ids))
        events.append(event)
    return events


def _event(
    event_id: str, task_id: str, kind: str, second: int, text: str, meta: dict[str, Any]
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "schema_version": "1.0",
        "task_id": task_id,
        "type": kind,
        "timestamp": f"2026-12-01T10:00:{second:02d}.000Z",
        "author": "agent",
        "source": "chat",
        "text": text,
        "refs": {},
        "status": "confirmed",
        "meta": meta,
    }


def _write(path: Path, lines: list[dict[str, Any]], steps: list[int]) -> None:
    """Write the lines in a few appends, each followed by a read (so the index catches up
    in steps, and a late line meets an index that already holds its task)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    start = 0
    for cut in [*sorted(steps), len(lines)]:
        with path.open("ab") as file:
            for line in lines[start:cut]:
                file.write(msgspec.json.encode(line) + b"\n")
        start = max(start, cut)
        store = JournalStore(path)
        store.refresh()
        store.close()


@contextlib.contextmanager
def _cli_environment(folder: Path) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in ("XDG_DATA_HOME", "TASK_JOURNAL_PATH")}
    os.environ["XDG_DATA_HOME"] = str(folder / "data")
    os.environ.pop("TASK_JOURNAL_PATH", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _command(path: Path, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([args[0], "--journal", str(path), *args[1:]])
    assert status == 0, err.getvalue()
    return out.getvalue()


def _paged(page: Any) -> Any:
    """A page as plain data; a cursor names its journal file, so only whether there is one."""
    found = msgspec.to_builtins(page)
    found["next_cursor"] = found["next_cursor"] is not None
    return found


def _pages(journal: Journal, **query: Any) -> list[Any]:
    """Every page of a read of events, a few events to a page."""
    pages = [journal.read_events(limit=4, **query)]
    while pages[-1].next_cursor is not None:
        pages.append(journal.read_events(limit=4, cursor=pages[-1].next_cursor, **query))
    return [_paged(page) for page in pages]


def _answers(path: Path) -> dict[str, Any]:
    """Every read of the journal at ``path``, as plain data."""
    answers: dict[str, Any] = {}
    journal = Journal(Settings(journal_path=path, durability="flush"))
    store = JournalStore(path)
    try:
        answers["list_tasks"] = _paged(journal.list_tasks(status="any", limit=100))
        answers["list_tasks open"] = _paged(journal.list_tasks(limit=2))
        # A first ``tasks`` on a big journal folds them from a scan: the index's answer.
        with journal.task_scan() as scan:
            assert _paged(scan.list_tasks(status="any", limit=100)) == answers["list_tasks"]
            assert _paged(scan.list_tasks(limit=2)) == answers["list_tasks open"]
        # Every page alike, event for event, in either order.
        queries: list[tuple[str, dict[str, Any]]] = [
            ("all", {}),
            ("by type", {"types": ["decision", "rejection", "hypothesis"]}),
            ("in a window", {"since": "2026-12-01T10:00:03Z", "until": "2026-12-01T10:00:09Z"}),
            *((f"task {task_id}", {"task_id": task_id}) for task_id in TASKS),
        ]
        for name, query in queries:
            for order in ("newest", "oldest"):
                answers[f"read_events {name} {order}"] = _pages(journal, order=order, **query)
        for task_id in TASKS:
            # A journal's pack takes the standings its index keeps: the pack of the task's
            # events alone, folded here, is the same.
            events, subtasks = list(journal.task_events(task_id)), journal.subtasks(task_id)
            for mode, budget in (("compact", None), ("full", None), ("compact", 150)):
                pack = journal.task_pack(task_id, mode=mode, budget_tokens=budget)
                assert pack == build_pack(
                    task_id, events, subtasks, mode=mode, budget_tokens=budget
                )
                answers[f"task_pack {task_id} {mode} {budget}"] = msgspec.to_builtins(pack)
            answers[f"export_pr {task_id}"] = journal.export_pr(task_id)
            assert answers[f"export_pr {task_id}"] == export_pr(task_id, events, subtasks)
            answers[f"show {task_id}"] = json.loads(_command(path, "show", task_id, "--json"))
            answers[f"show text {task_id}"] = _command(path, "show", task_id)
        # The standing every search hit shows, for every event.
        offsets: dict[str, int] = {}
        offset = 0
        for raw in path.read_bytes().splitlines(keepends=True):
            offsets.setdefault(msgspec.json.decode(raw)["event_id"], offset)
            offset += len(raw)
        ids = sorted(offsets)
        standings = store.standings([offsets[event_id] for event_id in ids])
        answers["standing"] = dict(zip(ids, msgspec.to_builtins(standings), strict=True))
        answers["read_events by id"] = _paged(journal.read_events(event_ids=ids[-50:]))
        answers["tasks --json"] = _command(path, "tasks", "--status", "any", "--all", "--json")
        answers["stale"] = _command(path, "stale", "--days", "0", "--json")
        answers["statusline"] = _command(path, "statusline")
        answers["resume"] = msgspec.to_builtins(journal.resume())
    finally:
        journal.close()
        store.close()
    return answers


@given(
    journal_events(),
    st.randoms(use_true_random=False),
    st.randoms(use_true_random=False),
    st.lists(st.integers(0, 30), max_size=3),
    st.data(),
)
@settings(
    max_examples=max(5, settings().max_examples // 10),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_two_line_orders_of_the_same_events_answer_alike(
    tmp_path: Path,
    events: list[dict[str, Any]],
    first: Any,
    second: Any,
    steps: list[int],
    data: st.DataObject,
) -> None:
    lines = [*events, *data.draw(st.lists(st.sampled_from(events), max_size=4))]
    one, other = list(lines), list(lines)
    first.shuffle(one)
    second.shuffle(other)
    folder = tmp_path / f"example-{id(events)}"
    with _cli_environment(folder):
        _write(folder / "one" / "events.jsonl", one, steps)
        _write(folder / "other" / "events.jsonl", other, steps[::-1])
        answers = _answers(folder / "one" / "events.jsonl")
        assert answers == _answers(folder / "other" / "events.jsonl")


def test_the_reads_compared_include_each_of_spec_6s_list(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with _cli_environment(tmp_path):
        _write(path, [_event("01KP0000000000000000000000", TASKS[0], "open", 0, "T", {})], [])
        _write(
            path,
            [_event(f"01KP{n:022d}", t, "open", 0, "T", {}) for n, t in enumerate(TASKS)][1:],
            [],
        )
        names = set(_answers(path))
    for read in (
        "list_tasks",
        "read_events all newest",
        "read_events in a window oldest",
        "read_events by id",
        "standing",
        "tasks --json",
        "stale",
        "statusline",
    ):
        assert read in names
    assert any(name.startswith("task_pack") for name in names)
    assert any(name.startswith("show") for name in names)


@pytest.fixture(autouse=True)
def _no_caller_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TASK_JOURNAL_"):
            monkeypatch.delenv(name)
