"""Tool arguments that name an event or a task take a unique prefix of 8 or more
characters as well as the whole id (SPEC §8)."""

import json
import re
from pathlib import Path

import pytest
from mcp import Client

from tests.server.conftest import call_ok

pytestmark = pytest.mark.anyio


async def open_task(client: Client) -> str:
    opened = await call_ok(
        client, "append_event", {"type": "open", "title": "Flaky upload", "text": "CI fails"}
    )
    return str(opened["task_id"])


async def refusal(client: Client, tool: str, arguments: dict[str, object]) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    return str(result.content[0].text)  # type: ignore[union-attr]


async def test_a_decision_is_superseded_by_the_short_id_its_pack_shows(client: Client) -> None:
    task_id = await open_task(client)
    first = await call_ok(
        client, "append_event", {"type": "decision", "task_id": task_id, "text": "Retry once"}
    )
    pack = await call_ok(client, "task_pack", {"task_id": task_id})
    short = re.search(r"- ([0-9A-Z]{12}) Retry once", pack["markdown"])
    assert short is not None
    later = await call_ok(
        client,
        "append_event",
        {"type": "decision", "task_id": task_id[:8], "text": "Mock S3", "supersedes": short[1]},
    )
    assert later["task_id"] == task_id
    page = await call_ok(client, "read_events", {"event_ids": [later["event_id"]]})
    assert page["events"][0]["supersedes"] == first["event_id"]


async def test_a_hypothesis_is_answered_by_a_prefix_and_the_line_holds_the_whole_id(
    in_process_client: Client, journal_path: Path
) -> None:
    task_id = await open_task(in_process_client)
    guess = await call_ok(
        in_process_client,
        "append_event",
        {"type": "hypothesis", "task_id": task_id, "text": "The proxy drops it"},
    )
    await call_ok(
        in_process_client,
        "append_event",
        {
            "type": "finding",
            "task_id": task_id.removeprefix("tj-"),
            "text": "It does not",
            # Past the 10 characters of time (two events made within a few ms share those)
            # into the random part, so that each prefix names one event.
            "refs": {"events": [guess["event_id"][:16]]},
            "corrects": guess["event_id"][:15].lower(),
        },
    )
    last = json.loads(journal_path.read_text().splitlines()[-1])
    assert last["refs"]["events"] == [guess["event_id"]]
    assert last["corrects"] == guess["event_id"]
    assert last["task_id"] == task_id


async def test_read_events_fetches_events_by_prefix(in_process_client: Client) -> None:
    task_id = await open_task(in_process_client)
    made = await call_ok(
        in_process_client, "append_event", {"type": "finding", "task_id": task_id, "text": "A"}
    )
    page = await call_ok(in_process_client, "read_events", {"event_ids": [made["event_id"][:12]]})
    assert [event["event_id"] for event in page["events"]] == [made["event_id"]]


async def test_a_prefix_under_8_characters_is_refused(in_process_client: Client) -> None:
    task_id = await open_task(in_process_client)
    made = await call_ok(
        in_process_client, "append_event", {"type": "finding", "task_id": task_id, "text": "A"}
    )
    text = await refusal(
        in_process_client,
        "append_event",
        {"type": "finding", "task_id": task_id, "text": "B", "corrects": made["event_id"][:7]},
    )
    assert text.startswith("corrects")
    assert "at least 8 characters" in text


async def test_an_ambiguous_prefix_is_refused_naming_the_candidates(
    in_process_client: Client, journal_path: Path
) -> None:
    task_id = await open_task(in_process_client)
    made = await call_ok(
        in_process_client, "append_event", {"type": "finding", "task_id": task_id, "text": "A"}
    )
    line = json.loads(journal_path.read_text().splitlines()[-1])
    assert line["event_id"] == made["event_id"]
    twins = ["01JQZZZZZZAAAAAAAAAAAAAAA1", "01JQZZZZZZAAAAAAAAAAAAAAA2"]
    with journal_path.open("a") as journal:
        for twin in twins:
            journal.write(json.dumps({**line, "event_id": twin}) + "\n")
    text = await refusal(
        in_process_client,
        "append_event",
        {"type": "finding", "task_id": task_id, "text": "B", "supersedes": "01JQZZZZZZ"},
    )
    assert "supersedes '01JQZZZZZZ' is the start of more than one id" in text
    assert all(twin in text for twin in twins)


async def test_an_unknown_prefix_is_refused_as_an_unknown_event(in_process_client: Client) -> None:
    task_id = await open_task(in_process_client)
    text = await refusal(
        in_process_client,
        "append_event",
        {"type": "finding", "task_id": task_id, "text": "B", "corrects": "01JQYYYYYY"},
    )
    assert "not in this journal" in text
