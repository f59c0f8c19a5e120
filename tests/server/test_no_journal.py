"""Nothing is created until the first append (SPEC 5): starting the server, as `claude
mcp list` does to check it, and every read leave no journal, index or lock file."""

from pathlib import Path

import pytest
from mcp import Client

from tests.server.conftest import stdio_params

pytestmark = pytest.mark.anyio


async def test_starting_the_server_and_reading_create_no_file(
    server_command: Path, tmp_path: Path, child_env: dict[str, str]
) -> None:
    journal_path = tmp_path / "journals" / "project.jsonl"

    async with Client(stdio_params(server_command, journal_path, child_env)) as client:
        for tool, arguments in (
            ("list_tasks", {}),
            ("read_events", {}),
            ("search_events", {"query": "upload"}),
            ("flush", {}),
        ):
            result = await client.call_tool(tool, arguments)
            assert not result.is_error, (tool, result.content)
        await client.read_resource("journal://tasks")
        assert not (tmp_path / "journals").exists()
        assert not (tmp_path / "data").exists()

        opened = await client.call_tool("append_event", {"type": "open", "text": "The first"})

    assert not opened.is_error, opened.content
    assert journal_path.exists()
