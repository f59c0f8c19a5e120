"""A child process that appends lines the way any filelock user could: filelock only.

Run as ``python -m tests.core.filelock_writer PATH COUNT`` from the repository root. It
prints ``ready``, waits for a line on stdin, then appends COUNT finding lines, each under
``filelock.FileLock(PATH.lock)`` alone (no flock on the journal) and each written in two
``write`` calls, so that a writer that does not exclude it would tear its lines. Every
few lines it deletes the lock file while holding it, as some filelock users do, so that
the next holder locks a new inode. It prints each event id once written.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import filelock

from journal_core import new_event
from journal_core.events import encode_line

_REPO_ROOT = Path(__file__).resolve().parents[2]
# Every this many lines the lock file is deleted while held.
DELETE_EVERY = 2


def start(journal: Path, count: int) -> subprocess.Popen[str]:
    """Start this program as a child with text pipes on stdin and stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.core.filelock_writer", str(journal), str(count)],
        cwd=_REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.core.filelock_writer")
    parser.add_argument("journal", type=Path)
    parser.add_argument("count", type=int)
    args = parser.parse_args(argv)
    lock_path = f"{args.journal}.lock"
    print("ready", flush=True)
    sys.stdin.readline()
    for n in range(args.count):
        event = new_event(type="finding", text=f"filelock writer {n}", task_id="filelock-only")
        line = encode_line(event)
        with filelock.FileLock(lock_path):
            fd = os.open(args.journal, os.O_WRONLY | os.O_APPEND)
            try:
                half = len(line) // 2
                os.write(fd, line[:half])
                os.write(fd, line[half:])
            finally:
                os.close(fd)
            if n % DELETE_EVERY == 0:
                Path(lock_path).unlink()
        print(event.event_id, flush=True)


if __name__ == "__main__":
    main()
