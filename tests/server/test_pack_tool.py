"""task_pack and append_event's goal, through a client in process and a stdio child."""

import re

import pytest
from mcp import Client

from tests.conftest import journal_data
from tests.server.conftest import call_ok

pytestmark = pytest.mark.anyio


async def open_task(client: Client, **extra: str) -> str:
    opened = await call_ok(
        client,
        "append_event",
        {"type": "open", "title": "Flaky upload test", "text": "CI fails 1 in 5", **extra},
    )
    return str(opened["task_id"])


async def test_task_pack_puts_the_briefing_in_the_structured_content(client: Client) -> None:
    task_id = await open_task(client, goal="Make the upload test pass on every run")
    await call_ok(
        client, "append_event", {"type": "decision", "task_id": task_id, "text": "Retry once"}
    )
    pack = await call_ok(client, "task_pack", {"task_id": task_id})
    assert {key: pack[key] for key in pack if key != "markdown"} == {
        "task_id": task_id,
        "title": "Flaky upload test",
        "status": "open",
        "goal": "Make the upload test pass on every run",
        "outcome": None,
        "event_count": 2,
        "truncated": False,
    }
    lines = journal_data(pack["markdown"]).splitlines()
    assert lines[0] == "# Flaky upload test [open]"
    assert lines[2] == "Goal: Make the upload test pass on every run"
    assert any(re.fullmatch(r"- [0-9A-Z]{12} Retry once", line) for line in lines)


async def test_task_pack_text_is_the_markdown_for_text_only_clients(client: Client) -> None:
    task_id = await open_task(client)
    result = await client.call_tool("task_pack", {"task_id": task_id})
    assert result.structured_content is not None
    assert result.content[0].text == result.structured_content["markdown"]  # type: ignore[union-attr]


async def test_task_pack_of_a_closed_task_gives_its_outcome(in_process_client: Client) -> None:
    task_id = await open_task(in_process_client)
    await call_ok(
        in_process_client,
        "append_event",
        {
            "type": "close",
            "task_id": task_id,
            "text": "Done",
            "meta": {"outcome": "Fixed by a retry", "outcome_tag": "done"},
        },
    )
    pack = await call_ok(in_process_client, "task_pack", {"task_id": task_id, "mode": "full"})
    assert (pack["status"], pack["outcome"]) == ("closed", "Fixed by a retry")


async def test_task_pack_keeps_to_a_budget(in_process_client: Client) -> None:
    task_id = await open_task(in_process_client)
    for n in range(60):
        await call_ok(
            in_process_client,
            "append_event",
            {"type": "finding", "task_id": task_id, "text": f"finding {n} " + "detail " * 10},
        )
    pack = await call_ok(in_process_client, "task_pack", {"task_id": task_id, "budget_tokens": 200})
    assert pack["truncated"] is True
    assert len(pack["markdown"].encode()) <= 800
    assert journal_data(pack["markdown"]).splitlines()[-1].startswith("_Cut to fit 200 tokens")


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        pytest.param({"task_id": "tj-nothere00"}, ["no task 'tj-nothere00'"], id="unknown-task"),
        pytest.param({"task_id": "TASK", "mode": "short"}, ["mode"], id="unknown-mode"),
        pytest.param({"task_id": "TASK", "budget_tokens": 50}, ["budget_tokens"], id="budget-low"),
    ],
)
async def test_task_pack_refuses_bad_arguments(
    in_process_client: Client, arguments: dict[str, object], words: list[str]
) -> None:
    task_id = await open_task(in_process_client)
    arguments = {key: task_id if value == "TASK" else value for key, value in arguments.items()}
    result = await in_process_client.call_tool("task_pack", arguments)
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    for word in words:
        assert word in text


async def test_a_goal_on_a_finding_is_refused(in_process_client: Client) -> None:
    task_id = await open_task(in_process_client)
    result = await in_process_client.call_tool(
        "append_event", {"type": "finding", "task_id": task_id, "text": "x", "goal": "y"}
    )
    assert result.is_error
    assert "'redirect'" in result.content[0].text  # type: ignore[union-attr]


async def test_a_redirect_with_a_goal_changes_the_packs_goal(in_process_client: Client) -> None:
    task_id = await open_task(in_process_client, goal="Fix the test")
    await call_ok(
        in_process_client,
        "append_event",
        {"type": "redirect", "task_id": task_id, "text": "It is the fixture", "goal": "Fix it"},
    )
    pack = await call_ok(in_process_client, "task_pack", {"task_id": task_id})
    assert pack["goal"] == "Fix it"


async def test_instructions_send_an_agent_to_task_pack_and_search_events(
    in_process_client: Client,
) -> None:
    instructions = in_process_client.session.instructions
    assert instructions is not None
    assert len(instructions) < 2048
    assert "task_pack(task_id=...)" in instructions
    assert "search_events(query=...)" in instructions
