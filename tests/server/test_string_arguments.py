"""A string argument reaches the journal as sent, even one that reads as JSON.

The SDK parses such strings as JSON for every parameter not typed exactly ``str``:
an idempotency key "null" became no key at all, and a retry wrote a second event.
Parameters that cannot take a string (refs, meta) still accept an object sent as a
JSON string, which some clients do.
"""

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from mcp import Client

from server.sdk.arguments import _takes_text
from tests.server.conftest import call_ok

pytestmark = pytest.mark.anyio

JSON_LOOKING = ["null", "[1, 2]", '{"a": 1}', "true", "12", '"quoted"']


def lines(journal_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in journal_path.read_bytes().splitlines()]


@pytest.mark.parametrize("key", JSON_LOOKING)
async def test_a_retried_key_that_reads_as_json_writes_one_event(
    client: Client, journal_path: Path, key: str
) -> None:
    call = {"type": "open", "title": "Retry", "text": "Start", "idempotency_key": key}
    first = await call_ok(client, "append_event", call)
    again = await call_ok(client, "append_event", call)
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert again["event_id"] == first["event_id"]
    written = lines(journal_path)
    assert len(written) == 1
    assert written[0]["meta"]["idempotency_key"] == key


@pytest.mark.parametrize("value", JSON_LOOKING)
async def test_title_task_id_and_goal_that_read_as_json_are_kept_as_sent(
    client: Client, journal_path: Path, value: str
) -> None:
    task_id = f"task.{len(value)}" if value[0] in '[{"' else value
    opened = await call_ok(
        client,
        "append_event",
        {"type": "open", "task_id": task_id, "title": value, "goal": value, "text": "Start"},
    )
    assert opened["task_id"] == task_id
    event = lines(journal_path)[-1]
    assert (event["meta"]["title"], event["meta"]["goal"]) == (value, value)
    page = await call_ok(client, "read_events", {"task_id": task_id})
    assert [e["event_id"] for e in page["events"]] == [opened["event_id"]]


async def test_refs_and_meta_sent_as_json_strings_are_still_read_as_objects(
    client: Client, journal_path: Path
) -> None:
    opened = await call_ok(client, "append_event", {"type": "open", "text": "Start"})
    await call_ok(
        client,
        "append_event",
        {
            "type": "finding",
            "task_id": opened["task_id"],
            "text": "Found it",
            "refs": json.dumps({"files": ["a.py"]}),
            "meta": json.dumps({"reason": "seen in the log"}),
        },
    )
    event = lines(journal_path)[-1]
    assert event["refs"] == {"files": ["a.py"]}
    assert event["meta"] == {"reason": "seen in the log"}


@pytest.mark.parametrize(
    ("annotation", "takes_text"),
    [
        (str, True),
        (str | None, True),
        (Literal["a", "b"], True),
        (Literal["a"] | None, True),
        (Annotated[str, "described"] | None, True),
        (str | list[str], True),
        (list[str] | None, False),
        (dict[str, Any] | None, False),
        (float | None, False),
        (Literal[1, 2], False),
    ],
)
def test_only_parameters_that_cannot_take_a_string_are_pre_parsed(
    annotation: Any, takes_text: bool
) -> None:
    assert _takes_text(annotation) is takes_text
