"""The gaps in the MCP SDK that server/sdk/ fills, each checked on the bare SDK.

Each test passes while the SDK still has its gap. When one fails, the SDK does the
thing itself: its message names the workaround to remove (and this test with it).
"""

import json
import re
import subprocess
import sys
from typing import Annotated

import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

pytestmark = pytest.mark.anyio


def bare_server() -> MCPServer:
    """The SDK's own server, with tools like the journal's but none of server/sdk/."""
    server = MCPServer("bare")

    @server.tool()
    async def echo(key: str | None = None) -> str:
        """Say back the key.

        Returns it as Python writes it.
        """
        return repr(key)

    @server.tool()
    async def count_to(count: Annotated[int, Field(ge=1)]) -> str:
        """Count up to a number."""
        return ",".join(str(n) for n in range(1, count + 1))

    @server.tool()
    async def refuse() -> str:
        """Refuse, as a tool does when the request is wrong."""
        raise ToolError("no task starts with 'zz'")

    return server


async def test_the_sdk_still_parses_a_text_argument_that_reads_as_json() -> None:
    async with Client(bare_server()) as client:
        result = await client.call_tool("echo", {"key": "null"})
    assert result.content[0].text == "None", (  # type: ignore[union-attr]
        'the SDK now keeps a `str | None` argument "null" as sent: remove '
        "server/sdk/arguments.py and its fitting in JournalServer.add_tool"
    )


async def test_the_sdk_still_ignores_an_argument_a_tool_does_not_have() -> None:
    async with Client(bare_server()) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        result = await client.call_tool("echo", {"key": "a", "step": 1})
    refused = result.is_error or listed["echo"].input_schema.get("additionalProperties") is False
    assert not refused, (
        "the SDK now refuses an argument a tool does not have: remove the unknown-argument "
        "check of JournalServer.call_tool and the additionalProperties of JournalServer.add_tool"
    )


async def test_the_sdk_still_sends_a_docstring_with_its_indentation() -> None:
    async with Client(bare_server()) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert "\n        Returns" in str(listed["echo"].description), (
        "the SDK now dedents a docstring it sends as a description: remove the cleandoc of "
        "JournalServer.add_tool and its list_prompts/list_resources/list_resource_templates"
    )


async def test_the_sdk_still_refuses_a_bad_argument_with_a_validator_dump() -> None:
    async with Client(bare_server()) as client:
        result = await client.call_tool("count_to", {"count": 0})
    text = result.content[0].text  # type: ignore[union-attr]
    assert result.is_error
    dumped = text.startswith("Error executing tool count_to: ") and "validation error" in text
    assert dumped, (
        "the SDK now refuses a bad argument in a sentence of its own: remove "
        "server/sdk/refusals.py and the rewording in JournalServer.call_tool"
    )


async def test_the_sdk_still_prefixes_a_tools_own_refusal() -> None:
    async with Client(bare_server()) as client:
        result = await client.call_tool("refuse", {})
    assert result.content[0].text == (  # type: ignore[union-attr]
        "Error executing tool refuse: no task starts with 'zz'"
    ), (
        "the SDK now sends a tool's ToolError as it was raised: remove the unwrapping of "
        "the tool's own refusal in JournalServer.call_tool"
    )


# The SDK's stdio server, run as a client runs it: a process over pipes.
BARE_STDIO = """
import sys
import anyio.to_thread
from mcp.server import MCPServer

reads = 0
run_sync = anyio.to_thread.run_sync

async def counted(func, *args, **kwargs):
    global reads
    reads += getattr(func, "__name__", "") == "readline"
    return await run_sync(func, *args, **kwargs)

anyio.to_thread.run_sync = counted
MCPServer("bare").run()
print(f"readline threads: {reads}", file=sys.stderr)
"""


def ping(request_id: int) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "ping"}).encode() + b"\n"


def serve_bare(lines: list[bytes], answers: int) -> tuple[list[dict[str, object]], str]:
    """Write ``lines`` to the bare SDK's stdio server, read ``answers`` answers, then
    close its stdin: the answers and what it wrote on stderr."""
    process = subprocess.Popen(
        [sys.executable, "-c", BARE_STDIO],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        process.stdin.write(b"".join(lines))
        process.stdin.flush()
        # Each answer is read before stdin closes: at EOF the SDK drops those in flight.
        read = [json.loads(process.stdout.readline()) for _ in range(answers)]
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    return read, stderr.decode()


def test_the_sdk_stdio_still_leaves_a_line_it_cannot_read_unanswered() -> None:
    answers, _ = serve_bare([b"not json\n", ping(7)], answers=1)
    assert answers[0].get("id") == 7, (
        "the SDK's stdio transport now answers a line it cannot read: remove the answering "
        "of server/sdk/stdio.py (serve_stdio may then be the SDK's run_stdio_async)"
    )


def test_the_sdk_stdio_still_reads_each_line_in_a_worker_thread() -> None:
    answers, stderr = serve_bare([ping(1), ping(2), ping(3)], answers=3)
    assert [answer["id"] for answer in answers] == [1, 2, 3]
    found = re.search(r"readline threads: (\d+)", stderr)
    assert found, stderr
    assert int(found.group(1)) >= 3, (
        "the SDK's stdio transport no longer reads stdin in a worker thread per line: "
        "remove server/sdk/pipes.py once bench/roundtrip.py shows no gain from it"
    )


def test_the_sdk_still_gives_no_public_way_to_a_registered_tool_or_the_low_level_server() -> None:
    # JournalServer reaches MCPServer._tool_manager (to fit a tool's argument handling)
    # and MCPServer._lowlevel_server (to serve it on our stdio streams) for want of both.
    public = sorted(name for name in dir(MCPServer) if not name.startswith("_"))
    assert public == [
        "add_prompt",
        "add_resource",
        "add_tool",
        "call_tool",
        "completion",
        "custom_route",
        "description",
        "get_prompt",
        "icons",
        "instructions",
        "list_prompts",
        "list_resource_templates",
        "list_resources",
        "list_tools",
        "middleware",
        "name",
        "prompt",
        "read_resource",
        "remove_prompt",
        "remove_tool",
        "resource",
        "run",
        "run_sse_async",
        "run_stdio_async",
        "run_streamable_http_async",
        "session_manager",
        "sse_app",
        "streamable_http_app",
        "title",
        "tool",
        "version",
        "website_url",
    ], (
        "MCPServer's public names changed: if one now reaches a registered tool or runs "
        "the low-level server on given streams, use it in server/sdk/journal_server.py "
        "instead of _tool_manager or _lowlevel_server; then update this list"
    )
