"""Every argument is taken as the schema types it, the same way for every tool (SPEC 3):
a number or a boolean sent as a string is refused, whichever argument it is, and an
optional number is typed a number in the schema, so that clients that convert what is
typed by the schema's type (the MCP Inspector's CLI) send one."""

from typing import Any

import pytest
from mcp import Client
from mcp_types import TextContent

pytestmark = pytest.mark.anyio

# Each numeric or boolean argument, with a call that is sound but for it.
AS_STRINGS = [
    pytest.param("read_events", {}, "limit", "2", id="read_events-limit"),
    pytest.param("list_tasks", {}, "limit", "2", id="list_tasks-limit"),
    pytest.param("search_events", {"query": "upload"}, "limit", "2", id="search-limit"),
    pytest.param("search_events", {"query": "upload"}, "all_projects", "true", id="search-all"),
    pytest.param("search_events", {"query": "upload"}, "full", "true", id="search-full"),
    pytest.param("search_events", {"query": "upload"}, "current_only", "true", id="search-current"),
    pytest.param("task_pack", {"task_id": "{task}"}, "budget_tokens", "200", id="pack-budget"),
    pytest.param("append_event", {"type": "open", "text": "x"}, "confidence", "0.5", id="conf"),
]


@pytest.mark.parametrize(("tool", "call", "name", "text"), AS_STRINGS)
async def test_a_number_or_boolean_sent_as_a_string_is_refused_by_name(
    client: Client, tool: str, call: dict[str, Any], name: str, text: str
) -> None:
    opened = await client.call_tool("append_event", {"type": "open", "text": "A task"})
    assert opened.structured_content is not None
    task_id = opened.structured_content["task_id"]
    arguments = {k: v.replace("{task}", task_id) for k, v in call.items()}

    result = await client.call_tool(tool, {**arguments, name: text})

    assert result.is_error
    [content] = result.content
    assert isinstance(content, TextContent)
    assert content.text.startswith(f"'{name}' cannot be the string \"{text}\"; pass ")


async def test_every_number_and_boolean_is_typed_plainly_in_the_schema(client: Client) -> None:
    typed = {}
    for tool in (await client.list_tools()).tools:
        for name, schema in tool.input_schema["properties"].items():
            kinds = [schema.get("type"), *(s.get("type") for s in schema.get("anyOf", []))]
            if {"number", "integer", "boolean"} & set(kinds):
                typed[f"{tool.name}.{name}"] = schema.get("type")

    assert typed == {
        "append_event.confidence": "number",
        "read_events.limit": "integer",
        "list_tasks.limit": "integer",
        "search_events.limit": "integer",
        "search_events.all_projects": "boolean",
        "search_events.full": "boolean",
        "search_events.current_only": "boolean",
        "task_pack.budget_tokens": "integer",
    }
