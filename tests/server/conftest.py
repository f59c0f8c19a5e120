"""Fixtures for the MCP server: an in-process server, and the installed command as a child."""

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from journal_core import Journal, Settings
from server.app import build_server


@pytest.fixture
def server_command() -> Path:
    """The installed task-journal-mcp console script of the interpreter running the tests."""
    script = Path(sys.executable).parent / "task-journal-mcp"
    if not script.exists():
        pytest.fail(f"{script} is missing: install the project first (make test does)")
    return script


@pytest.fixture
def child_env(tmp_path: Path) -> dict[str, str]:
    """Environment for server children: none of the caller's TASK_JOURNAL_* settings, and a
    private data dir, so that no test reads or touches the user's journals."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TASK_JOURNAL_")}
    return {**inherited, "TASK_JOURNAL_DATA_DIR": str(tmp_path / "data")}


def stdio_params(
    command: Path, journal_path: Path, env: dict[str, str], *extra: str
) -> StdioServerParameters:
    """How to start the installed server as a stdio child on ``journal_path``."""
    return StdioServerParameters(
        command=str(command), args=["--journal", str(journal_path), *extra], env=env
    )


@asynccontextmanager
async def connected_to(
    kind: str, journal_path: Path, server_command: Path, child_env: dict[str, str]
) -> AsyncIterator[Client]:
    """A client of a server on ``journal_path``, in this process or as a stdio child."""
    if kind == "in-process":
        journal = Journal(Settings(journal_path=journal_path))
        journal.open()
        try:
            # legacy mode: real JSON-RPC framing and the initialize handshake.
            async with Client(build_server(journal), mode="legacy") as client:
                yield client
        finally:
            journal.close()
    else:
        async with Client(stdio_params(server_command, journal_path, child_env)) as client:
            yield client


@pytest.fixture(params=["in-process", "stdio"])
async def client(
    request: pytest.FixtureRequest,
    journal_path: Path,
    server_command: Path,
    child_env: dict[str, str],
) -> AsyncIterator[Client]:
    """A connected client: once to the server in this process, once to a real stdio child."""
    async with connected_to(request.param, journal_path, server_command, child_env) as connected:
        yield connected


@pytest.fixture
async def in_process_client(
    journal_path: Path, server_command: Path, child_env: dict[str, str]
) -> AsyncIterator[Client]:
    """A client of the server in this process, for behaviours the stdio runs add nothing to."""
    async with connected_to("in-process", journal_path, server_command, child_env) as connected:
        yield connected


async def call_ok(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured content."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    content: dict[str, Any] | None = result.structured_content
    assert content is not None
    return content
