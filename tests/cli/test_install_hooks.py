"""task-journal install-hooks: merging into Claude Code's settings.json, and out again.

Each test runs the installed command in a process whose HOME and working directory are
temporary folders, so the user scope is HOME/.claude/settings.json and the project scope
is the project's .claude/settings.json, as Claude Code reads them.
"""

import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import CLI, Outcome, run_cli

HOOK = shlex.join([str(CLI.absolute()), "hook", "session-start"])
CAPTURED = "Edit|MultiEdit|Write|NotebookEdit|Bash|mcp__.*__append_event"


def hook_group(name: str, matcher: str | None = None) -> dict[str, Any]:
    entry = {"type": "command", "command": shlex.join([str(CLI.absolute()), "hook", name])}
    return {"hooks": [entry]} if matcher is None else {"matcher": matcher, "hooks": [entry]}


# The whole set, as install-hooks writes it into settings that had no hooks.
WHOLE_SET: dict[str, Any] = {
    "SessionStart": [hook_group("session-start")],
    "UserPromptSubmit": [hook_group("user-prompt-submit")],
    "PostToolUse": [hook_group("post-tool-use", CAPTURED)],
    "Stop": [hook_group("stop")],
    "PreCompact": [hook_group("pre-compact")],
    "SessionEnd": [hook_group("session-end")],
}
STATUSLINE = shlex.join([str(CLI.absolute()), "statusline"])

# Settings as people have them: other hooks (one on SessionStart too), other keys.
EXISTING: dict[str, Any] = {
    "model": "opus",
    "env": {"BASH_DEFAULT_TIMEOUT_MS": "60000"},
    "permissions": {"allow": ["Bash(make test:*)"]},
    "hooks": {
        "PostToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "log-bash"}]}],
        "SessionStart": [
            {"matcher": "startup", "hooks": [{"type": "command", "command": "echo hello"}]}
        ],
    },
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / ".git").mkdir(parents=True)
    (folder / "src").mkdir()
    return folder


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    environ = {**os.environ, "HOME": str(home)}
    environ.pop("CLAUDE_CONFIG_DIR", None)
    return environ


def install(*args: str, env: dict[str, str], cwd: Path) -> Outcome:
    return run_cli("install-hooks", *args, env=env, cwd=cwd)


def user_settings(home: Path) -> Path:
    return home / ".claude" / "settings.json"


def write_settings(path: Path, document: object) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=4))
    return path.read_bytes()


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.*.bak"))


def our_hooks(document: dict[str, Any]) -> list[str]:
    return [
        entry["command"]
        for group in document.get("hooks", {}).get("SessionStart", [])
        for entry in group["hooks"]
        if entry["command"] == HOOK
    ]


def test_user_scope_creates_the_settings_with_the_whole_set_of_hooks(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    outcome = install(env=env, cwd=project)

    assert (outcome.status, outcome.stderr) == (0, "")
    settings = json.loads(user_settings(home).read_text())
    assert settings == {"hooks": WHOLE_SET}
    assert "added SessionStart hook" in outcome.stdout
    assert "added PostToolUse hook" in outcome.stdout
    assert backups(user_settings(home)) == []
    assert not (project / ".claude").exists()


def test_existing_hooks_and_keys_are_kept_and_the_old_file_backed_up(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    before = write_settings(user_settings(home), EXISTING)

    outcome = install(env=env, cwd=project)

    assert outcome.status == 0, outcome.stderr
    settings = json.loads(user_settings(home).read_text())
    expected = json.loads(json.dumps(EXISTING))
    for event, groups in WHOLE_SET.items():
        expected["hooks"].setdefault(event, []).extend(groups)
    assert settings == expected
    [backup] = backups(user_settings(home))
    assert backup.read_bytes() == before
    assert str(backup) in outcome.stdout


def test_installing_twice_changes_nothing_the_second_time(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    write_settings(user_settings(home), EXISTING)
    install("--statusline", env=env, cwd=project)
    after_first = user_settings(home).read_bytes()

    outcome = install("--statusline", env=env, cwd=project)

    assert outcome.status == 0, outcome.stderr
    assert "nothing changed" in outcome.stdout
    assert user_settings(home).read_bytes() == after_first
    assert len(backups(user_settings(home))) == 1
    assert our_hooks(json.loads(after_first)) == [HOOK]


def test_an_install_from_another_folder_replaces_the_old_entry(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    old = {
        "hooks": {
            "SessionStart": [
                {
                    "hooks": [
                        {
                            "type": "command",
                            "command": "/old/venv/bin/task-journal hook session-start",
                        }
                    ]
                }
            ]
        }
    }
    write_settings(user_settings(home), old)

    install(env=env, cwd=project)

    settings = json.loads(user_settings(home).read_text())
    assert settings == {"hooks": WHOLE_SET}


def test_statusline_sets_claude_codes_status_line(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    outcome = install("--statusline", env=env, cwd=project)

    assert outcome.status == 0, outcome.stderr
    settings = json.loads(user_settings(home).read_text())
    assert settings["statusLine"] == {"type": "command", "command": STATUSLINE}
    assert our_hooks(settings) == [HOOK]


def test_someone_elses_status_line_is_not_replaced(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    before = write_settings(
        user_settings(home), {"statusLine": {"type": "command", "command": "my-prompt"}}
    )

    outcome = install("--statusline", env=env, cwd=project)

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "statusLine" in outcome.stderr
    assert user_settings(home).read_bytes() == before
    assert backups(user_settings(home)) == []


def test_uninstall_takes_out_only_what_install_added(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    write_settings(user_settings(home), EXISTING)
    install("--statusline", env=env, cwd=project)

    outcome = install("--uninstall", env=env, cwd=project)

    assert outcome.status == 0, outcome.stderr
    assert json.loads(user_settings(home).read_text()) == EXISTING
    assert "removed SessionStart hook" in outcome.stdout
    assert "removed status line" in outcome.stdout
    assert len(backups(user_settings(home))) == 2


def test_uninstall_of_a_fresh_install_leaves_an_empty_document(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    install(env=env, cwd=project)

    install("--uninstall", env=env, cwd=project)

    assert json.loads(user_settings(home).read_text()) == {}


def test_uninstall_when_nothing_is_installed_changes_nothing(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    before = write_settings(user_settings(home), EXISTING)

    outcome = install("--uninstall", env=env, cwd=project)

    assert outcome.status == 0, outcome.stderr
    assert "nothing changed" in outcome.stdout
    assert user_settings(home).read_bytes() == before
    assert backups(user_settings(home)) == []


def test_project_scope_writes_the_project_roots_settings(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    shared = project / ".claude" / "settings.json"
    before = write_settings(shared, EXISTING)

    outcome = install("--scope", "project", env=env, cwd=project / "src")

    assert outcome.status == 0, outcome.stderr
    assert our_hooks(json.loads(shared.read_text())) == [HOOK]
    [backup] = backups(shared)
    assert backup.read_bytes() == before
    assert not user_settings(home).exists()

    install("--scope", "project", "--uninstall", env=env, cwd=project / "src")
    assert json.loads(shared.read_text()) == EXISTING


def test_claude_config_dir_moves_the_user_settings(
    home: Path, project: Path, env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "claude-config"

    install(env={**env, "CLAUDE_CONFIG_DIR": str(config)}, cwd=project)

    assert our_hooks(json.loads((config / "settings.json").read_text())) == [HOOK]
    assert not user_settings(home).exists()


def test_the_file_keeps_its_mode(home: Path, project: Path, env: dict[str, str]) -> None:
    write_settings(user_settings(home), EXISTING)
    user_settings(home).chmod(0o640)

    install(env=env, cwd=project)

    assert user_settings(home).stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    "content",
    [
        pytest.param('{"model": "opus",}', id="trailing-comma"),
        pytest.param("[]", id="not-an-object"),
        pytest.param('{"hooks": []}', id="hooks-not-an-object"),
        pytest.param('{"hooks": {"SessionStart": {"hooks": []}}}', id="session-start-not-a-list"),
        pytest.param('{"hooks": {"SessionStart": [{"hooks": "x"}]}}', id="group-hooks-not-a-list"),
    ],
)
@pytest.mark.parametrize("uninstall", [False, True], ids=["install", "uninstall"])
def test_malformed_settings_are_refused_and_left_untouched(
    home: Path, project: Path, env: dict[str, str], content: str, uninstall: bool
) -> None:
    path = user_settings(home)
    path.parent.mkdir(parents=True)
    path.write_text(content)

    outcome = install(*(["--uninstall"] if uninstall else []), env=env, cwd=project)

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr.startswith("task-journal: error: ")
    assert outcome.stderr.count("\n") == 1
    assert str(path) in outcome.stderr
    assert "nothing was changed" in outcome.stderr
    assert path.read_text() == content
    assert backups(path) == []


def test_the_installed_hook_command_runs_as_claude_code_runs_it(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    install(env=env, cwd=project)
    created = run_cli("create", "Flaky upload test", cwd=project).stdout.strip()
    [command] = our_hooks(json.loads(user_settings(home).read_text()))
    stdin = json.dumps(
        {
            "session_id": "3f1c2a9e-6b7d-4e2f-9a10-5c8d7e6f5a4b",
            "transcript_path": str(home / "transcript.jsonl"),
            "cwd": str(project),
            "hook_event_name": "SessionStart",
            "source": "startup",
        }
    )

    # Claude Code hands a command hook's string to the shell.
    done = subprocess.run(
        ["/bin/sh", "-c", command], input=stdin, capture_output=True, text=True, env=env, check=True
    )

    context = json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"]
    assert created in context


def test_no_capture_and_no_recall_leave_those_hooks_out(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    install(env=env, cwd=project)

    outcome = install("--no-capture", "--no-recall", env=env, cwd=project)

    assert outcome.status == 0, outcome.stderr
    settings = json.loads(user_settings(home).read_text())
    assert settings == {"hooks": {"SessionStart": WHOLE_SET["SessionStart"]}}
    assert "removed PostToolUse hook" in outcome.stdout
