"""The settings.json merge itself, on documents: what counts as ours, and quoting."""

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
        "'/Users/me/My Tools/venv/bin/task-journal' hook session-start"
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

    assert session_start_commands(document) == [command, "task-journal hook session-start"]


def test_a_foreign_status_line_is_refused_before_anything_changes() -> None:
    document: dict[str, Any] = {"statusLine": {"type": "command", "command": "starship prompt"}}

    with pytest.raises(InvalidSetting, match="statusLine"):
        claude_settings.install(document, "task-journal", statusline=True, path=SETTINGS)

    assert document == {"statusLine": {"type": "command", "command": "starship prompt"}}
