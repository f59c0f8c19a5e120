"""A server's first read of one task while its index lacks much of the journal (SPEC §6,
first use: its own build under way on a big journal): ``read_events`` of a task answers
from an excerpt of the task's lines, exactly as the index would, without waiting for the
build; its cursor pages on through the journal."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

import journal_core
from journal_core import Journal, Settings, excerpt
from server.app import build_server
from tests.cli.test_first_use import T, far_behind, index_of, write_tangled
from tests.server.conftest import call_ok, connected_to

pytestmark = pytest.mark.anyio


@pytest.fixture
def tangled(journal_path: Path) -> Path:
    """The tasks of the command line's first-use tests: one whose lines give the fold
    work (out of order, repeated, corrected, superseded, its id written with escapes),
    and another whose text names it."""
    journal_path.parent.mkdir(parents=True, exist_ok=True)
    write_tangled(journal_path)
    return journal_path


@pytest.fixture
async def served(
    tangled: Path, server_command: Path, child_env: dict[str, str]
) -> AsyncIterator[Client]:
    """A client of a server in this process: no build of its own runs, as if it lagged."""
    async with connected_to("in-process", tangled, server_command, child_env) as client:
        yield client


async def read(client: Client, **arguments: Any) -> dict[str, Any]:
    return await call_ok(client, "read_events", arguments)


async def test_a_first_read_of_a_task_answers_as_the_index_does_without_waiting_for_it(
    tangled: Path, served: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies: list[str] = []
    real = excerpt.task_excerpt

    def counted(path: Path, given: str) -> Any:
        copies.append(given)
        return real(path, given)

    monkeypatch.setattr(journal_core, "task_excerpt", counted)
    far_behind(monkeypatch, yes=True)
    first = await read(served, task_id=T[:9], order="oldest")
    assert copies == [T[:9]]
    assert not index_of(tangled).exists()  # nothing built: the server's own build does it

    far_behind(monkeypatch, yes=False)
    indexed = await read(served, task_id=T, order="oldest")
    assert index_of(tangled).exists()
    assert first == indexed
    assert [e["text"] for e in first["events"]] == [
        "Flaky upload",
        "Seen first on Monday",
        "keepalive is 60 s",
        "75 s",
        "Retry the upload",
        "Fix the race",
        "Written by hand",
    ]


async def test_a_cursor_from_a_first_read_pages_on_through_the_journal(
    tangled: Path, served: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    far_behind(monkeypatch, yes=True)
    first = await read(served, task_id=T, limit=2)
    rest = await read(served, task_id=T, limit=4, cursor=first["next_cursor"])
    whole = await read(served, task_id=T, limit=6)
    assert len(whole["events"]) == 6
    assert first["events"] + rest["events"] == whole["events"]


async def test_a_task_missing_from_a_first_read_is_refused_as_from_the_journal(
    tangled: Path, served: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    far_behind(monkeypatch, yes=True)
    result = await served.call_tool("read_events", {"task_id": "tj-cccccccccc"})
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "no task 'tj-cccccccccc' in this journal" in text
    assert tempfile.gettempdir() not in text  # nor the excerpt's place


async def test_a_read_by_event_ids_or_of_every_task_copies_no_excerpt(
    tangled: Path, served: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_core, "task_excerpt", lambda *_: pytest.fail("an excerpt"))
    far_behind(monkeypatch, yes=True)
    every = await read(served, limit=10)
    assert len(every["events"]) == 8
    one = await read(served, event_ids=[every["events"][0]["event_id"]])
    assert one["events"] == every["events"][:1]
    both = {"event_ids": [every["events"][0]["event_id"]], "task_id": T}
    refused = await served.call_tool("read_events", both)  # as ever, excerpt or not
    assert refused.is_error
    assert "leave out task_id" in refused.content[0].text  # type: ignore[union-attr]


async def test_once_its_build_is_done_a_server_does_not_ask_how_far_the_index_lags(
    tangled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal(Settings(journal_path=tangled))
    journal.open()
    try:
        journal.build_index()  # as the server's thread does at start
        monkeypatch.setattr(journal_core, "index_lag", lambda *_: pytest.fail("asked"))
        async with Client(build_server(journal), mode="legacy") as client:
            page = await read(client, task_id=T, limit=2)
    finally:
        journal.close()
    assert len(page["events"]) == 2
