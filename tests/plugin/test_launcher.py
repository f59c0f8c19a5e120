"""The plugin's launcher runs the server and the hook as Claude Code starts them.

These run offline: TASK_JOURNAL_PYTHON names this interpreter, which has the
dependencies. Making the virtualenv needs a package index, so it is covered by
``make claude-check`` (tests/plugin/test_claude_check.py) instead.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from mcp import Client, StdioServerParameters

from journal_core.location import project_hash
from tests.plugin.conftest import (
    LAUNCHER,
    PLUGIN,
    PLUGIN_SERVERS,
    ROOT,
    expand,
    hook_command,
    load,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / ".git").mkdir(parents=True)
    return folder


def launcher_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("plugin_launcher", LAUNCHER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_hook(env: dict[str, str], stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Claude Code hands a command hook's string, its variables expanded, to the shell.
    return subprocess.run(
        ["/bin/sh", "-c", expand(hook_command(), PLUGIN)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def session_start(project: Path) -> str:
    return json.dumps(
        {
            "session_id": "3f1c2a9e-6b7d-4e2f-9a10-5c8d7e6f5a4b",
            "transcript_path": str(project / "transcript.jsonl"),
            "cwd": str(project),
            "hook_event_name": "SessionStart",
            "source": "startup",
        }
    )


async def test_the_plugins_server_serves_the_projects_journal(
    project: Path, ready_env: dict[str, str]
) -> None:
    server = load(PLUGIN_SERVERS)["mcpServers"]["task-journal"]
    params = StdioServerParameters(
        command=server["command"],
        args=[expand(arg, PLUGIN) for arg in server["args"]],
        env=ready_env,
        cwd=project,  # Claude Code starts it in the project
    )

    async with Client(params) as client:
        result = await client.call_tool("append_event", {"type": "open", "text": "From the plugin"})

    assert not result.is_error, result.content
    assert result.structured_content is not None
    journal = Path(ready_env["TASK_JOURNAL_DATA_DIR"]) / "events" / f"{project_hash(project)}.jsonl"
    assert result.structured_content["task_id"] in journal.read_text()


async def test_a_copy_of_the_plugin_folder_with_its_links_followed_serves(
    project: Path, ready_env: dict[str, str], tmp_path: Path
) -> None:
    # What a plugin install leaves in Claude Code's cache: the folder, each link replaced
    # by a copy of what it names, and nothing else of the clone.
    copy = tmp_path / "cache" / "task-journal"
    shutil.copytree(PLUGIN, copy, symlinks=False, ignore=shutil.ignore_patterns("__pycache__"))
    server = load(copy / ".mcp.json")["mcpServers"]["task-journal"]
    params = StdioServerParameters(
        command=server["command"],
        args=[expand(arg, copy) for arg in server["args"]],
        env={**ready_env, "CLAUDE_PLUGIN_ROOT": str(copy)},
        cwd=project,
    )

    async with Client(params) as client:
        result = await client.call_tool("append_event", {"type": "open", "text": "From a copy"})

    assert not result.is_error, result.content
    size = sum(path.stat().st_size for path in copy.rglob("*") if path.is_file())
    assert size < 2 * 1024 * 1024, size


def test_the_plugins_hook_prints_the_briefing(project: Path, ready_env: dict[str, str]) -> None:
    created = subprocess.run(
        [sys.executable, str(LAUNCHER), "task-journal", "create", "Flaky upload test"],
        capture_output=True,
        text=True,
        env=ready_env,
        cwd=project,
        check=True,
    ).stdout.strip()

    done = run_hook(ready_env, session_start(project), project)

    assert (done.returncode, done.stderr) == (0, "")
    context = json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"]
    assert created in context


def test_the_hook_before_the_environment_is_made_exits_0_at_once(
    project: Path, plugin_env: dict[str, str]
) -> None:
    done = run_hook(plugin_env, session_start(project), project)

    assert (done.returncode, done.stdout) == (0, "")
    assert "not made yet" in done.stderr
    assert not Path(plugin_env["CLAUDE_PLUGIN_DATA"], "venv").exists()


def test_a_made_environment_is_used_without_installing(
    project: Path, plugin_env: dict[str, str]
) -> None:
    launcher = launcher_module()
    venv = Path(plugin_env["CLAUDE_PLUGIN_DATA"]) / "venv"
    # A stand-in virtualenv: its python runs this interpreter (it has the dependencies),
    # and the stamp is the one the launcher writes for these requirements and this Python.
    python = venv / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    (venv / "task-journal-stamp").write_text(launcher.wanted_stamp(launcher.dependencies()))

    done = subprocess.run(
        [sys.executable, str(LAUNCHER), "--if-ready", "task-journal", "--version"],
        capture_output=True,
        text=True,
        env=plugin_env,
        cwd=project,
        check=False,
    )

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("task-journal ")


def test_a_stale_stamp_is_not_ready(
    plugin_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    launcher = launcher_module()
    venv = Path(plugin_env["CLAUDE_PLUGIN_DATA"]) / "venv"
    venv.mkdir(parents=True)
    (venv / "task-journal-stamp").write_text(launcher.wanted_stamp(["mcp<2"]))

    assert not launcher.is_ready(venv, launcher.wanted_stamp(launcher.dependencies()))


def test_the_program_runs_with_the_plugin_folder_first_on_the_path(
    project: Path, plugin_env: dict[str, str]
) -> None:
    # A stand-in Python that shows what the launcher hands it.
    python = project / "show-python"
    python.write_text('#!/bin/sh\necho "$PYTHONPATH"\necho "$@"\n')
    python.chmod(0o755)
    env = {**plugin_env, "TASK_JOURNAL_PYTHON": str(python), "PYTHONPATH": "/elsewhere"}

    done = subprocess.run(
        [sys.executable, str(LAUNCHER), "task-journal", "path", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )

    assert done.stdout.splitlines() == [f"{ROOT}:/elsewhere", "-m server.cli path --json"]


def test_an_unknown_program_is_a_usage_error(ready_env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, str(LAUNCHER), "bash"],
        capture_output=True,
        text=True,
        env=ready_env,
        check=False,
    )

    assert (done.returncode, done.stdout) == (2, "")
    assert "usage:" in done.stderr


def test_a_missing_python_is_reported_not_a_traceback(
    project: Path, plugin_env: dict[str, str]
) -> None:
    env = {**plugin_env, "TASK_JOURNAL_PYTHON": os.fspath(project / "no-python")}

    done = subprocess.run(
        [sys.executable, str(LAUNCHER), "task-journal-mcp"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )

    assert (done.returncode, done.stdout) == (3, "")
    assert "TASK_JOURNAL_PYTHON" in done.stderr
    assert "Traceback" not in done.stderr
