"""What a client learns from the server before calling anything: instructions, schemas, hints."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # ships no stubs; mcp depends on it
import pytest
from mcp import Client
from mcp_types import Tool

import journal_core as core
from journal_core import Journal, Settings
from server.app import build_server

pytestmark = pytest.mark.anyio

TOOL_NAMES = ["append_event", "flush", "list_tasks", "read_events", "search_events", "task_pack"]


@pytest.fixture
async def tools(in_process_client: Client) -> dict[str, Tool]:
    listed = await in_process_client.list_tools()
    return {tool.name: tool for tool in listed.tools}


def example_of(tool: Tool) -> dict[str, Any]:
    """The JSON object after 'Example:' in a tool's description."""
    assert tool.description is not None
    found = re.search(r"Example: (\{.*\})", tool.description, re.DOTALL)
    assert found, f"{tool.name} has no example"
    example: dict[str, Any] = json.loads(found.group(1))
    return example


async def test_instructions_tell_an_agent_when_to_journal(in_process_client: Client) -> None:
    instructions = in_process_client.session.instructions
    assert instructions is not None
    assert len(instructions) < 2048
    for step in ('type="open"', "hypothesis", "decision", "rejection", '"close"', "read_events"):
        assert step in instructions


async def test_the_tools_are_listed(tools: dict[str, Tool]) -> None:
    assert sorted(tools) == TOOL_NAMES


@pytest.mark.parametrize("name", TOOL_NAMES)
async def test_every_tool_sets_all_four_annotations(tools: dict[str, Tool], name: str) -> None:
    hints = tools[name].annotations
    assert hints is not None
    explicit = hints.model_dump(by_alias=True, exclude_unset=True)
    assert {"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} <= set(explicit)
    assert hints.destructive_hint is False
    assert hints.open_world_hint is False


@pytest.mark.parametrize(
    ("name", "read_only", "idempotent"),
    [
        pytest.param("append_event", False, False, id="append-writes-and-repeats-write-again"),
        pytest.param("flush", False, True, id="flush"),
        pytest.param("read_events", True, True, id="read_events"),
        pytest.param("list_tasks", True, True, id="list_tasks"),
        pytest.param("search_events", True, True, id="search_events"),
        pytest.param("task_pack", True, True, id="task_pack"),
    ],
)
async def test_hints_say_what_each_tool_does(
    tools: dict[str, Tool], name: str, read_only: bool, idempotent: bool
) -> None:
    hints = tools[name].annotations
    assert hints is not None
    assert (hints.read_only_hint, hints.idempotent_hint) == (read_only, idempotent)


@pytest.mark.parametrize("name", TOOL_NAMES)
async def test_every_tool_declares_an_object_output_schema(
    tools: dict[str, Tool], name: str
) -> None:
    schema = tools[name].output_schema
    assert schema is not None
    assert schema["type"] == "object"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", TOOL_NAMES)
async def test_every_description_has_an_example_the_input_schema_accepts(
    tools: dict[str, Tool], name: str
) -> None:
    tool = tools[name]
    assert tool.description is not None
    assert "Call it" in tool.description  # when to call it
    assert "Returns" in tool.description
    jsonschema.validate(example_of(tool), tool.input_schema)


async def test_the_whole_tool_list_is_under_10000_bytes(tools: dict[str, Tool]) -> None:
    # Every session carries it in its context: about 2,500 tokens at most.
    listed = [
        tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools.values()
    ]
    assert len(json.dumps(listed, separators=(",", ":")).encode()) < 10_000


@pytest.mark.parametrize(
    ("tool", "argument", "closed_set"),
    [
        pytest.param("append_event", "type", core.EVENT_TYPES, id="append_event.type"),
        pytest.param("append_event", "author", core.AUTHORS, id="append_event.author"),
        pytest.param("append_event", "source", core.SOURCES, id="append_event.source"),
        pytest.param("append_event", "status", core.STATUSES, id="append_event.status"),
        pytest.param(
            "append_event",
            "evidence_strength",
            core.EVIDENCE_STRENGTHS,
            id="append_event.evidence_strength",
        ),
        pytest.param("read_events", "types", core.EVENT_TYPES, id="read_events.types"),
        pytest.param("read_events", "order", core.ORDERS, id="read_events.order"),
        pytest.param("search_events", "types", core.EVENT_TYPES, id="search_events.types"),
        pytest.param("list_tasks", "status", core.TASK_STATUS_FILTERS, id="list_tasks.status"),
        pytest.param("task_pack", "mode", core.PACK_MODES, id="task_pack.mode"),
    ],
)
async def test_every_enum_in_an_input_schema_is_the_cores_closed_set(
    tools: dict[str, Tool], tool: str, argument: str, closed_set: tuple[str, ...]
) -> None:
    schema = tools[tool].input_schema
    assert enum_of(schema, schema["properties"][argument]) == list(closed_set)


def test_an_event_type_the_core_gains_reaches_the_input_schemas(tmp_path: Path) -> None:
    # In a process of its own: the schemas are made once, when the tools are imported.
    script = """
import json
from pathlib import Path
import journal_core.events
journal_core.events.EVENT_TYPES = (*journal_core.events.EVENT_TYPES, "milestone")
from journal_core import Journal, Settings
from server.app import build_server
import anyio

async def main():
    journal = Journal(Settings(journal_path=Path(JOURNAL)))
    journal.open()
    try:
        tools = {tool.name: tool.input_schema for tool in await build_server(journal).list_tools()}
    finally:
        journal.close()
    print(json.dumps(tools))

anyio.run(main)
"""
    journal = str(tmp_path / "journal.jsonl")
    done = subprocess.run(
        [sys.executable, "-c", script.replace("JOURNAL", repr(journal))],
        capture_output=True,
        text=True,
        check=True,
    )
    schemas = json.loads(done.stdout)
    append = schemas["append_event"]
    assert enum_of(append, append["properties"]["type"])[-1] == "milestone"
    for tool in ("read_events", "search_events"):
        assert enum_of(schemas[tool], schemas[tool]["properties"]["types"])[-1] == "milestone"


async def test_append_event_takes_an_idempotency_key(tools: dict[str, Tool]) -> None:
    schema = tools["append_event"].input_schema
    assert "idempotency_key" in schema["properties"]
    assert sorted(schema["required"]) == ["text", "type"]


async def test_read_event_items_allow_fields_from_newer_writers(tools: dict[str, Tool]) -> None:
    schema = tools["read_events"].output_schema
    assert schema is not None
    event = schema["$defs"]["EventObject"]
    assert event.get("additionalProperties", True) is True  # JSON Schema's default


def enum_of(schema: dict[str, Any], prop: dict[str, Any]) -> list[str]:
    """The enum of a property, or of its items, through an optional anyOf-with-null
    and a $ref."""
    for choice in prop.get("anyOf", [prop]):
        if "$ref" in choice:
            choice = schema["$defs"][choice["$ref"].rsplit("/", 1)[1]]
        if "items" in choice:
            return enum_of(schema, choice["items"])
        if "enum" in choice:
            return list(choice["enum"])
    raise AssertionError(f"no enum in {prop}")


@pytest.mark.parametrize("name", TOOL_NAMES)
async def test_tool_description_is_sent_without_docstring_indentation(
    tools: dict[str, Tool], name: str
) -> None:
    description = tools[name].description
    assert description is not None
    assert description == description.strip()
    assert [line for line in description.splitlines() if line.startswith(" ")] == []


@pytest.mark.parametrize("name", TOOL_NAMES)
async def test_input_schema_says_unknown_arguments_are_refused(
    tools: dict[str, Tool], name: str
) -> None:
    assert tools[name].input_schema["additionalProperties"] is False


async def test_prompts_and_resources_are_described_without_docstring_indentation(
    journal_path: Path,
) -> None:
    journal = Journal(Settings(journal_path=journal_path))
    journal.open()
    server = build_server(journal)

    @server.prompt()
    async def greet() -> str:
        """Say hello.

        Then stop.
        """
        return "hello"

    @server.resource("journal://example")
    async def example() -> str:
        """One resource.

        With a second paragraph.
        """
        return "x"

    @server.resource("journal://examples/{name}")
    async def examples(name: str) -> str:
        """A template.

        With a second paragraph.
        """
        return name

    try:
        async with Client(server) as client:
            prompts = (await client.list_prompts()).prompts
            resources = (await client.list_resources()).resources
            templates = (await client.list_resource_templates()).resource_templates
    finally:
        journal.close()
    descriptions = {
        **{prompt.name: prompt.description for prompt in prompts},
        **{resource.uri: resource.description for resource in resources},
        **{template.uri_template: template.description for template in templates},
    }
    assert descriptions["greet"] == "Say hello.\n\nThen stop."
    assert descriptions["journal://example"] == "One resource.\n\nWith a second paragraph."
    assert descriptions["journal://examples/{name}"] == "A template.\n\nWith a second paragraph."
    # The server's own prompts and resources too: no line starts with indentation.
    for name, description in descriptions.items():
        assert description is not None, name
        assert not any(line.startswith(" ") for line in description.splitlines()), name
