"""task-journal path: the journal the options, the environment and the folder resolve to."""

import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.cli.conftest import CallMain, run_cli


@pytest.fixture
def project(tmp_path: Path, journal: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git project folder with a subfolder, and no TASK_JOURNAL_PATH in the environment."""
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / "src" / "pkg").mkdir(parents=True)
    monkeypatch.delenv("TASK_JOURNAL_PATH")
    return root


def per_project_journal(root: Path) -> Path:
    """SPEC §4: the first 8 bytes of SHA-256 of the root's canonical path, in hex."""
    digest = hashlib.sha256(os.fsencode(root.resolve())).digest()[:8].hex()
    return Path(os.environ["TASK_JOURNAL_DATA_DIR"]) / "events" / f"{digest}.jsonl"


def test_path_prints_task_journal_path(journal: Path) -> None:
    outcome = run_cli("path")

    assert (outcome.status, outcome.stdout, outcome.stderr) == (0, f"{journal}\n", "")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--journal", "{other}", "path"], id="before-the-command"),
        pytest.param(["path", "--journal", "{other}"], id="after-the-command"),
    ],
)
def test_journal_option_wins_over_the_environment(
    journal: Path, tmp_path: Path, call_main: CallMain, args: list[str]
) -> None:
    other = tmp_path / "other.jsonl"

    outcome = call_main(*(arg.replace("{other}", str(other)) for arg in args))

    assert outcome.stdout == f"{other}\n"


def test_project_dir_finds_the_project_root_from_a_subfolder(project: Path) -> None:
    outcome = run_cli("--project-dir", str(project / "src" / "pkg"), "path")

    assert outcome.stdout == f"{per_project_journal(project)}\n"


def test_without_project_dir_the_working_directory_is_the_start(project: Path) -> None:
    outcome = run_cli("path", cwd=project / "src")

    assert outcome.stdout == f"{per_project_journal(project)}\n"


def test_a_folder_outside_any_project_is_its_own_root(tmp_path: Path, project: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()

    outcome = run_cli("path", "--project-dir", str(loose))

    assert outcome.stdout == f"{per_project_journal(loose)}\n"


def test_commands_use_the_per_project_journal(project: Path) -> None:
    appended = run_cli("--project-dir", str(project), "append", "open", "Started here")

    assert appended.status == 0, appended.stderr
    assert len(per_project_journal(project).read_bytes().splitlines()) == 1


def test_path_json_names_the_path(journal: Path, call_main: CallMain) -> None:
    assert json.loads(call_main("path", "--json").stdout) == {"path": str(journal)}


def test_path_does_not_create_the_journal(journal: Path, call_main: CallMain) -> None:
    call_main("path")

    assert not journal.parent.exists()
