"""Something other than a regular file at the journal's path: a symlink (planted before
start, or swapped in under a running writer), a FIFO, a device. Each is refused with a
clear error, never written through, and never waited on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from journal_core import Journal, JournalUnavailable, Settings, new_event

CLI = Path(sys.executable).with_name("task-journal")
# A safety net against a hang (the bug), not a measure of speed.
HANG_S = 30


def test_symlink_planted_at_the_path_is_refused_and_its_target_untouched(
    journal_path: Path, tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"not yours\n")
    journal_path.parent.mkdir()
    journal_path.symlink_to(target)
    journal = Journal(Settings(journal_path=journal_path))
    with pytest.raises(JournalUnavailable, match="symbolic link"):
        journal.open()
    with pytest.raises(JournalUnavailable, match="symbolic link"):
        journal.read_events(task_id="tj-0000000000")
    assert target.read_bytes() == b"not yours\n"


def test_symlink_swapped_in_under_a_running_writer_is_refused(
    journal_path: Path, tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"not yours\n")
    journal = Journal(Settings(journal_path=journal_path))
    journal.open()
    task_id = journal.append(new_event(type="open", text="before the swap")).task_id
    link = tmp_path / "link"
    link.symlink_to(target)
    os.replace(link, journal_path)
    try:
        with pytest.raises(JournalUnavailable, match="symbolic link"):
            journal.append(new_event(type="finding", text="after the swap", task_id=task_id))
    finally:
        journal.close()
    assert target.read_bytes() == b"not yours\n"


@pytest.mark.parametrize("command", [["read"], ["tasks"], ["verify"], ["append", "open", "x"]])
def test_fifo_at_the_path_is_refused_at_once_not_waited_on(
    journal_path: Path, command: list[str]
) -> None:
    journal_path.parent.mkdir()
    os.mkfifo(journal_path, 0o600)
    done = subprocess.run(
        [str(CLI), "--journal", str(journal_path), *command],
        capture_output=True,
        text=True,
        timeout=HANG_S,
        check=False,
    )
    assert done.returncode == 3
    assert "FIFO" in done.stderr


def test_a_device_at_the_path_is_refused_instead_of_swallowing_events() -> None:
    journal = Journal(Settings(journal_path=Path(os.devnull)))
    with pytest.raises(JournalUnavailable, match="device"):
        journal.open()
