"""The journal's MCP resources and prompts (SPEC §9).

Resources: ``journal://tasks`` (the task list, most recently active first, as JSON) and
the template ``journal://tasks/{task_id}`` (that task's full pack, as Markdown). Prompts:
``resume`` (the briefing of the open tasks) and ``resume_task`` (one task's pack). They
read the journal in a worker thread, as the tools do; a refusal reaches the client as
a protocol error carrying the core's message. Journal text in a pack or a briefing is
given inside ``data_block``'s block, as data (SPEC 9).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import anyio.to_thread
import msgspec
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from pydantic import Field

from journal_core import MAX_LIMIT, Journal, JournalError, TaskNotFound, data_block
from server.tools.errors import error_text

__all__ = ["TASKS_URI", "TASK_URI_TEMPLATE", "register_resources"]

TASKS_URI = "journal://tasks"
TASK_URI_TEMPLATE = "journal://tasks/{task_id}"
# What resume_task embeds: more than a compact pack, since the user asked for this task.
RESUME_TASK_TOKENS = 4_000

_T = TypeVar("_T")
_encoder = msgspec.json.Encoder()


async def _read(call: Callable[[], _T], refused: Callable[[JournalError], Exception]) -> _T:
    """Run one journal read off the event loop; a refusal becomes ``refused(error)``."""
    try:
        return await anyio.to_thread.run_sync(call)
    except JournalError as err:
        raise refused(err) from err


def _resource_error(err: JournalError) -> Exception:
    if isinstance(err, TaskNotFound):
        return ResourceNotFoundError(error_text(err))
    return ResourceError(error_text(err))


def _prompt_error(err: JournalError) -> Exception:
    return MCPError(INVALID_PARAMS, error_text(err))


def register_resources(server: MCPServer, journal: Journal) -> None:
    """Add the journal's resources and prompts to ``server``, each reading ``journal``."""

    @server.resource(
        TASKS_URI,
        name="tasks",
        title="Tasks in the journal",
        description="Every task (open and closed), most recently active first: "
        "task_id, title, status, created_at, last_event_at, event_count.",
        mime_type="application/json",
    )
    async def tasks() -> str:
        page = await _read(
            lambda: journal.list_tasks(status="any", limit=MAX_LIMIT), _resource_error
        )
        return _encoder.encode(page).decode()

    @server.resource(
        TASK_URI_TEMPLATE,
        name="task",
        title="A task's full pack",
        description="One task as a briefing to resume from (its full pack): goal, "
        "decisions, rejections, open hypotheses, findings, evidence, artifacts, lifecycle.",
        mime_type="text/markdown",
    )
    async def task(task_id: str) -> str:
        pack = await _read(
            lambda: journal.task_pack(task_id, mode="full", as_data=True), _resource_error
        )
        return pack.markdown

    @server.prompt(
        name="resume",
        title="Resume work from the task journal",
        description="The briefing of this project's open tasks, most recently active first.",
    )
    async def resume() -> str:
        briefing = await _read(journal.resume, _prompt_error)
        if not briefing.markdown:
            return (
                "The task journal has no open task. Start one with "
                'append_event(type="open", title=..., goal=..., text=...) when work begins.'
            )
        return (
            "Here is the task journal's briefing of the open tasks. Pick up the task the "
            "user means (ask if unsure), call task_pack for any other, and keep journaling "
            "as you work.\n\n" + data_block(briefing.markdown)
        )

    @server.prompt(
        name="resume_task",
        title="Resume one task",
        description="One task's pack, to carry on where it was left.",
    )
    async def resume_task(
        task_id: Annotated[str, Field(description="The task to resume, like tj-8f3k2m9q1z.")],
    ) -> str:
        pack = await _read(
            lambda: journal.task_pack(
                task_id, mode="full", budget_tokens=RESUME_TASK_TOKENS, as_data=True
            ),
            _prompt_error,
        )
        reopen = (
            ' It is closed: append type="reopen" with the reason before working on it.'
            if pack.status == "closed"
            else ""
        )
        return (
            f"Resume the task {pack.task_id} from its journal below. Do not retry what it "
            f"rejected; record new findings, decisions and rejections as they happen.{reopen}"
            f"\n\n{pack.markdown}"
        )
