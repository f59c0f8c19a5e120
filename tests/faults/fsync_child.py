"""A child that appends in ``always`` mode and logs every fsync of the journal it makes.

Run as ``python -m tests.faults.fsync_child --journal PATH --task ID --count N [--fail]``
from the repository root. Each fsync of a regular file is logged as a JSON line
``{"fsync": size, "ok": bool, "done": t}``: the file's size when the call began (every
byte below it was written before it) and the monotonic time it returned. With
``--fail`` every such fsync fails with EIO instead, as a dying disk's would. Each
append is logged as ``{"event": id, "durable": bool, "at": t}`` or ``{"event": id,
"error": name, "at": t}``, ``t`` being when it was answered. It prints ``ready`` and
waits for a line on stdin before appending.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from journal_core import Journal, JournalError, Settings, new_event

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

_REPO_ROOT = Path(__file__).resolve().parents[2]
_real_fsync = os.fsync
_print_lock = threading.Lock()
_failing = False


def start(journal: Path, task_id: str, count: int, *, fail: bool) -> subprocess.Popen[str]:
    """Start this program as a child with text pipes on stdin and stdout."""
    argv = [sys.executable, "-m", "tests.faults.fsync_child", "--journal", str(journal)]
    argv += ["--task", task_id, "--count", str(count)] + (["--fail"] if fail else [])
    return subprocess.Popen(
        argv, cwd=_REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def _log(**fields: object) -> None:
    with _print_lock:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()


def _logged_fsync(fd: FileDescriptorLike) -> None:
    number = fd if isinstance(fd, int) else fd.fileno()
    info = os.fstat(number)
    if not stat.S_ISREG(info.st_mode):
        _real_fsync(number)
        return
    if _failing:
        _log(fsync=info.st_size, ok=False, done=time.monotonic())
        raise OSError(errno.EIO, os.strerror(errno.EIO))
    _real_fsync(number)
    _log(fsync=info.st_size, ok=True, done=time.monotonic())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.fsync_child")
    parser.add_argument("--journal", type=Path, required=True)
    parser.add_argument("--task", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--fail", action="store_true")
    args = parser.parse_args(argv)
    journal = Journal(Settings(journal_path=args.journal, durability="always"))
    journal.open()
    global _failing  # set once, before any append
    _failing = args.fail
    os.fsync = _logged_fsync
    print("ready", flush=True)
    sys.stdin.readline()
    for n in range(args.count):
        event = new_event(type="finding", text=f"logged {n}", task_id=args.task)
        try:
            result = journal.append(event)
        except JournalError as error:
            _log(event=event.event_id, error=type(error).__name__, at=time.monotonic())
        else:
            _log(event=event.event_id, durable=result.durable, at=time.monotonic())
    journal.close()


if __name__ == "__main__":
    main()
