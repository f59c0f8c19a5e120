"""``JournalServer``: the SDK's ``MCPServer`` with the journal's rules for every tool.

The gaps it fills, in mcp 2.x: a tool's description is its raw docstring, indentation
and all; an argument a tool does not have is silently ignored; string arguments are
pre-parsed as JSON (``arguments``); a refusal reaches the client as "Error executing
tool NAME: " and a validator dump (``refusals``); stdio drops a line it cannot read
(``stdio``). It reaches private names for them: ``_tool_manager`` (to swap a tool's
argument metadata and close its input schema) and ``_lowlevel_server`` (to run our
stdio transport). Remove each part when the SDK does the same itself, or gives a public
hook for it (mcp 2.3's ``server.middleware`` may carry the ``call_tool`` part): the
tests in tests/server (test_schemas, test_bad_inputs, test_string_arguments) say what
each part must keep doing.
"""

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

from server.sdk.arguments import TextKeptMetadata
from server.sdk.refusals import schema_refusal, unknown_arguments, unknown_arguments_refusal
from server.sdk.stdio import serve_stdio

__all__ = ["JournalServer"]


class JournalServer(MCPServer):
    """The SDK's server with the journal's rules for every tool registered on it.

    - A tool's description is its docstring without the docstring's indentation, and so
      are a prompt's and a resource's.
    - An argument the tool does not have is refused by name, not ignored.
    - A string argument reaches the tool as sent, even one that reads as JSON
      (sdk.arguments).
    - Over stdio, a line the SDK cannot read still gets a JSON-RPC error (sdk.stdio).
    - A refusal (bad arguments, or a ToolError the tool raised) reaches the client as
      its own sentence, without the SDK's "Error executing tool NAME:" prefix and with
      schema errors reworded from the validator's dump (sdk.refusals).
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
