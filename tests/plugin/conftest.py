"""The plugin's files, and running its commands as Claude Code runs them."""

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The plugin's own folder, which the marketplace offers: what a plugin install copies.
PLUGIN = ROOT / "plugin"
PLUGIN_MANIFEST = PLUGIN / ".claude-plugin" / "plugin.json"
PLUGIN_SERVERS = PLUGIN / ".mcp.json"
MARKETPLACE = ROOT / ".claude-plugin" / "marketplace.json"
HOOKS = ROOT / "hooks" / "hooks.json"
LAUNCHER = ROOT / "scripts" / "plugin_launcher.py"


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def expand(text: str, plugin_root: Path) -> str:
    """What Claude Code does to a plugin's command strings before running them."""
    return text.replace("${CLAUDE_PLUGIN_ROOT}", str(plugin_root))


def hook_command() -> str:
    [group] = load(HOOKS)["hooks"]["SessionStart"]
    [entry] = group["hooks"]
    command: str = entry["command"]
    return command


@pytest.fixture
def plugin_env(tmp_path: Path) -> dict[str, str]:
    """The environment Claude Code gives the plugin's server and hooks: its root and data
    folder, and none of the caller's journal settings; a private journal data dir."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TASK_JOURNAL_")}
    return {
        **inherited,
        "CLAUDE_PLUGIN_ROOT": str(PLUGIN),
        "CLAUDE_PLUGIN_DATA": str(tmp_path / "plugin-data"),
        "TASK_JOURNAL_DATA_DIR": str(tmp_path / "data"),
    }


@pytest.fixture
def ready_env(plugin_env: dict[str, str]) -> dict[str, str]:
    """As ``plugin_env``, with this interpreter (which has the dependencies) as the
    plugin's Python, so nothing is installed."""
    return {**plugin_env, "TASK_JOURNAL_PYTHON": sys.executable}
