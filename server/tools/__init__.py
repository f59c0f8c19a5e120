"""The journal's MCP tools, one module each: a plain function of the journal and the
tool's arguments, with its title and hints.

Each tool takes its arguments, calls the core in a worker thread (lock waits and
fsync block; an append with nothing to wait for runs in place) and shapes the
result. The tools' docstrings are their descriptions: they are written for the
model. ``register_tools`` binds each to the journal, keeping its signature less the
journal, from which the SDK makes the input schema.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server import MCPServer

from journal_core import Journal
from server.tools import (
    append_event,
    flush,
    list_tasks,
    read_events,
    search_events,
    task_pack,
)

__all__ = ["register_tools"]

# In the order tools/list gives them.
_TOOLS = (append_event, flush, read_events, list_tasks, task_pack, search_events)


def register_tools(server: MCPServer, journal: Journal) -> None:
    """Add the journal's tools to ``server``, each working on ``journal``."""
    for module in _TOOLS:
        tool = getattr(module, module.__name__.rpartition(".")[2])
        server.tool(title=module.TITLE, annotations=module.ANNOTATIONS)(_bound(tool, journal))


def _bound(tool: Callable[..., Awaitable[Any]], journal: Journal) -> Callable[..., Awaitable[Any]]:
    """``tool`` with ``journal`` given: the same name, docstring and signature, less the
    journal (resolved here, in the tool's own module, as the SDK would)."""
    signature = inspect.signature(tool, eval_str=True)
    parameters = list(signature.parameters.values())[1:]

    @functools.wraps(tool)
    async def call(**arguments: Any) -> Any:
        return await tool(journal, **arguments)

    call.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return call
