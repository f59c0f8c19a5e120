"""The journal follows its project when the folder is moved or renamed, and the Rust
tool's per-path journal is still the one read where it exists."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from tests.sync.conftest import Member, Team


def test_a_moved_project_keeps_its_journal(team: Team, tmp_path: Path) -> None:
    a = team.members[0]
    created = a.cli("create", "Survives the move")
    assert created.returncode == 0
    moved = Member(root=tmp_path / "renamed", data=a.data)
    shutil.move(a.root, moved.root)
    listed = moved.cli("tasks")
    assert "Survives the move" in listed.stdout
    assert (
        moved.cli("append", "finding", "still here", "--task", created.stdout.strip()).returncode
        == 0
    )
    assert len(moved.lines()) == 2


def test_the_per_path_journal_wins_where_it_exists(team: Team, tmp_path: Path) -> None:
    a = team.members[0]
    a.cli("create", "In the anchored journal")
    moved = Member(root=tmp_path / "renamed", data=a.data)
    shutil.move(a.root, moved.root)
    # The Rust tool wrote a journal for the new path: it is the project's from now on.
    digest = hashlib.sha256(os.fsencode(moved.root.resolve())).digest()[:8].hex()
    rust = a.data / "events" / f"{digest}.jsonl"
    rust.write_bytes(b"")
    assert moved.journal_path == rust
    assert "In the anchored journal" not in moved.cli("tasks").stdout
