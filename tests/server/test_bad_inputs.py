"""Bad input through the tools: a tool error that says what was wrong, and an untouched journal."""

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.server.conftest import call_ok

pytestmark = pytest.mark.anyio

TASK = "{task}"  # stands for the id of the task the fixture opened


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


BAD_CALLS = [
    pytest.param(
        "append_event",
        {"type": "note", "task_id": TASK, "text": "x"},
        ["type", "'open'", "'hypothesis'"],
        id="unknown-type",
    ),
    pytest.param(
        "append_event",
        {"type": "finding", "task_id": TASK, "text": ""},
        ["'text'", "must not be empty"],
        id="empty-text",
    ),
    pytest.param(
        "append_event",
        {"type": "finding", "task_id": TASK, "text": " \n\t "},
        ["'text'", "only whitespace"],
        id="whitespace-text",
    ),
    pytest.param(
        "append_event",
        {"type": "finding", "task_id": TASK, "text": "é" * 40_000},
        ["'text'", "80000 bytes", "65536-byte limit"],
        id="text-over-64KiB",
    ),
    pytest.param(
        "append_event",
        {"type": "finding", "task_id": TASK, "text": "x", "meta": nested(40)},
        ["'meta'", "nested over 32 levels"],
        id="meta-nested-40-deep",
    ),
    pytest.param(
        "append_event",
        {"type": "finding", "task_id": TASK, "text": "x", "meta": {"blob": "b" * 70_000}},
        ["'meta'", "65536-byte limit"],
        id="meta-over-64KiB",
    ),
    pytest.param(
        "append_event",
        {"type": "finding", "task_id": "no spaces allowed", "text": "x"},
        ["'task_id'", "is not a task id"],
        id="malformed-task-id",
    ),
    pytest.param(
        "append_event",
        {"type": "finding", "task_id": "tj-0000000000", "text": "x"},
        ["task not found", "open it first"],
        id="event-for-unknown-task",
    ),
    pytest.param(
        "append_event",
        {"type": "open", "task_id": TASK, "text": "again"},
        ["already opened", "reopen"],
        id="open-for-existing-task",
    ),
    pytest.param(
        "append_event",
        {"type": "finding", "text": "x"},
        ["'task_id'", "is required"],
        id="task-id-missing",
    ),
    pytest.param(
        "append_event",
        {"type": "finding", "task_id": TASK, "text": "x", "confidence": 1.5},
        ["confidence", "less than or equal to 1"],
        id="confidence-above-1",
    ),
    pytest.param(
        "append_event",
        {"type": "finding", "task_id": TASK, "text": "x", "confidence": "NaN"},
        ["confidence", "finite number"],
        id="confidence-NaN",
    ),
    pytest.param(
        "append_event",
        {"type": "evidence", "task_id": TASK, "text": "x", "evidence_strength": "huge"},
        ["evidence_strength", "'weak', 'medium' or 'strong'"],
        id="bad-evidence-strength",
    ),
    pytest.param(
        "append_event",
        {"type": "finding", "task_id": TASK, "text": "x", "author": "robot"},
        ["author", "'user'"],
        id="bad-author",
    ),
    pytest.param(
        "append_event",
        {
            "type": "finding",
            "task_id": TASK,
            "text": "x",
            "meta": {"alternatives": [{"option": "a", "chosen": True}]},
        },
        ["meta.alternatives", "only for type 'decision'"],
        id="alternatives-on-a-finding",
    ),
    pytest.param(
        "append_event",
        {"type": "close", "task_id": TASK, "text": "x", "meta": {"outcome_tag": "finished"}},
        ["meta.outcome_tag", "done, abandoned, superseded"],
        id="bad-outcome-tag",
    ),
    pytest.param(
        "append_event",
        {"type": "correction", "task_id": TASK, "text": "x", "corrects": "not-an-id"},
        ["'corrects'", "is not an event id"],
        id="bad-corrects-id",
    ),
    pytest.param(
        "append_event",
        {"type": "finding", "task_id": TASK, "text": "x", "refs": {"urls": ["http://x"]}},
        ["refs.urls", "Extra inputs are not permitted"],
        id="unknown-refs-kind",
    ),
    pytest.param(
        "append_event",
        {"type": "finding", "task_id": TASK, "text": 42},
        ["text", "valid string"],
        id="text-not-a-string",
    ),
    pytest.param(
        "append_event",
        {"type": "rename", "task_id": TASK, "text": "x", "idempotency_key": " "},
        ["'idempotency_key'", "non-empty string"],
        id="blank-idempotency-key",
    ),
    pytest.param(
        "read_events", {"limit": 0}, ["limit", "greater than or equal to 1"], id="read-limit-0"
    ),
    pytest.param(
        "read_events",
        {"limit": 1000},
        ["limit", "less than or equal to 500"],
        id="read-limit-1000",
    ),
    pytest.param(
        "read_events", {"since": "yesterday"}, ["'since'"], id="read-since-not-a-timestamp"
    ),
    pytest.param("read_events", {"cursor": "garbage!"}, ["'cursor'"], id="read-garbage-cursor"),
    pytest.param(
        "read_events", {"types": ["note"]}, ["types", "'open'"], id="read-unknown-event-type"
    ),
    pytest.param(
        "read_events", {"order": "random"}, ["order", "'newest' or 'oldest'"], id="read-bad-order"
    ),
    pytest.param(
        "list_tasks",
        {"status": "pending"},
        ["status", "'open', 'closed' or 'any'"],
        id="tasks-unknown-status",
    ),
    pytest.param("list_tasks", {"cursor": "garbage!"}, ["'cursor'"], id="tasks-garbage-cursor"),
]


@pytest.fixture
async def client_and_task(in_process_client: Client) -> tuple[Client, str]:
    """A client on a journal holding one open task."""
    opened = await call_ok(
        in_process_client, "append_event", {"type": "open", "title": "T", "text": "start"}
    )
    return in_process_client, opened["task_id"]


def with_task(arguments: dict[str, Any], task_id: str) -> dict[str, Any]:
    return {key: task_id if value == TASK else value for key, value in arguments.items()}


@pytest.mark.parametrize(("tool", "arguments", "says"), BAD_CALLS)
async def test_bad_input_is_a_tool_error_that_says_what_was_wrong(
    client_and_task: tuple[Client, str],
    journal_path: Path,
    tool: str,
    arguments: dict[str, Any],
    says: list[str],
) -> None:
    client, task_id = client_and_task
    before = journal_path.read_bytes()
    result = await client.call_tool(tool, with_task(arguments, task_id))
    assert result.is_error
    message = result.content[0].text  # type: ignore[union-attr]
    for fragment in says:
        assert fragment in message
    assert "Traceback" not in message
    assert journal_path.read_bytes() == before
