"""Bad input through the tools: a tool error that says what was wrong, and an untouched journal.

Refusals by the arguments' schema are checked word for word: one sentence naming the
argument, what was wrong and what to send instead. The core's refusals are checked by
the fragments that carry their meaning.
"""

from pathlib import Path
from typing import Annotated, Any

import pytest
from mcp import Client
from pydantic import Field

from journal_core import Journal, Settings
from server.app import build_server
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
        ["no task 'tj-0000000000'", "type='open' and no task_id starts a new one"],
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
        {"type": "rename", "task_id": TASK, "text": "x", "idempotency_key": " "},
        ["'idempotency_key'", "non-empty string"],
        id="blank-idempotency-key",
    ),
    pytest.param(
        "read_events", {"since": "yesterday"}, ["'since'"], id="read-since-not-a-timestamp"
    ),
    pytest.param("read_events", {"cursor": "garbage!"}, ["'cursor'"], id="read-garbage-cursor"),
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
    assert not message.startswith("Error executing tool")
    assert journal_path.read_bytes() == before


EVENT_TYPES = (
    "'open', 'hypothesis', 'finding', 'evidence', 'decision', 'rejection', 'constraint', "
    "'correction', 'reopen', 'supersede', 'close', 'redirect'"
)
APPEND_ARGUMENTS = (
    "type, text, task_id, title, goal, author, source, refs, meta, corrects, supersedes, "
    "confidence, evidence_strength, status and idempotency_key"
)
FINDING = {"type": "finding", "task_id": TASK, "text": "x"}

SCHEMA_REFUSALS = [
    pytest.param(
        "append_event",
        {**FINDING, "bogus": 1},
        f"'bogus' is not an argument of append_event; leave it out (it takes {APPEND_ARGUMENTS}).",
        id="unknown-argument",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "bogus": 1, "extra": True},
        "'bogus' and 'extra' are not arguments of append_event; leave them out "
        f"(it takes {APPEND_ARGUMENTS}).",
        id="two-unknown-arguments",
    ),
    pytest.param(
        "flush",
        {"force": True},
        "'force' is not an argument of flush; leave it out (it takes none).",
        id="argument-to-a-tool-without-any",
    ),
    pytest.param(
        "append_event",
        {"task_id": TASK, "text": "x"},
        f"'type' is missing; pass one of {EVENT_TYPES} or 'rename'.",
        id="missing-type",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "type": "note"},
        f"'type' cannot be \"note\"; pass one of {EVENT_TYPES} or 'rename'.",
        id="unknown-type",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "text": 42},
        "'text' cannot be 42; pass a string.",
        id="text-not-a-string",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "confidence": 1.5},
        "'confidence' is 1.5, over its maximum of 1.0; pass a number from 0.0 to 1.0.",
        id="confidence-above-1",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "confidence": -0.25},
        "'confidence' is -0.25, under its minimum of 0.0; pass a number from 0.0 to 1.0.",
        id="confidence-below-0",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "confidence": True},
        "'confidence' cannot be true; pass a number from 0.0 to 1.0.",
        id="confidence-true",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "confidence": "0.5"},
        "'confidence' cannot be the string \"0.5\"; pass a number from 0.0 to 1.0.",
        id="confidence-a-string",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "confidence": "NaN"},
        "'confidence' cannot be the string \"NaN\"; pass a number from 0.0 to 1.0.",
        id="confidence-NaN-as-a-string",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "evidence_strength": "huge"},
        "'evidence_strength' cannot be \"huge\"; pass one of 'weak', 'medium' or 'strong'.",
        id="bad-evidence-strength",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "author": "robot"},
        "'author' cannot be \"robot\"; pass one of 'user', 'agent', 'classifier' or 'hook'.",
        id="bad-author",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "refs": {"urls": ["http://x"]}},
        "'refs.urls' is not a key of 'refs'; use only commits, files and events.",
        id="unknown-refs-kind",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "refs": {"files": "a.py"}},
        "'refs.files' cannot be the string \"a.py\"; pass a list of strings.",
        id="refs-files-not-a-list",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "refs": {"files": ["a.py", 7]}},
        "'refs.files[1]' cannot be 7; pass a string.",
        id="refs-file-not-a-string",
    ),
    pytest.param(
        "append_event",
        {**FINDING, "meta": [1, 2]},
        "'meta' cannot be a list; pass a JSON object.",
        id="meta-a-list",
    ),
    pytest.param(
        "read_events",
        {"limit": 0},
        "'limit' is 0, under its minimum of 1; pass a whole number from 1 to 500.",
        id="read-limit-0",
    ),
    pytest.param(
        "read_events",
        {"limit": 1000},
        "'limit' is 1000, over its maximum of 500; pass a whole number from 1 to 500.",
        id="read-limit-1000",
    ),
    pytest.param(
        "read_events",
        {"limit": 2.5},
        "'limit' cannot be 2.5; pass a whole number from 1 to 500.",
        id="read-limit-fractional",
    ),
    pytest.param(
        "read_events",
        {"types": ["note"]},
        f"'types[0]' cannot be \"note\"; pass one of {EVENT_TYPES} or 'rename'.",
        id="read-unknown-event-type",
    ),
    pytest.param(
        "read_events",
        {"types": "finding"},
        "'types' cannot be the string \"finding\"; pass a list of values from "
        f"{EVENT_TYPES} and 'rename'.",
        id="read-types-not-a-list",
    ),
    pytest.param(
        "read_events",
        {"order": "random"},
        "'order' cannot be \"random\"; pass one of 'newest' or 'oldest'.",
        id="read-bad-order",
    ),
    pytest.param(
        "list_tasks",
        {"status": "pending"},
        "'status' cannot be \"pending\"; pass one of 'open', 'closed' or 'any'.",
        id="tasks-unknown-status",
    ),
]


@pytest.mark.parametrize(("tool", "arguments", "sentence"), SCHEMA_REFUSALS)
async def test_schema_refusal_is_one_sentence_naming_the_argument_and_the_fix(
    client_and_task: tuple[Client, str],
    journal_path: Path,
    tool: str,
    arguments: dict[str, Any],
    sentence: str,
) -> None:
    client, task_id = client_and_task
    before = journal_path.read_bytes()
    result = await client.call_tool(tool, with_task(arguments, task_id))
    assert result.is_error
    assert result.content[0].text == sentence  # type: ignore[union-attr]
    assert journal_path.read_bytes() == before


async def test_a_tool_added_to_the_server_later_is_described_and_refused_alike(
    journal_path: Path,
) -> None:
    journal = Journal(Settings(journal_path=journal_path))
    journal.open()
    server = build_server(journal)

    @server.tool()
    async def count_to(
        count: Annotated[int, Field(ge=1)],
    ) -> str:
        """Count up to a number.

        Returns the numbers, comma-separated.
        """
        return ",".join(str(n) for n in range(1, count + 1))

    try:
        async with Client(server) as client:
            listed = {tool.name: tool for tool in (await client.list_tools()).tools}
            refused = await client.call_tool("count_to", {"count": 0})
            unknown = await client.call_tool("count_to", {"count": 2, "step": 1})
    finally:
        journal.close()
    assert listed["count_to"].description == (
        "Count up to a number.\n\nReturns the numbers, comma-separated."
    )
    assert refused.content[0].text == (  # type: ignore[union-attr]
        "'count' is 0, under its minimum of 1; pass a whole number of at least 1."
    )
    assert unknown.content[0].text == (  # type: ignore[union-attr]
        "'step' is not an argument of count_to; leave it out (it takes count)."
    )
