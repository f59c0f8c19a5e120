"""A child process that holds a journal lock until told to let go.

Run as ``python -m tests.core.lock_holder KIND PATH`` from the repository root. ``filelock``
holds ``filelock.FileLock(PATH)`` (the writers' sidecar lock); ``flock`` holds
``fcntl.flock(LOCK_EX)`` on PATH itself (the lock the Rust tool's writer takes);
``sync-record`` holds the OFD lock on the first bytes of PATH (a sidecar lock file), which
a writer takes while it syncs and updates the synced-up-to record there. It prints
``held`` once the lock is taken, and releases it and exits when stdin gives a line or ends.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import struct
import subprocess
import sys
from pathlib import Path

import filelock

_REPO_ROOT = Path(__file__).resolve().parents[2]


def start(kind: str, path: Path) -> subprocess.Popen[str]:
    """Start a holder and return once it holds the lock; write a line to its stdin to free it."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.core.lock_holder", kind, str(path)],
        cwd=_REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    if line != "held\n":
        child.kill()
        child.wait()
        raise RuntimeError(f"lock holder failed to take the {kind} lock on {path}: {line!r}")
    return child


def release(child: subprocess.Popen[str]) -> None:
    """Tell a holder to let go of its lock and wait for it to exit."""
    child.communicate("release\n", timeout=30)


def main(argv: list[str] | None = None) -> None:
    """Take the lock, say so, and hold it until stdin speaks."""
    parser = argparse.ArgumentParser(prog="python -m tests.core.lock_holder")
    parser.add_argument("kind", choices=("filelock", "flock", "sync-record"))
    parser.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    if args.kind == "filelock":
        with filelock.FileLock(args.path):
            _hold()
    elif args.kind == "sync-record":
        fd = os.open(args.path, os.O_RDWR)
        try:
            whole_record = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 64, 0)
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, whole_record)
            _hold()
        finally:
            os.close(fd)
    else:
        fd = os.open(args.path, os.O_RDWR | os.O_APPEND)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _hold()
        finally:
            os.close(fd)


def _hold() -> None:
    print("held", flush=True)
    sys.stdin.readline()


if __name__ == "__main__":
    main()
