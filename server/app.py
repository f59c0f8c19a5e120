"""The MCP server: the journal's tools, resources and prompts over one Journal, and the
instructions sent at initialize. The tools are in ``server.tools``, the resources and
prompts in ``server.resources``, the workarounds for the SDK in ``server.sdk``."""

from __future__ import annotations

from mcp.server import MCPServer

from journal_core import Journal
from server import __version__
from server.resources import register_resources
from server.sdk.journal_server import JournalServer
from server.tools import register_tools

__all__ = ["INSTRUCTIONS", "SERVER_NAME", "build_server"]

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
