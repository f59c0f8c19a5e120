"""Every entry of mcp.json.example starts a working server, as its client would start it."""

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from journal_core.location import project_hash
from tests.server.conftest import call_ok

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[2] / "mcp.json.example"
CLIENTS = json.loads(EXAMPLE.read_text())


def server_entry(client: str) -> dict[str, Any]:
    content = CLIENTS[client]["content"]
    # VS Code names the table "servers"; the others "mcpServers".
    servers = content["servers"] if client == "vscode" else content["mcpServers"]
    entry: dict[str, Any] = servers["task-journal"]
    return entry


def test_the_example_covers_the_four_clients() -> None:
    assert sorted(CLIENTS) == ["claude-code", "claude-desktop", "cursor", "vscode"]


@pytest.mark.parametrize("client", sorted(CLIENTS))
async def test_client_entry_starts_a_server_on_the_projects_journal(
    client: str, server_command: Path, tmp_path: Path, child_env: dict[str, str]
) -> None:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    home = tmp_path / "home"
    home.mkdir()
    entry = server_entry(client)
    # What the editor does: expand its variables, run the command from PATH in the project.
    args = [arg.replace("${workspaceFolder}", str(project)) for arg in entry["args"]]
    path = f"{server_command.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    params = StdioServerParameters(
        command=entry["command"],
        args=args,
        env={**child_env, **entry.get("env", {}), "PATH": path, "HOME": str(home)},
        cwd=project,
    )
    async with Client(params) as connected:
        opened = await call_ok(connected, "append_event", {"type": "open", "text": client})
    if client == "claude-desktop":
        # No project there: the entry names a journal of its own, under the user's home.
        journal = home / "task-journal" / "desktop.jsonl"
    else:
        events = Path(child_env["TASK_JOURNAL_DATA_DIR"]) / "events"
        journal = events / f"{project_hash(project)}.jsonl"
    assert opened["task_id"] in journal.read_text()


def test_the_readme_gives_claude_desktop_the_examples_arguments() -> None:
    readme = (EXAMPLE.parent / "README.md").read_text()
    entry = {"mcpServers": {"task-journal": server_entry("claude-desktop")}}

    assert json.dumps(entry) in readme
