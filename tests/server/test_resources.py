"""The journal:// resources and the resume prompts, in process and through a stdio child."""

import json
import re

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import TextContent, TextResourceContents

from tests.conftest import journal_data
from tests.server.conftest import call_ok

pytestmark = pytest.mark.anyio


async def open_task(client: Client, title: str, goal: str | None = None) -> str:
    arguments = {"type": "open", "title": title, "text": f"Start: {title}"}
    if goal is not None:
        arguments["goal"] = goal
    opened = await call_ok(client, "append_event", arguments)
    return str(opened["task_id"])


async def read_text(client: Client, uri: str) -> TextResourceContents:
    result = await client.read_resource(uri)
    [contents] = result.contents
    assert isinstance(contents, TextResourceContents)
    return contents


async def prompt_text(client: Client, name: str, arguments: dict[str, str] | None = None) -> str:
    result = await client.get_prompt(name, arguments)
    [message] = result.messages
    assert message.role == "user"
    assert isinstance(message.content, TextContent)
    return message.content.text


async def test_the_task_list_and_the_task_template_are_listed(client: Client) -> None:
    resources = await client.list_resources()
    templates = await client.list_resource_templates()
    assert [(r.uri, r.mime_type) for r in resources.resources] == [
        ("journal://tasks", "application/json")
    ]
    assert [(t.uri_template, t.mime_type) for t in templates.resource_templates] == [
        ("journal://tasks/{task_id}", "text/markdown")
    ]


async def test_the_task_list_is_every_task_most_recently_active_first(client: Client) -> None:
    first = await open_task(client, "First")
    second = await open_task(client, "Second")
    await call_ok(
        client,
        "append_event",
        {"type": "close", "task_id": second, "text": "done", "meta": {"outcome_tag": "done"}},
    )
    contents = await read_text(client, "journal://tasks")
    listed = json.loads(contents.text)["tasks"]
    assert [(task["task_id"], task["status"]) for task in listed] == [
        (second, "closed"),
        (first, "open"),
    ]


async def test_a_task_resource_is_its_full_pack_in_markdown(client: Client) -> None:
    task_id = await open_task(client, "Flaky upload test", goal="Pass on every run")
    await call_ok(
        client,
        "append_event",
        {"type": "finding", "task_id": task_id, "text": "word " * 150},
    )
    contents = await read_text(client, f"journal://tasks/{task_id}")
    assert contents.mime_type == "text/markdown"
    lines = journal_data(contents.text).splitlines()
    assert (lines[0], lines[2]) == ("# Flaky upload test [open]", "Goal: Pass on every run")
    assert "word " * 149 + "word" in contents.text  # full mode: texts whole


async def test_an_unknown_task_resource_is_not_found(in_process_client: Client) -> None:
    with pytest.raises(MCPError) as refused:
        await in_process_client.read_resource("journal://tasks/tj-nothere00")
    assert refused.value.code == -32602
    assert "no task 'tj-nothere00'" in refused.value.message


async def test_the_prompts_are_listed_with_their_arguments(client: Client) -> None:
    listed = await client.list_prompts()
    prompts = {prompt.name: prompt for prompt in listed.prompts}
    assert sorted(prompts) == ["resume", "resume_task"]
    assert prompts["resume"].arguments in (None, [])
    [argument] = prompts["resume_task"].arguments or []
    assert (argument.name, argument.required) == ("task_id", True)


async def test_the_resume_prompt_holds_the_briefing_of_the_open_tasks(client: Client) -> None:
    older = await open_task(client, "Older task")
    await open_task(client, "Newer task", goal="Ship the newer one")
    text = await prompt_text(client, "resume")
    lines = journal_data(text).splitlines()
    assert any(
        line.startswith("2 open tasks in this journal, most recently active first;")
        for line in lines
    )
    assert "# Newer task [open]" in lines
    assert "Goal: Ship the newer one" in lines
    assert any(line.startswith(f"- {older} · Older task") for line in lines)


async def test_the_resume_prompt_says_when_no_task_is_open(in_process_client: Client) -> None:
    text = await prompt_text(in_process_client, "resume")
    assert text.startswith("The task journal has no open task.")


async def test_the_resume_task_prompt_embeds_the_tasks_pack(client: Client) -> None:
    task_id = await open_task(client, "Flaky upload test", goal="Pass on every run")
    await call_ok(
        client,
        "append_event",
        {"type": "rejection", "task_id": task_id, "text": "A longer timeout hides the leak"},
    )
    text = await prompt_text(client, "resume_task", {"task_id": task_id})
    assert text.startswith(f"Resume the task {task_id} from its journal below.")
    lines = re.sub(r"(?m)^- [0-9A-Z]{12} ", "- ", journal_data(text)).splitlines()  # ids aside
    assert "# Flaky upload test [open]" in lines
    assert "- A longer timeout hides the leak" in lines


async def test_the_resume_task_prompt_of_a_closed_task_says_to_reopen_it(
    in_process_client: Client,
) -> None:
    task_id = await open_task(in_process_client, "Done task")
    await call_ok(
        in_process_client,
        "append_event",
        {"type": "close", "task_id": task_id, "text": "done", "meta": {"outcome_tag": "done"}},
    )
    text = await prompt_text(in_process_client, "resume_task", {"task_id": task_id})
    assert 'append type="reopen"' in text.splitlines()[0]


async def test_the_resume_task_prompt_of_an_unknown_task_is_refused(
    in_process_client: Client,
) -> None:
    with pytest.raises(MCPError) as refused:
        await in_process_client.get_prompt("resume_task", {"task_id": "tj-nothere00"})
    assert "no task 'tj-nothere00'" in refused.value.message
