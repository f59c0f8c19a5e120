"""The tools over a journal another writer left hostile: a line nested too deeply, an
event or a task larger than one answer may be. Every call works and stays under the cap."""

import json
from pathlib import Path

import pytest
from mcp import Client

from journal_core.index.results import PAGE_BYTES
from tests.server.conftest import call_ok

pytestmark = pytest.mark.anyio

FOREIGN = {
    "event_id": "01KMZ3T4J8Q7W2E5R6T7Y8V9H0",
    "schema_version": "1.0",
    "type": "finding",
    "timestamp": "2026-11-25T17:03:09.412Z",
    "refs": {"files": [f"src/{n}/" + "p" * 4000 for n in range(2000)]},
}


async def open_task(client: Client) -> str:
    opened = await call_ok(client, "append_event", {"type": "open", "text": "a task"})
    return str(opened["task_id"])


def append_raw(path: Path, line: bytes) -> None:
    with path.open("ab") as file:
        file.write(line + b"\n")


def result_bytes(result: object) -> int:
    return len(result.content[0].text.encode())  # type: ignore[attr-defined]


async def test_every_tool_works_past_a_line_nested_too_deeply(
    in_process_client: Client, journal_path: Path
) -> None:
    task_id = await open_task(in_process_client)
    append_raw(journal_path, b"[" * 1000)
    await call_ok(
        in_process_client, "append_event", {"type": "finding", "task_id": task_id, "text": "on"}
    )
    page = await call_ok(in_process_client, "read_events", {"task_id": task_id})
    assert [event["text"] for event in page["events"]] == ["on", "a task"]
    tasks = await call_ok(in_process_client, "list_tasks", {})
    assert [task["event_count"] for task in tasks["tasks"]] == [2]


async def test_a_foreign_event_over_the_cap_is_read_cut(
    in_process_client: Client, journal_path: Path
) -> None:
    task_id = await open_task(in_process_client)
    append_raw(journal_path, json.dumps(FOREIGN | {"task_id": task_id, "text": "t"}).encode())
    # Its time is older than the open's: the first in canonical order.
    result = await in_process_client.call_tool("read_events", {"limit": 1, "order": "oldest"})
    assert not result.is_error
    assert result_bytes(result) <= PAGE_BYTES
    page = result.structured_content
    assert page is not None
    (event,) = page["events"]
    assert (event["event_id"], event["cut"]) == (FOREIGN["event_id"], True)
    assert "task-journal read --json" in page["note"]


async def test_a_foreign_task_id_over_the_cap_is_listed_cut(
    in_process_client: Client, journal_path: Path
) -> None:
    append_raw(
        journal_path,
        json.dumps(FOREIGN | {"type": "open", "task_id": "t" * 200_000, "text": "x"}).encode(),
    )
    result = await in_process_client.call_tool("list_tasks", {})
    assert not result.is_error
    assert result_bytes(result) <= PAGE_BYTES


async def test_a_foreign_event_over_the_cap_is_found_cut(
    in_process_client: Client, journal_path: Path
) -> None:
    task_id = await open_task(in_process_client)
    append_raw(
        journal_path, json.dumps(FOREIGN | {"task_id": task_id, "text": "oversized"}).encode()
    )
    result = await in_process_client.call_tool(
        "search_events", {"query": "oversized", "full": True}
    )
    assert not result.is_error
    assert result_bytes(result) <= PAGE_BYTES
    page = result.structured_content
    assert page is not None
    (hit,) = page["hits"]
    assert (hit["event"]["event_id"], hit["event"]["cut"]) == (FOREIGN["event_id"], True)
    assert "task-journal read --json" in page["note"]
