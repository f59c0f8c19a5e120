"""task-journal doctor: one line per check, ok or what to do; exit 1 when anything needs fixing.

Each test runs the installed command with HOME, the project and the journal in temporary
folders, so what it finds is what the test put there.
"""

import json
import os
from pathlib import Path

import pytest
from filelock import FileLock

from tests.cli.conftest import CLI, Outcome, run_cli


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / ".git").mkdir(parents=True)
    return folder


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CLAUDE_", "XDG_", "TASK_JOURNAL_PATH"))
    }
    # The venv's bin on PATH, as after an install: configs that name the commands resolve.
    return {**environ, "HOME": str(home), "PATH": f"{CLI.parent}:{os.environ['PATH']}"}


def doctor(env: dict[str, str], cwd: Path, *args: str) -> Outcome:
    return run_cli("doctor", *args, env=env, cwd=cwd)


def lines_named(outcome: Outcome, name: str) -> list[str]:
    return [line for line in outcome.stdout.splitlines() if line.split()[1] == name]


def write_json(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))


@pytest.fixture
def configured(project: Path) -> Path:
    """A project whose .mcp.json starts the server, as claude mcp add --scope project writes."""
    write_json(
        project / ".mcp.json",
        {"mcpServers": {"task-journal": {"type": "stdio", "command": "task-journal-mcp"}}},
    )
    return project


def test_a_healthy_setup_is_all_ok(configured: Path, env: dict[str, str]) -> None:
    run_cli("create", "Flaky upload test", env=env, cwd=configured)

    outcome = doctor(env, configured)

    assert (outcome.status, outcome.stderr) == (0, "")
    names = [line.split()[1] for line in outcome.stdout.splitlines()]
    assert names[:7] == ["python", "journal", "file", "permissions", "lock", "index", "fts5"]
    assert all(line.startswith("ok ") for line in outcome.stdout.splitlines())
    [server] = lines_named(outcome, "claude")
    assert str(configured / ".mcp.json") in server


def test_a_journal_not_created_yet_is_ok(configured: Path, env: dict[str, str]) -> None:
    outcome = doctor(env, configured)

    assert outcome.status == 0, outcome.stdout
    assert "not created yet" in lines_named(outcome, "file")[0]


def test_a_journal_readable_by_others_says_how_to_make_it_private(
    configured: Path, env: dict[str, str]
) -> None:
    run_cli("create", "Flaky upload test", env=env, cwd=configured)
    journal = Path(run_cli("path", env=env, cwd=configured).stdout.strip())
    journal.chmod(0o644)

    outcome = doctor(env, configured)

    assert outcome.status == 1
    [line] = lines_named(outcome, "permissions")
    assert line.startswith("fix ")
    assert line.endswith(f"chmod 600 {journal}")


def test_a_folder_in_place_of_the_journal_is_reported(
    configured: Path, env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "folder.jsonl").mkdir()

    outcome = doctor(env, configured, "--journal", str(tmp_path / "folder.jsonl"))

    assert outcome.status == 1
    [line] = lines_named(outcome, "file")
    assert line.startswith("fix ")
    assert "is not a file" in line


def test_a_held_lock_is_reported(configured: Path, env: dict[str, str]) -> None:
    run_cli("create", "Flaky upload test", env=env, cwd=configured)
    journal = Path(run_cli("path", env=env, cwd=configured).stdout.strip())

    with FileLock(f"{journal}.lock"):
        outcome = doctor(env, configured)

    assert outcome.status == 1
    [line] = lines_named(outcome, "lock")
    assert line.startswith("fix ")
    assert "held by another process" in line


def test_a_bad_setting_is_reported_not_raised(configured: Path, env: dict[str, str]) -> None:
    outcome = doctor({**env, "TASK_JOURNAL_DURABILITY": "sometimes"}, configured)

    assert (outcome.status, outcome.stderr) == (1, "")
    [line] = lines_named(outcome, "journal")
    assert "sometimes" in line


def test_a_client_config_whose_command_is_not_found_says_what_to_put_there(
    project: Path, home: Path, env: dict[str, str]
) -> None:
    write_json(
        home / ".cursor" / "mcp.json",
        {"mcpServers": {"journal": {"command": "/opt/gone/bin/task-journal-mcp", "args": []}}},
    )

    outcome = doctor(env, project)

    assert outcome.status == 1
    [line] = lines_named(outcome, "cursor")
    assert line.startswith("fix ")
    assert "/opt/gone/bin/task-journal-mcp is not found" in line
    assert "command -v task-journal-mcp" in line


def test_claude_desktop_and_vs_code_configs_are_found(
    project: Path, home: Path, env: dict[str, str]
) -> None:
    write_json(
        home / ".config" / "Claude" / "claude_desktop_config.json",
        {
            "mcpServers": {
                "task-journal": {"command": "task-journal-mcp", "args": ["--journal", "x"]}
            }
        },
    )
    write_json(
        project / ".vscode" / "mcp.json",
        {
            "servers": {
                "task-journal": {"type": "stdio", "command": str(CLI.parent / "task-journal-mcp")}
            }
        },
    )

    outcome = doctor(env, project)

    assert outcome.status == 0, outcome.stdout
    assert lines_named(outcome, "claude")[0].startswith("ok ")
    assert lines_named(outcome, "vs")[0].startswith("ok ")


def enable_plugin(home: Path) -> None:
    """What claude plugin install leaves in the user's settings."""
    settings = home / ".claude" / "settings.json"
    document = json.loads(settings.read_text()) if settings.exists() else {}
    document["enabledPlugins"] = {"task-journal@task-journal-mcp": True}
    write_json(settings, document)


def test_installed_hooks_are_recognised(project: Path, home: Path, env: dict[str, str]) -> None:
    run_cli("install-hooks", "--statusline", env=env, cwd=project)

    outcome = doctor(env, project)

    claude = lines_named(outcome, "claude")
    assert any(line.startswith("ok ") and "SessionStart hook in" in line for line in claude)
    assert any(line.startswith("ok ") and "status line in" in line for line in claude)


def test_the_plugin_is_recognised(project: Path, home: Path, env: dict[str, str]) -> None:
    enable_plugin(home)

    outcome = doctor(env, project)

    assert outcome.status == 0, outcome.stdout
    [line] = lines_named(outcome, "claude")
    assert "plugin task-journal@task-journal-mcp enabled" in line


def test_the_plugin_and_installed_hooks_would_run_twice(
    project: Path, home: Path, env: dict[str, str]
) -> None:
    run_cli("install-hooks", "--scope", "project", env=env, cwd=project)
    enable_plugin(home)

    outcome = doctor(env, project)

    assert outcome.status == 1
    fixes = [line for line in lines_named(outcome, "claude") if line.startswith("fix ")]
    assert len(fixes) == 6  # one for each hook of the set
    for line in fixes:
        assert "runs twice" in line
        assert line.endswith("task-journal install-hooks --uninstall --scope project")


def test_the_plugin_and_a_claude_mcp_add_server_would_both_run(
    configured: Path, home: Path, env: dict[str, str]
) -> None:
    enable_plugin(home)

    outcome = doctor(env, configured)

    assert outcome.status == 1
    [line] = [line for line in lines_named(outcome, "claude") if line.startswith("fix ")]
    assert str(configured / ".mcp.json") in line
    assert "a second server" in line


def test_no_client_at_all_says_how_to_add_one(project: Path, env: dict[str, str]) -> None:
    outcome = doctor(env, project)

    assert outcome.status == 1
    [line] = lines_named(outcome, "clients")
    assert "claude mcp add task-journal -- task-journal-mcp" in line


def test_json_lists_every_check(configured: Path, env: dict[str, str]) -> None:
    outcome = doctor(env, configured, "--json")

    report = json.loads(outcome.stdout)
    assert report["ok"] is True
    assert [check["name"] for check in report["checks"]][:3] == ["python", "journal", "file"]
    assert set(report["checks"][0]) == {"name", "ok", "detail", "fix"}
