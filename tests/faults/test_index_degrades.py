"""An index that cannot be written never fails an append: one warning, then the journal is
read directly. Real processes: a read-only folder (as root, without the capabilities
that ignore file modes), a file size cap (as a full disk), a lock held too long."""

from __future__ import annotations

import logging
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_core import Journal, Settings, new_event
from journal_core.index import store

CLI = Path(sys.executable).parent / "task-journal"


def index_files(journal_path: Path) -> list[Path]:
    return [Path(f"{journal_path}.index.sqlite{suffix}") for suffix in ("", "-wal", "-shm")]


@pytest.fixture
def task_id(journal_path: Path) -> str:
    journal = Journal(Settings(journal_path=journal_path))
    opened = journal.append(new_event(type="open", text="a task")).task_id
    journal.close()
    return opened


def cli(
    *args: str,
    prefix: tuple[str, ...] = (),
    preexec_fn: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, str(CLI), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        preexec_fn=preexec_fn,
    )


@pytest.fixture
def without_dac_override() -> tuple[str, ...]:
    """A command prefix under which file modes hold, even for root."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, and setpriv (util-linux) is missing")
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search", "--")


@pytest.mark.parametrize("index_there", [False, True], ids=["no-index-yet", "index-there"])
def test_a_read_only_folder_degrades_the_index_with_one_warning(
    journal_path: Path,
    task_id: str,
    without_dac_override: tuple[str, ...],
    index_there: bool,
) -> None:
    if not index_there:
        for path in index_files(journal_path):
            path.unlink(missing_ok=True)
    journal_path.parent.chmod(0o500)
    try:
        appended = cli(
            "--journal", str(journal_path), "append", "finding", "still works", "--task", task_id,
            prefix=without_dac_override,
        )  # fmt: skip
        listed = cli("--journal", str(journal_path), "tasks", "--json", prefix=without_dac_override)
    finally:
        journal_path.parent.chmod(0o700)
    assert appended.returncode == 0, appended.stderr
    (warning,) = appended.stderr.splitlines()
    assert warning.startswith("task-journal: warning: the index ")
    assert "cannot be used" in warning
    assert listed.returncode == 0, listed.stderr
    assert '"event_count":2' in listed.stdout


def test_a_full_disk_degrades_the_index_with_one_warning(journal_path: Path, task_id: str) -> None:
    for path in index_files(journal_path):
        path.unlink(missing_ok=True)
    cap = journal_path.stat().st_size + 2048  # room for the event, not for an index

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))

    done = cli(
        "--journal", str(journal_path), "append", "finding", "still works", "--task", task_id,
        preexec_fn=full_disk,  # nothing threaded runs before the exec
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (warning,) = done.stderr.splitlines()
    assert warning.startswith("task-journal: warning: the index ")
    assert "cannot be used" in warning
    assert journal_path.read_bytes().count(b"\n") == 2


def test_an_index_locked_too_long_degrades_with_one_warning(
    journal_path: Path,
    task_id: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(store, "_BUSY_TIMEOUT_S", 0.2)
    journal = Journal(Settings(journal_path=journal_path))
    other = Journal(Settings(journal_path=journal_path))
    other.append(new_event(type="finding", text="unindexed", task_id=task_id))
    holder = sqlite3.connect(index_files(journal_path)[0], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process, stuck mid-transaction
    try:
        with caplog.at_level(logging.WARNING):
            journal.append(new_event(type="finding", text="appended", task_id=task_id))
            journal.append(new_event(type="finding", text="again", task_id=task_id))
            page = journal.read_events(task_id=task_id, order="oldest")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        journal.close()
        other.close()
    assert [e["text"] for e in page.events] == ["a task", "unindexed", "appended", "again"]
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "held it for over 0.2 s" in warning.getMessage()
