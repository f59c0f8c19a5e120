"""make claude-check, run when the Claude Code CLI is already here.

The check clones the committed HEAD, installs it as a plugin with the real CLI and needs
its MCP server Connected; the plugin's first start installs its dependencies with pip.
Installing the CLI itself is a download, so this test never does it: it runs only once
``make claude-check`` has put the CLI in .claude-check/ (or CLAUDE_BIN names one).
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.plugin.conftest import ROOT

pytestmark = pytest.mark.slow


def claude_cli() -> Path | None:
    named = os.environ.get("CLAUDE_BIN")
    if named:
        return Path(named)
    local = ROOT / ".claude-check" / "node_modules" / ".bin" / "claude"
    if local.exists():
        return local
    found = shutil.which("claude")
    return Path(found) if found else None


def test_claude_code_installs_the_plugin_and_connects_to_its_server() -> None:
    claude = claude_cli()
    if claude is None:
        pytest.skip(
            "the Claude Code CLI is not installed here: run 'make claude-check' once (it "
            "installs it into .claude-check/), or set CLAUDE_BIN"
        )
    if shutil.which("git") is None:
        pytest.skip("git is needed to clone the repository for the check")

    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "claude-check.sh")],
        capture_output=True,
        text=True,
        env={**os.environ, "CLAUDE_BIN": str(claude)},
        timeout=600,
        check=False,
    )

    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "✔ Validation passed" in done.stdout
    assert "Successfully installed plugin: task-journal@task-journal-mcp" in done.stdout
    assert "the install copied " in done.stdout  # at most a few MB, or the script fails
    assert "MCP servers (1)" in done.stdout
    [server] = [
        line for line in done.stdout.splitlines() if line.startswith("plugin:task-journal:")
    ]
    assert server.endswith("✔ Connected"), server
