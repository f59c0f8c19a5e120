"""A file we write with another name (a hard link) is never written through: ``O_NOFOLLOW``
stops a symlink, not a hard link. The journal and its lock file are refused; the index,
being derived, is replaced by a file of its own; a hard-linked -wal or -shm is unlinked
before SQLite opens it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tests.faults.command_line import cli


@pytest.fixture
def other_db(tmp_path: Path) -> Path:
    """Someone else's SQLite database, with tables named as the index's are."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE events (id TEXT)")
        conn.execute("CREATE TABLE tasks (id TEXT)")
        conn.execute("INSERT INTO tasks VALUES ('keep me')")
    conn.close()
    return path


def test_a_hard_linked_index_is_replaced_and_the_other_file_untouched(
    journal_path: Path, other_db: Path
) -> None:
    journal_path.parent.mkdir()
    before = other_db.read_bytes()
    index = Path(f"{journal_path}.index.sqlite")
    os.link(other_db, index)

    done = cli(journal_path, "create", "Flaky upload test")

    assert done.returncode == 0, done.stderr
    assert other_db.read_bytes() == before
    assert os.stat(other_db).st_nlink == 1
    assert os.stat(index).st_nlink == 1
    assert "Flaky upload test" in cli(journal_path, "tasks").stdout


@pytest.mark.parametrize("suffix", ["-wal", "-shm"])
def test_a_hard_linked_index_sidecar_is_let_go_and_the_other_file_untouched(
    journal_path: Path, tmp_path: Path, suffix: str
) -> None:
    assert cli(journal_path, "create", "First").returncode == 0
    other = tmp_path / "other.bin"
    other.write_bytes(b"not yours\n" * 100)
    sidecar = Path(f"{journal_path}.index.sqlite{suffix}")
    sidecar.unlink(missing_ok=True)
    os.link(other, sidecar)

    done = cli(journal_path, "create", "Second")

    assert done.returncode == 0, done.stderr
    assert other.read_bytes() == b"not yours\n" * 100
    assert "Second" in cli(journal_path, "tasks").stdout


@pytest.mark.parametrize("linked", ["journal", "lock"])
def test_a_hard_linked_journal_or_lock_file_is_refused_and_the_other_file_untouched(
    journal_path: Path, tmp_path: Path, linked: str
) -> None:
    assert cli(journal_path, "create", "First").returncode == 0
    other = tmp_path / "other.txt"
    if linked == "journal":
        os.link(journal_path, other)
    else:
        other.write_bytes(b"not yours\n")
        lock = Path(f"{journal_path}.lock")
        lock.unlink()
        os.link(other, lock)
    before = other.read_bytes()

    done = cli(journal_path, "create", "Second")

    assert done.returncode == 3, done.stdout
    assert "hard links" in done.stderr
    assert other.read_bytes() == before
