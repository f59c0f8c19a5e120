"""Each tool does what SPEC §3 says, through a client in process and through a stdio child."""

import json
import re
from pathlib import Path

import anyio
import pytest
from filelock import FileLock
from mcp import Client

from tests.server.conftest import call_ok

pytestmark = pytest.mark.anyio


async def open_task(client: Client, title: str = "Fix the flaky test") -> str:
    opened = await call_ok(
        client, "append_event", {"type": "open", "title": title, "text": f"Start: {title}"}
    )
    return str(opened["task_id"])


async def test_open_without_task_id_starts_a_new_task(client: Client) -> None:
    opened = await call_ok(
        client, "append_event", {"type": "open", "title": "Flaky test", "text": "It fails 1 in 5"}
    )
    assert re.fullmatch(r"tj-[0-9a-hjkmnp-tv-z]{10}", opened["task_id"])
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", opened["event_id"])
    assert opened["type"] == "open"
    assert opened["durable"] is True
    assert opened["duplicate"] is False


async def test_appended_event_is_written_as_one_line_with_every_argument(
    client: Client, journal_path: Path
) -> None:
    task_id = await open_task(client)
    decision = await call_ok(
        client,
        "append_event",
        {
            "type": "decision",
            "task_id": task_id,
            "text": "Retry the network call once",
            "author": "user",
            "source": "manual",
            "refs": {"files": ["net.py"], "commits": ["abc123"]},
            "meta": {"alternatives": [{"option": "no retry", "chosen": False, "rationale": "x"}]},
            "confidence": 0.75,
            "evidence_strength": "medium",
            "status": "suggested",
        },
    )
    last = json.loads(journal_path.read_bytes().splitlines()[-1])
    assert last["event_id"] == decision["event_id"]
    assert last["task_id"] == task_id
    assert (last["type"], last["author"], last["source"]) == ("decision", "user", "manual")
    assert last["refs"] == {"commits": ["abc123"], "files": ["net.py"]}
    assert last["confidence"] == 0.75
    assert last["evidence_strength"] == "medium"
    assert last["status"] == "suggested"
    assert last["meta"]["alternatives"][0]["option"] == "no retry"


async def test_repeated_idempotency_key_returns_first_event_and_writes_nothing(
    client: Client, journal_path: Path
) -> None:
    task_id = await open_task(client)
    call = {"type": "finding", "task_id": task_id, "text": "Seen", "idempotency_key": "k-1"}
    first = await call_ok(client, "append_event", call)
    before = journal_path.read_bytes()
    again = await call_ok(client, "append_event", call)
    assert again["duplicate"] is True
    assert (again["event_id"], again["task_id"]) == (first["event_id"], first["task_id"])
    assert journal_path.read_bytes() == before


async def test_flush_reports_the_journal_and_its_size(client: Client, journal_path: Path) -> None:
    await open_task(client)
    flushed = await call_ok(client, "flush", {})
    assert flushed == {
        "path": str(journal_path),
        "size_bytes": journal_path.stat().st_size,
        "durable": True,
    }


async def test_read_events_returns_a_tasks_events_newest_first(client: Client) -> None:
    task_id = await open_task(client)
    await open_task(client, "Another task")
    for text in ("first", "second"):
        await call_ok(client, "append_event", {"type": "finding", "task_id": task_id, "text": text})
    page = await call_ok(client, "read_events", {"task_id": task_id})
    assert [e["text"] for e in page["events"]] == ["second", "first", "Start: Fix the flaky test"]
    assert page["next_cursor"] is None
    oldest = await call_ok(client, "read_events", {"task_id": task_id, "order": "oldest"})
    assert [e["text"] for e in oldest["events"]] == ["Start: Fix the flaky test", "first", "second"]


async def test_read_events_filters_by_type(in_process_client: Client) -> None:
    task_id = await open_task(in_process_client)
    for kind in ("hypothesis", "finding", "rejection"):
        await call_ok(
            in_process_client, "append_event", {"type": kind, "task_id": task_id, "text": kind}
        )
    page = await call_ok(in_process_client, "read_events", {"types": ["finding", "rejection"]})
    assert [e["type"] for e in page["events"]] == ["rejection", "finding"]


async def test_read_events_pages_with_the_cursor(in_process_client: Client) -> None:
    task_id = await open_task(in_process_client)
    for n in range(5):
        await call_ok(
            in_process_client,
            "append_event",
            {"type": "finding", "task_id": task_id, "text": f"n{n}"},
        )
    seen: list[str] = []
    cursor = None
    while True:
        page = await call_ok(
            in_process_client,
            "read_events",
            {"task_id": task_id, "limit": 2, "order": "oldest", "cursor": cursor},
        )
        seen += [e["text"] for e in page["events"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Start: Fix the flaky test", "n0", "n1", "n2", "n3", "n4"]


async def test_read_events_keeps_fields_and_values_from_newer_writers(
    client: Client, journal_path: Path
) -> None:
    task_id = await open_task(client)
    newer = {
        "event_id": "01KMZ3T4J8Q7W2E5R6T7Y8V9H0",
        "schema_version": "1.1",
        "task_id": task_id,
        "type": "handoff",
        "timestamp": "2099-01-01T00:00:00.000Z",
        "author": "robot",
        "source": "chat",
        "confidence": "high",
        "text": "from a newer writer",
        "refs": {"tickets": ["T-1"]},
        "status": "confirmed",
        "meta": {},
        "priority": 3,
    }
    with journal_path.open("a", encoding="utf-8") as journal:
        journal.write(json.dumps(newer) + "\n")
    page = await call_ok(client, "read_events", {"task_id": task_id})
    assert page["events"][0] == newer


async def test_list_tasks_shows_open_tasks_with_their_counts(client: Client) -> None:
    task_id = await open_task(client, "Flaky login test")
    await call_ok(client, "append_event", {"type": "finding", "task_id": task_id, "text": "race"})
    page = await call_ok(client, "list_tasks", {})
    assert len(page["tasks"]) == 1
    task = page["tasks"][0]
    assert (task["task_id"], task["title"], task["status"]) == (task_id, "Flaky login test", "open")
    assert task["event_count"] == 2
    assert task["created_at"] <= task["last_event_at"]
    assert (page["next_cursor"], page["truncated"], page["note"]) == (None, False, None)


async def test_list_tasks_filters_by_status_and_title(in_process_client: Client) -> None:
    done = await open_task(in_process_client, "Upgrade the parser")
    await open_task(in_process_client, "Write the docs")
    await call_ok(
        in_process_client,
        "append_event",
        {"type": "close", "task_id": done, "text": "Done", "meta": {"outcome_tag": "done"}},
    )
    closed = await call_ok(in_process_client, "list_tasks", {"status": "closed"})
    assert [t["task_id"] for t in closed["tasks"]] == [done]
    found = await call_ok(in_process_client, "list_tasks", {"status": "any", "query": "DOCS"})
    assert [t["title"] for t in found["tasks"]] == ["Write the docs"]


async def test_refused_append_is_a_tool_error_with_the_cores_message_and_what_to_send(
    client: Client,
) -> None:
    result = await client.call_tool(
        "append_event", {"type": "finding", "task_id": "tj-0000000000", "text": "orphan"}
    )
    assert result.is_error
    message = result.content[0].text  # type: ignore[union-attr]
    assert "no task 'tj-0000000000' in this journal" in message
    assert "type='open' and no task_id starts a new one" in message
    assert "Traceback" not in message


async def test_text_content_is_the_structured_content_as_compact_json(
    in_process_client: Client,
) -> None:
    task_id = await open_task(in_process_client)
    result = await in_process_client.call_tool("read_events", {"task_id": task_id})
    text = result.content[0].text  # type: ignore[union-attr]
    assert json.loads(text) == result.structured_content
    assert "\n" not in text


async def test_long_read_is_cut_at_an_event_under_about_20000_tokens(
    in_process_client: Client,
) -> None:
    task_id = await open_task(in_process_client)
    for n in range(30):
        await call_ok(
            in_process_client,
            "append_event",
            {"type": "finding", "task_id": task_id, "text": f"{n} " * 2500},
        )
    result = await in_process_client.call_tool("read_events", {"task_id": task_id, "limit": 500})
    page = result.structured_content
    assert page is not None
    assert page["truncated"] is True
    assert page["note"]
    assert page["next_cursor"] is not None
    assert 0 < len(page["events"]) < 31
    # About 4 bytes of JSON to a token.
    assert len(result.content[0].text.encode()) <= 84_000  # type: ignore[union-attr]


async def test_append_waiting_for_the_lock_holds_up_no_other_call(
    in_process_client: Client, journal_path: Path
) -> None:
    task_id = await open_task(in_process_client)
    appended = anyio.Event()

    async def append() -> None:
        finding = {"type": "finding", "task_id": task_id, "text": "after the wait"}
        await call_ok(in_process_client, "append_event", finding)
        appended.set()

    # Another writer holds the journal's lock: the append must wait for it in a worker
    # thread while the event loop goes on answering.
    other_writer = FileLock(f"{journal_path}.lock")
    other_writer.acquire()
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(append)
            with anyio.fail_after(8):  # a blocked event loop would never answer
                page = await call_ok(in_process_client, "read_events", {})
            appended_while_locked = appended.is_set()
            other_writer.release()
    finally:
        if other_writer.is_locked:
            other_writer.release()
    assert [e["type"] for e in page["events"]] == ["open"]
    assert not appended_while_locked
    assert appended.is_set()
