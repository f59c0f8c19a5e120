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


def marked(name: str, *args: str) -> str:
    """A command as install-hooks writes it into the user settings."""
    return f"TASK_JOURNAL_HOOK={name} " + shlex.join([str(CLI.absolute()), *args])


HOOK = marked("session-start", "hook", "session-start")
CAPTURED = "Edit|MultiEdit|Write|NotebookEdit|Bash|mcp__.*__append_event"


def hook_group(name: str, matcher: str | None = None) -> dict[str, Any]:
    entry = {"type": "command", "command": marked(name, "hook", name)}
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
STATUSLINE = marked("statusline", "statusline")
# Project settings are shared: their command is found on PATH on each machine.
PROJECT_HOOK = "TASK_JOURNAL_HOOK=session-start task-journal hook session-start"

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
    """The backups of ``path``, which are kept in the data folder, never beside it."""
    assert not list(path.parent.glob("*.bak")), "a backup was left beside the settings"
    data = Path(os.environ["TASK_JOURNAL_DATA_DIR"])
    return sorted(data.glob(f"claude-settings/*/{path.name}.*.bak"))


def our_hooks(document: dict[str, Any]) -> list[str]:
    return [
        entry["command"]
        for group in document.get("hooks", {}).get("SessionStart", [])
        for entry in group["hooks"]
        if entry["command"] in (HOOK, PROJECT_HOOK)
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
    assert our_hooks(json.loads(shared.read_text())) == [PROJECT_HOOK]
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


def test_project_scope_runs_task_journal_found_on_path(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    outcome = install("--scope", "project", "--statusline", env=env, cwd=project)

    assert outcome.status == 0, outcome.stderr
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    commands = [settings["statusLine"]["command"], *our_hooks(settings)]
    assert commands == ["TASK_JOURNAL_HOOK=statusline task-journal statusline", PROJECT_HOOK]
    assert str(CLI.parent) not in json.dumps(settings)


def test_backups_are_kept_outside_the_repository_readable_by_the_owner_only(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    shared = project / ".claude" / "settings.json"
    before = write_settings(shared, EXISTING)
    shared.chmod(0o644)

    outcome = install("--scope", "project", env=env, cwd=project)

    assert outcome.status == 0, outcome.stderr
    assert sorted(path.name for path in shared.parent.iterdir()) == ["settings.json"]
    [backup] = backups(shared)
    assert not backup.is_relative_to(project)
    assert (backup.read_bytes(), backup.stat().st_mode & 0o777) == (before, 0o600)
    assert f"the previous version is in {backup}" in outcome.stdout


def test_a_symlinked_settings_file_is_written_through_to_its_target(
    home: Path, project: Path, env: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "dotfiles" / "claude-settings.json"
    write_settings(target, EXISTING)
    user_settings(home).parent.mkdir(parents=True)
    user_settings(home).symlink_to(target)

    outcome = install(env=env, cwd=project)

    assert outcome.status == 0, outcome.stderr
    assert user_settings(home).is_symlink()
    assert user_settings(home).readlink() == target
    assert our_hooks(json.loads(target.read_text())) == [HOOK]
    assert sorted(path.name for path in target.parent.iterdir()) == [target.name]


def test_every_value_is_written_back_exactly_as_written(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    path = user_settings(home)
    path.parent.mkdir(parents=True)
    numbers = ["1e400", "0.10000000000000000555", "-0.0", "123456789012345678901234567890", "1E-7"]
    path.write_text('{"numbers": [' + ", ".join(numbers) + '], "text": "\\ud800 caf\\u00e9"}')

    outcome = install(env=env, cwd=project)

    assert outcome.status == 0, outcome.stderr
    written = path.read_text()
    assert json.loads(written, parse_float=str, parse_int=str)["numbers"] == numbers
    assert "NaN" not in written
    assert "Infinity" not in written
    document = json.loads(written)
    assert document["text"] == "\ud800 café"
    assert our_hooks(document) == [HOOK]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param('{"x": NaN}', "NaN, which is not JSON", id="nan"),
        pytest.param('{"x": -Infinity}', "-Infinity, which is not JSON", id="infinity"),
        pytest.param('{"model": "opus", "model": "sonnet"}', "'model' twice", id="duplicate-key"),
        pytest.param(
            '{"hooks": {"SessionStart": [], "SessionStart": []}}',
            "'SessionStart' twice",
            id="duplicate-hook-event",
        ),
    ],
)
def test_a_file_that_could_not_be_written_back_as_it_is_is_refused(
    home: Path, project: Path, env: dict[str, str], content: str, reason: str
) -> None:
    path = user_settings(home)
    path.parent.mkdir(parents=True)
    path.write_text(content)

    outcome = install(env=env, cwd=project)

    assert (outcome.status, outcome.stdout) == (2, "")
    assert reason in outcome.stderr
    assert "nothing was changed" in outcome.stderr
    assert path.read_text() == content


def test_an_edited_entry_is_found_by_uninstall_and_not_added_again(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    install(env=env, cwd=project)
    path = user_settings(home)
    document = json.loads(path.read_text())
    document["hooks"]["SessionStart"][0]["hooks"][0]["command"] = HOOK + " 2>/dev/null"
    write_settings(path, document)

    again = install(env=env, cwd=project)
    edited = json.loads(path.read_text())
    removed = install("--uninstall", env=env, cwd=project)

    assert "nothing changed" in again.stdout
    assert edited == document
    assert "removed SessionStart hook" in removed.stdout
    assert json.loads(path.read_text()) == {}


def test_a_read_only_settings_file_is_refused_and_left_as_it_is(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    path = user_settings(home)
    before = write_settings(path, EXISTING)
    path.chmod(0o444)

    outcome = install(env=env, cwd=project)

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "read-only" in outcome.stderr
    assert "nothing was changed" in outcome.stderr
    assert (path.read_bytes(), path.stat().st_mode & 0o777) == (before, 0o444)
    assert backups(path) == []


@pytest.mark.slow
def test_forty_concurrent_runs_leave_a_valid_file_and_one_backup_per_change(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    path = user_settings(home)
    write_settings(path, EXISTING)
    runs = [
        subprocess.Popen(
            [str(CLI), "install-hooks", *(["--uninstall"] if number % 2 else [])],
            env=env,
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in range(40)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]

    assert [run.returncode for run in runs] == [0] * 40, [err for _, err in outputs if err]
    changes = sum("the previous version is in" in out for out, _ in outputs)
    assert changes >= 1
    assert len(backups(path)) == changes
    assert sorted(item.name for item in path.parent.iterdir()) == ["settings.json"]
    document = json.loads(path.read_text())
    assert our_hooks(document) in ([], [HOOK])
    assert {key: value for key, value in document.items() if key != "hooks"} == {
        key: value for key, value in EXISTING.items() if key != "hooks"
    }


def test_sync_adds_the_sync_hook_at_session_start_and_end_and_uninstall_takes_it_out(
    home: Path, project: Path, env: dict[str, str]
) -> None:
    sync = "sync", "--hook"

    outcome = install("--sync", env=env, cwd=project)

    assert outcome.status == 0, outcome.stderr
    settings = json.loads(user_settings(home).read_text())
    expected = json.loads(json.dumps(WHOLE_SET))
    expected["SessionStart"].append(
        {"hooks": [{"type": "command", "command": marked("sync-start", *sync, "--pull")}]}
    )
    expected["SessionEnd"].append(
        {"hooks": [{"type": "command", "command": marked("sync-end", *sync, "--push")}]}
    )
    assert settings == {"hooks": expected}
    assert "added SessionEnd sync hook" in outcome.stdout

    without = install(env=env, cwd=project)
    assert json.loads(user_settings(home).read_text()) == {"hooks": WHOLE_SET}
    assert "removed SessionStart sync hook" in without.stdout

    install("--sync", env=env, cwd=project)
    install("--uninstall", env=env, cwd=project)
    assert json.loads(user_settings(home).read_text()) == {}
