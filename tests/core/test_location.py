"""Where the journal lives (SPEC §4), checked against an independent computation."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

from journal_core import resolve_journal_path
from journal_core.location import project_hash


def expected_hash(root: Path) -> str:
    """SPEC §4 computed here from scratch: sha256 of the real path, first 8 bytes in hex."""
    return hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:16]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git checkout with a nested folder to start from."""
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / "src" / "pkg").mkdir(parents=True)
    return root


def test_explicit_journal_wins_over_the_environment(tmp_path: Path, project: Path) -> None:
    environ = {"TASK_JOURNAL_PATH": str(tmp_path / "env.jsonl"), "HOME": str(tmp_path)}
    path = resolve_journal_path(tmp_path / "flag.jsonl", project, environ)
    assert path == tmp_path / "flag.jsonl"


def test_task_journal_path_wins_over_the_project_layout(tmp_path: Path, project: Path) -> None:
    environ = {
        "TASK_JOURNAL_PATH": str(tmp_path / "env.jsonl"),
        "TASK_JOURNAL_DATA_DIR": str(tmp_path / "data"),
    }
    assert resolve_journal_path(None, project, environ) == tmp_path / "env.jsonl"


def test_data_dir_variable_places_the_per_project_journal(tmp_path: Path, project: Path) -> None:
    environ = {
        "TASK_JOURNAL_DATA_DIR": str(tmp_path / "data"),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
    }
    path = resolve_journal_path(None, project, environ)
    assert path == tmp_path / "data" / "events" / f"{expected_hash(project)}.jsonl"


def test_xdg_data_home_places_the_journal_under_task_journal(tmp_path: Path, project: Path) -> None:
    environ = {"XDG_DATA_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}
    path = resolve_journal_path(None, project, environ)
    assert path == tmp_path / "xdg" / "task-journal" / "events" / f"{expected_hash(project)}.jsonl"


@pytest.mark.skipif(sys.platform != "linux", reason="SPEC §4 names the Linux default")
def test_without_variables_the_journal_is_under_local_share(tmp_path: Path, project: Path) -> None:
    path = resolve_journal_path(None, project, {"HOME": str(tmp_path / "home")})
    assert path == (
        tmp_path
        / "home"
        / ".local"
        / "share"
        / "task-journal"
        / "events"
        / f"{expected_hash(project)}.jsonl"
    )


@pytest.mark.parametrize(
    "marker",
    [
        pytest.param(".git", id="git-folder"),
        pytest.param(".task-journal", id="task-journal-folder"),
    ],
)
def test_project_root_is_found_from_a_nested_folder(tmp_path: Path, marker: str) -> None:
    root = tmp_path / "project"
    (root / marker).mkdir(parents=True)
    nested = root / "a" / "b" / "c"
    nested.mkdir(parents=True)
    environ = {"TASK_JOURNAL_DATA_DIR": str(tmp_path / "data")}
    assert resolve_journal_path(None, nested, environ).stem == expected_hash(root)


def test_git_file_of_a_worktree_marks_a_root(tmp_path: Path) -> None:
    root = tmp_path / "worktree"
    (root / "src").mkdir(parents=True)
    (root / ".git").write_text("gitdir: /elsewhere/.git/worktrees/w\n")
    environ = {"TASK_JOURNAL_DATA_DIR": str(tmp_path / "data")}
    assert resolve_journal_path(None, root / "src", environ).stem == expected_hash(root)


def test_nearest_marker_wins_over_an_outer_one(tmp_path: Path, project: Path) -> None:
    inner = project / "src" / "pkg"
    (inner / ".task-journal").mkdir()
    (inner / "deeper").mkdir()
    environ = {"TASK_JOURNAL_DATA_DIR": str(tmp_path / "data")}
    assert resolve_journal_path(None, inner / "deeper", environ).stem == expected_hash(inner)


def test_without_a_marker_the_starting_folder_is_the_root(tmp_path: Path) -> None:
    start = tmp_path / "loose" / "folder"
    start.mkdir(parents=True)
    environ = {"TASK_JOURNAL_DATA_DIR": str(tmp_path / "data")}
    assert resolve_journal_path(None, start, environ).stem == expected_hash(start)


def test_a_symlinked_project_shares_the_journal_of_its_real_path(
    tmp_path: Path, project: Path
) -> None:
    link = tmp_path / "link"
    link.symlink_to(project, target_is_directory=True)
    environ = {"TASK_JOURNAL_DATA_DIR": str(tmp_path / "data")}
    assert resolve_journal_path(None, link / "src", environ) == resolve_journal_path(
        None, project / "src", environ
    )


def test_project_hash_of_a_known_path_is_fixed() -> None:
    # A literal, so a change to the hashing shows even if both computations drifted alike.
    assert project_hash(Path("/nonexistent-root/project")) == "8cdaf177139dde17"
