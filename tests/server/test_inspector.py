"""A real third-party client, the MCP Inspector's CLI, lists the tools and appends an event."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# The first run downloads the inspector from the npm registry.
NPX_TIMEOUT = 600
# Pinned: every release after 0.15.0 declares Node >= 22, and an unpinned npx takes the
# newest on a fresh machine. 0.15.0 is the last that runs on Node 20.
INSPECTOR = "@modelcontextprotocol/inspector@0.15.0"


@pytest.fixture
def npx() -> str:
    found = shutil.which("npx")
    if found is None:
        pytest.fail("npx is missing: install Node.js 20+ and npm to run the MCP Inspector test")
    return found


def inspector(
    npx: str, server_command: Path, journal_path: Path, env: dict[str, str], *method: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            npx,
            "-y",
            INSPECTOR,
            "--cli",
            "-e",
            f"TASK_JOURNAL_PATH={journal_path}",
            str(server_command),
            *method,
        ],
        capture_output=True,
        text=True,
        timeout=NPX_TIMEOUT,
        env={**env, "NO_UPDATE_NOTIFIER": "1"},
        check=False,
    )


def test_inspector_lists_the_tools(
    npx: str, server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    done = inspector(npx, server_command, journal_path, child_env, "--method", "tools/list")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert sorted(tool["name"] for tool in listed["tools"]) == [
        "append_event",
        "flush",
        "list_tasks",
        "read_events",
        "search_events",
    ]


def test_inspector_appends_an_event(
    npx: str, server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    done = inspector(
        npx,
        server_command,
        journal_path,
        child_env,
        "--method",
        "tools/call",
        "--tool-name",
        "append_event",
        "--tool-arg",
        "type=open",
        "text=Opened from the MCP Inspector",
        "title=Inspector",
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    task_id = answer["structuredContent"]["task_id"]
    [line] = journal_path.read_text().splitlines()
    written = json.loads(line)
    assert (written["task_id"], written["text"]) == (task_id, "Opened from the MCP Inspector")
