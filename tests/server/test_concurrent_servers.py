"""Two server processes and a third writer append to one journal at once; nothing is lost."""

import json
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client

from tests.server.conftest import call_ok, stdio_params

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

PER_SERVER = 60
BY_THIRD_PROCESS = 60

# The third writer uses the library directly, the way a hook or the CLI would.
THIRD_WRITER = """
import sys
from pathlib import Path
from journal_core import Journal, Settings, new_event

journal = Journal(Settings(journal_path=Path(sys.argv[1])))
journal.open()
for n in range(int(sys.argv[3])):
    journal.append(new_event(type="finding", task_id=sys.argv[2], text=f"third {n}"))
journal.close()
"""


async def append_many(client: Client, task_id: str, name: str) -> None:
    async with anyio.create_task_group() as group:
        for n in range(PER_SERVER):
            group.start_soon(
                call_ok,
                client,
                "append_event",
                {"type": "finding", "task_id": task_id, "text": f"{name} {n}"},
            )


async def test_two_servers_and_a_third_process_lose_no_event(
    server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    async with (
        Client(stdio_params(server_command, journal_path, child_env)) as first,
        Client(stdio_params(server_command, journal_path, child_env)) as second,
    ):
        opened = await call_ok(first, "append_event", {"type": "open", "text": "shared"})
        task_id = opened["task_id"]
        third = await anyio.open_process(
            [sys.executable, "-c", THIRD_WRITER, str(journal_path), task_id, str(BY_THIRD_PROCESS)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None,
        )
        async with third, anyio.create_task_group() as group:
            group.start_soon(append_many, first, task_id, "first")
            group.start_soon(append_many, second, task_id, "second")
        assert third.returncode == 0
        page = await call_ok(second, "list_tasks", {})

    lines = journal_path.read_bytes().split(b"\n")
    assert lines.pop() == b""
    events = [json.loads(line) for line in lines]
    assert len(events) == 1 + 2 * PER_SERVER + BY_THIRD_PROCESS
    assert len({event["event_id"] for event in events}) == len(events)
    texts = {event["text"] for event in events}
    for name, count in (("first", PER_SERVER), ("second", PER_SERVER), ("third", BY_THIRD_PROCESS)):
        assert {f"{name} {n}" for n in range(count)} <= texts
    assert page["tasks"][0]["event_count"] == len(events)
