"""A task page's parts, as its script fetches them again when the journal grows: the
timeline is read from one page of events and the remembered standing, never from the
task's whole history (the overview is, and comes second)."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from starlette.types import Message

from journal_core import Journal, Settings, new_event
from server.ui import build_app, views
from server.ui.remembered import TaskMemory
from tests.ui.journals import story_journal


@pytest.fixture
def story(tmp_path: Path) -> Iterator[tuple[Journal, dict[str, str]]]:
    path = tmp_path / "journal.jsonl"
    ids = story_journal(path)
    journal = Journal(Settings(journal_path=path))
    yield journal, ids
    journal.close()


def test_a_timeline_is_read_without_building_the_task_pack(
    story: tuple[Journal, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    journal, ids = story
    memory = TaskMemory(journal)

    def no_pack(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the timeline built the task's pack")

    monkeypatch.setattr(journal, "task_pack", no_pack)
    correction = new_event(
        type="correction",
        text="Chunks must stay at 5 MiB or more",
        task_id=ids["task"],
        corrects=ids["constraint"],
    )
    journal.append(correction)
    timeline = views.task_timeline(memory, ids["task"], None)
    assert timeline is not None
    rows = {row.event["event_id"]: row for row in timeline.events}
    assert rows[correction.event_id].links[0].target == ids["constraint"]
    corrected = rows[ids["constraint"]].standing
    assert (corrected.standing, corrected.correction) == (
        "corrected",
        "Chunks must stay at 5 MiB or more",
    )


def test_a_task_the_journal_lacks_has_neither_part(story: tuple[Journal, dict[str, str]]) -> None:
    journal, _ = story
    memory = TaskMemory(journal)
    assert views.task_timeline(memory, "tj-nosuchtask", None) is None
    assert views.task_overview(memory, "tj-nosuchtask") is None


def test_a_part_carries_the_journal_size_from_before_it_was_read(
    story: tuple[Journal, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An append that lands while the part is read makes the page fetch it again."""
    journal, ids = story
    app = build_app(journal, host="127.0.0.1", token=None, environ={})
    before = journal.path.stat().st_size
    read = views.task_timeline

    def read_while_another_writer_appends(*args: Any) -> views.Timeline | None:
        journal.append(new_event(type="finding", text="meanwhile", task_id=ids["task"]))
        return read(*args)

    monkeypatch.setattr(views, "task_timeline", read_while_another_writer_appends)
    body = _get(app, "/tasks/" + quote(ids["task"], safe=""), "part=timeline")
    assert journal.path.stat().st_size > before
    assert f'<body data-journal-size="{before}">' in body


def _get(app: Any, path: str, query: str) -> str:
    """The body of a GET of ``path`` from ``app``, called as uvicorn calls it."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1:8766")],
    }
    body: list[bytes] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    asyncio.run(app(scope, receive, send))
    return b"".join(body).decode()
