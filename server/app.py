"""The MCP server: the journal's tools, resources and prompts over one Journal, and the
instructions sent at initialize. The tools are in ``server.tools``, the resources and
prompts in ``server.resources``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp_types import (
    CallToolResult,
    Icon,
    InputRequiredResult,
    Prompt,
    Resource,
    ResourceTemplate,
    ToolAnnotations,
)
from pydantic import ValidationError

from journal_core import Journal
from server import __version__
from server.arguments import TextKeptMetadata
from server.refusals import schema_refusal, unknown_arguments, unknown_arguments_refusal
from server.resources import register_resources
from server.stdio import serve_stdio
from server.tools import register_tools

__all__ = ["INSTRUCTIONS", "SERVER_NAME", "JournalServer", "build_server"]

SERVER_NAME = "task-journal"

INSTRUCTIONS = """\
This server keeps a durable, append-only task journal: a record of your reasoning \
that survives restarts, context resets and crashes. Nothing in it is ever edited \
or deleted; mistakes are fixed by appending a correction.

When to journal:
- Work starts: append_event(type="open", title=..., goal=<one sentence>, text=...) and \
keep the task_id it returns.
- As things happen, append one event each: hypothesis (a guess to test), finding \
(something you learned), evidence (what supports or refutes something), decision \
(a choice, with meta.alternatives), rejection (an approach you ruled out and why), \
constraint (a limit you must respect). Record them when they happen, not at the end.
- Wrong earlier event: type="correction" with corrects=<its event_id>.
- Work ends: type="close" with meta.outcome and meta.outcome_tag (done, abandoned \
or superseded).
- Before resuming a task (new session, after a context reset): list_tasks, then \
task_pack(task_id=...): one briefing of its goal, decisions, rejections, open \
hypotheses and findings (read_events has every event). Append type="reopen" if it \
was closed.
- To find earlier work, or what was already tried and rejected, before you retry \
something: search_events(query=...).

Pass idempotency_key when you might retry an append: a repeat returns the first \
event and writes nothing. If appends answer durable=false (the server runs with \
durability "flush"), call flush after important events.\
"""


class JournalServer(MCPServer):
    """The SDK's server with the journal's rules for every tool registered on it.

    - A tool's description is its docstring without the docstring's indentation, and so
      are a prompt's and a resource's.
    - An argument the tool does not have is refused by name, not ignored.
    - A string argument reaches the tool as sent, even one that reads as JSON
      (server.arguments).
    - Over stdio, a line the SDK cannot read still gets a JSON-RPC error (server.stdio).
    - A refusal (bad arguments, or a ToolError the tool raised) reaches the client as
      its own sentence, without the SDK's "Error executing tool NAME:" prefix and with
      schema errors reworded from the validator's dump (server.refusals).
    """

    def add_tool(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: ToolAnnotations | None = None,
        icons: list[Icon] | None = None,
        meta: dict[str, Any] | None = None,
        structured_output: bool | None = None,
    ) -> None:
        if description is None and fn.__doc__:
            description = inspect.cleandoc(fn.__doc__)
        super().add_tool(
            fn,
            name=name,
            title=title,
            description=description,
            annotations=annotations,
            icons=icons,
            meta=meta,
            structured_output=structured_output,
        )
        tool = self._tool_manager.get_tool(name or fn.__name__)
        if tool is not None:
            tool.fn_metadata = TextKeptMetadata.of(tool.fn_metadata)
            # Say in the schema what call_tool enforces: clients may check before sending.
            tool.parameters["additionalProperties"] = False

    # Prompts and resources registered from functions take their docstrings too; their
    # descriptions are cleaned as they are listed (templates have no registration hook).

    async def list_prompts(self) -> list[Prompt]:
        return [_dedented(prompt) for prompt in await super().list_prompts()]

    async def list_resources(self) -> list[Resource]:
        return [_dedented(resource) for resource in await super().list_resources()]

    async def list_resource_templates(self) -> list[ResourceTemplate]:
        return [_dedented(template) for template in await super().list_resource_templates()]

    async def run_stdio_async(self) -> None:
        # The SDK's loop over our stdio transport, which answers the lines it cannot read.
        await serve_stdio(self._lowlevel_server)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        schema = self._tool_input_schema(name)
        if schema is not None and (unknown := unknown_arguments(arguments, schema)):
            raise ToolError(unknown_arguments_refusal(name, unknown, schema))
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise  # a crash: the SDK keeps its details on the server
        except ToolError as err:
            cause = err.__cause__
            if isinstance(cause, ValidationError) and schema is not None:
                # Chained to the validation error: the SDK logs its field names.
                raise ToolError(schema_refusal(cause, schema)) from cause
            if isinstance(cause, ToolError):  # the tool's own refusal, already a sentence
                raise ToolError(str(cause)) from cause.__cause__
            raise


_Described = TypeVar("_Described", Prompt, Resource, ResourceTemplate)


def _dedented(item: _Described) -> _Described:
    if not item.description:
        return item
    return item.model_copy(update={"description": inspect.cleandoc(item.description)})


def build_server(journal: Journal) -> MCPServer:
    """Make the MCP server whose tools work on ``journal`` (already opened by the caller)."""
    server: MCPServer = JournalServer(
        SERVER_NAME,
        title="Task journal",
        version=__version__,
        instructions=INSTRUCTIONS,
    )

    register_tools(server, journal)
    register_resources(server, journal)
    return server
