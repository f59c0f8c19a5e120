"""The settings.json merge itself, on documents: what counts as ours, and quoting."""

import json
from pathlib import Path
from typing import Any

import pytest

from journal_core import InvalidSetting
from server.cli import claude_settings

SETTINGS = Path("settings.json")


def session_start_commands(document: dict[str, Any]) -> list[str]:
    return [
        entry["command"] for group in document["hooks"]["SessionStart"] for entry in group["hooks"]
    ]


def test_a_program_path_with_spaces_is_quoted_and_still_ours() -> None:
    document: dict[str, Any] = {}
    program = "/Users/me/My Tools/venv/bin/task-journal"

    claude_settings.install(document, program, statusline=True, path=SETTINGS)

    assert session_start_commands(document) == [
        "TASK_JOURNAL_HOOK=session-start '/Users/me/My Tools/venv/bin/task-journal' hook "
        "session-start"
    ]
    assert claude_settings.install(document, program, statusline=True, path=SETTINGS) == []
    assert claude_settings.uninstall(document) == [
        "removed SessionStart hook",
        "removed UserPromptSubmit hook",
        "removed PostToolUse hook",
        "removed Stop hook",
        "removed PreCompact hook",
        "removed SessionEnd hook",
        "removed status line",
    ]
    assert document == {}


@pytest.mark.parametrize(
    "command",
    [
        pytest.param("task-journal hook session-start --verbose", id="more-arguments"),
        pytest.param("task-journal-dev hook session-start", id="other-program"),
        pytest.param("echo task-journal hook session-start", id="mentioned-only"),
        pytest.param("task-journal 'hook session-start", id="unbalanced-quote"),
    ],
)
def test_a_command_that_only_looks_like_ours_is_left_alone(command: str) -> None:
    document: dict[str, Any] = {
        "hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": command}]}]}
    }

    assert claude_settings.uninstall(document) == []
    claude_settings.install(document, "task-journal", statusline=False, path=SETTINGS)

    assert session_start_commands(document) == [
        command,
        "TASK_JOURNAL_HOOK=session-start task-journal hook session-start",
    ]


def test_a_foreign_status_line_is_refused_before_anything_changes() -> None:
    document: dict[str, Any] = {"statusLine": {"type": "command", "command": "starship prompt"}}

    with pytest.raises(InvalidSetting, match="statusLine"):
        claude_settings.install(document, "task-journal", statusline=True, path=SETTINGS)

    assert document == {"statusLine": {"type": "command", "command": "starship prompt"}}


@pytest.mark.parametrize(
    "edited",
    [
        pytest.param("{} 2>/dev/null", id="output-silenced"),
        pytest.param("nice {}", id="wrapped"),
        pytest.param("{} || true", id="failure-ignored"),
    ],
)
def test_an_edited_entry_is_still_ours(edited: str) -> None:
    document: dict[str, Any] = {}
    claude_settings.install(document, "task-journal", statusline=False, path=SETTINGS)
    [installed] = session_start_commands(document)
    document["hooks"]["SessionStart"][0]["hooks"][0]["command"] = edited.format(installed)

    assert claude_settings.install(document, "task-journal", statusline=False, path=SETTINGS) == []
    assert session_start_commands(document) == [edited.format(installed)]
    assert claude_settings.uninstall(document)[0] == "removed SessionStart hook"
    assert document == {}


def test_an_entry_of_an_older_version_is_replaced_by_a_marked_one() -> None:
    document: dict[str, Any] = {
        "hooks": {
            "SessionStart": [
                {
                    "hooks": [
                        {"type": "command", "command": "/old/bin/task-journal hook session-start"}
                    ]
                }
            ]
        }
    }

    changes = claude_settings.install(document, "task-journal", statusline=False, path=SETTINGS)

    assert changes[0] == "added SessionStart hook: " + claude_settings.HOOKS[0].command(
        "task-journal"
    )
    assert session_start_commands(document) == [
        "TASK_JOURNAL_HOOK=session-start task-journal hook session-start"
    ]


def test_every_entry_is_installed_and_uninstalled_from_the_one_list() -> None:
    document: dict[str, Any] = {}

    claude_settings.install(document, "task-journal", statusline=True, path=SETTINGS)

    found = [entry for entry, _ in claude_settings.our_commands(document)]
    assert found == [
        *(entry for entry in claude_settings.HOOKS if entry.part != "sync"),
        claude_settings.STATUS_LINE,
    ]
    assert claude_settings.uninstall(document) == [f"removed {entry.label}" for entry in found]


def test_sync_entries_are_installed_only_when_asked_and_uninstalled_with_the_rest() -> None:
    document: dict[str, Any] = {}
    program = "task-journal"

    claude_settings.install(document, program, statusline=False, path=SETTINGS)
    assert "sync" not in json.dumps(document)
    changes = claude_settings.install(
        document, program, statusline=False, path=SETTINGS, parts=claude_settings.PARTS
    )

    sync = "task-journal sync --hook"
    assert changes == [
        f"added SessionStart sync hook: TASK_JOURNAL_HOOK=sync-start {sync} --pull",
        f"added SessionEnd sync hook: TASK_JOURNAL_HOOK=sync-end {sync} --push",
    ]
    assert claude_settings.uninstall(document)[-2:] == [
        "removed SessionStart sync hook",
        "removed SessionEnd sync hook",
    ]
    assert document == {}
    assert document == {}
