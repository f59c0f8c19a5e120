"""The plugin's manifests say what Claude Code needs, and agree with the package."""

import re
import shlex
import tomllib

from server.cli import claude_settings
from tests.plugin.conftest import (
    HOOKS,
    LAUNCHER,
    MARKETPLACE,
    PLUGIN,
    PLUGIN_MANIFEST,
    PLUGIN_SERVERS,
    ROOT,
    hook_command,
    load,
)

# What install-hooks writes by default; --sync's entries are opt-in, so not in the plugin.
PLUGIN_SET = [entry for entry in claude_settings.HOOKS if entry.part != "sync"]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_the_plugin_the_marketplace_and_the_package_have_one_version() -> None:
    marketplace = load(MARKETPLACE)
    [entry] = marketplace["plugins"]

    assert load(PLUGIN_MANIFEST)["version"] == VERSION
    assert entry["version"] == VERSION
    assert marketplace["metadata"]["version"] == VERSION


def test_the_marketplace_offers_the_plugin_folder_alone() -> None:
    [entry] = load(MARKETPLACE)["plugins"]

    assert entry["name"] == load(PLUGIN_MANIFEST)["name"] == "task-journal"
    assert entry["source"] == "./plugin"
    assert load(MARKETPLACE)["name"] == "task-journal-mcp"


# What the plugin runs, linked from the repository; Claude Code copies a link's target
# when it lies inside the marketplace. Nothing else of a clone (.venv, caches, the
# Claude Code CLI of make claude-check) is in the folder, so an install copies none of it.
PLUGIN_FILES = {
    ".claude-plugin": None,
    ".mcp.json": None,
    "hooks": "../hooks",
    "skills": "../skills",
    "scripts": "../scripts",
    "journal_core": "../journal_core",
    "server": "../server",
    "pyproject.toml": "../pyproject.toml",
}


def test_the_plugin_folder_holds_only_what_the_plugin_runs() -> None:
    found = {
        path.name: str(path.readlink()) if path.is_symlink() else None for path in PLUGIN.iterdir()
    }

    assert found == PLUGIN_FILES
    assert sorted(path.name for path in (PLUGIN / ".claude-plugin").iterdir()) == ["plugin.json"]


def test_the_mcp_server_starts_through_the_launcher_from_the_plugin_root() -> None:
    # In the plugin's .mcp.json, where `claude plugin details` counts it ("MCP servers
    # (0)" when it was only in plugin.json).
    assert "mcpServers" not in load(PLUGIN_MANIFEST)
    server = load(PLUGIN_SERVERS)["mcpServers"]["task-journal"]

    assert server["command"] == "python3"
    assert server["args"] == [
        "${CLAUDE_PLUGIN_ROOT}/scripts/plugin_launcher.py",
        "task-journal-mcp",
    ]
    assert (ROOT / "scripts" / "plugin_launcher.py") == LAUNCHER
    assert LAUNCHER.is_file()


def test_the_session_start_hook_runs_the_cli_only_when_ready() -> None:
    words = shlex.split(hook_command())

    assert words == [
        "python3",
        "${CLAUDE_PLUGIN_ROOT}/scripts/plugin_launcher.py",
        "--if-ready",
        "task-journal",
        "hook",
        "session-start",
    ]
    assert list(load(HOOKS)["hooks"]) == [entry.event for entry in PLUGIN_SET]


def test_the_plugin_carries_the_same_hooks_as_install_hooks() -> None:
    prefix = 'python3 "${CLAUDE_PLUGIN_ROOT}/scripts/plugin_launcher.py" --if-ready task-journal '
    plugin = {
        event: [(group.get("matcher"), entry["command"]) for entry in group["hooks"]]
        for event, [group] in load(HOOKS)["hooks"].items()
    }

    assert plugin == {
        entry.event: [(entry.matcher, prefix + " ".join(entry.args))] for entry in PLUGIN_SET
    }


def test_the_skill_has_the_frontmatter_claude_code_reads() -> None:
    text = (ROOT / "skills" / "task-journal" / "SKILL.md").read_text()
    match = re.match(r"---\nname: (.+)\ndescription: (.+)\n---\n", text)

    assert match is not None
    assert match.group(1) == "task-journal"
    assert len(match.group(2)) < 1024
    assert len(text.split()) < 600  # short: it is loaded into the model's context
