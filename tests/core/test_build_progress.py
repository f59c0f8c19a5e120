"""A long index build shows a bar on a terminal's stderr, and nothing in a pipe."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.core.journal_lines import REPO_ROOT
from tests.core.test_store_processes import big_journal

# Builds the index in small steps (many of them: a long build), then lists the tasks.
_BUILDER = """
import sys
from pathlib import Path
from journal_core.index import store
store._STEP_BYTES = 32 * 1024
print(store.JournalStore(Path(sys.argv[1])).count_tasks("any"))
"""


def build(journal: Path, stderr: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _BUILDER, str(journal)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
    )


def read_until_closed(fd: int) -> bytes:
    """All a terminal's leader side gets, until every process has closed its follower."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: no follower is open any more
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_long_build_draws_a_bar_with_a_count_and_an_estimate_on_a_terminal(
    journal_path: Path,
) -> None:
    big_journal(journal_path)
    leader, follower = pty.openpty()
    try:
        child = build(journal_path, follower)
        os.close(follower)  # read while it draws: a full terminal would stall it
        drawn = read_until_closed(leader).decode()
    finally:
        os.close(leader)
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 0
    assert out.strip() == b"40"
    bars = [part for part in drawn.split("\r") if part.startswith("indexing [")]
    assert len(bars) > 10  # redrawn as the build goes
    assert "100%" in bars[-1]
    assert "6,000 events" in bars[-1]
    assert any("s left" in bar for bar in bars)
    assert drawn.endswith("\n")  # the bar's line is ended: what follows starts clean


def test_a_build_writes_nothing_to_stderr_in_a_pipe(journal_path: Path) -> None:
    big_journal(journal_path)
    out, err = build(journal_path, subprocess.PIPE).communicate(timeout=120)
    assert out.strip() == b"40"
    assert err == b""
