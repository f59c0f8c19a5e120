"""A child process that appends to a journal, for tests that need real processes.

Run as ``python -m tests.core.appender MODE --journal PATH ...`` from the repository root.
An event counts as acknowledged once its event id is printed: each id goes to stdout,
flushed, right after ``Journal.append`` returns.

Modes:
- ``loop``: append findings to ``--task`` from ``--threads`` threads until killed.
- ``burst``: open a task of its own, print ``ready``, wait for a line on stdin, then append
  until ``--count`` events (the open included) are acknowledged, from ``--threads`` threads.
- ``race``: print ``ready``, wait for a line on stdin, then for each of ``--count`` tasks
  try to open ``race-N`` and append a finding keyed ``race-N``, printing each outcome as
  a JSON object; run several at once to race them.
- ``fsize``: ignore SIGXFSZ, cap the file size at ``--headroom`` bytes over the journal's
  current size, append one event too big to fit, and print the outcome as a JSON object.
  With ``--die-at-limit`` SIGXFSZ gets the system's default action back: the kernel
  kills the child in the middle of the write that crosses the limit.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import signal
import subprocess
import sys
import threading
from pathlib import Path

from journal_core import (
    DURABILITY_MODES,
    Journal,
    JournalError,
    Settings,
    TaskAlreadyOpen,
    new_event,
)

_REPO_ROOT = Path(__file__).resolve().parents[2]
_print_lock = threading.Lock()


def start(mode: str, journal: Path, *options: str) -> subprocess.Popen[str]:
    """Start this program as a child with text pipes on stdin and stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.core.appender", mode, "--journal", str(journal), *options],
        cwd=_REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _acknowledge(event_id: str) -> None:
    with _print_lock:
        sys.stdout.write(event_id + "\n")
        sys.stdout.flush()


def _loop(journal: Journal, task_id: str, threads: int) -> None:
    def worker(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - sizes, not secrets
        n = 0
        while True:
            # Sizes from a few bytes to most of the text limit, so a kill can land inside
            # a write that spans many pages as well as between small ones.
            size = rng.choice((10, 200, 1000, 9000))
            text = f"finding {seed}.{n} " + "x" * size
            _acknowledge(
                journal.append(new_event(type="finding", task_id=task_id, text=text)).event_id
            )
            n += 1

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def _burst(journal: Journal, count: int, threads: int) -> None:
    opened = journal.append(new_event(type="open", text="burst", title="burst"))
    _acknowledge(opened.event_id)
    per_thread = [
        (count - 1) // threads + (1 if i < (count - 1) % threads else 0) for i in range(threads)
    ]

    def worker(index: int, n: int) -> None:
        for k in range(n):
            text = f"burst {index}.{k}"
            event = new_event(type="finding", task_id=opened.task_id, text=text)
            _acknowledge(journal.append(event).event_id)

    workers = [threading.Thread(target=worker, args=(i, n)) for i, n in enumerate(per_thread)]
    with _print_lock:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
    sys.stdin.readline()
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def _race(journal: Journal, count: int) -> None:
    """Open tasks ``race-0``... and append keyed findings that other children also try."""
    print("ready", flush=True)
    sys.stdin.readline()
    for k in range(count):
        task_id = f"race-{k}"
        try:
            opened = journal.append(new_event(type="open", text="race", task_id=task_id))
        except TaskAlreadyOpen:
            print(json.dumps({"task": task_id, "opened": None}), flush=True)
        else:
            print(json.dumps({"task": task_id, "opened": opened.event_id}), flush=True)
        event = new_event(type="finding", text="keyed", task_id=task_id, idempotency_key=task_id)
        result = journal.append(event)
        print(json.dumps({"key": task_id, "event_id": result.event_id}), flush=True)


def _fsize(journal: Journal, task_id: str, headroom: int, text_bytes: int, die: bool) -> None:
    # Ignored (Python's default), the signal turns into a failed write; with the
    # system's default action, it kills the process in the middle of the write.
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL if die else signal.SIG_IGN)
    # The cap holds for every file the process writes: bring the index up to date
    # first, so that the journal's write is the one that meets it.
    journal.build_index()
    size = journal.path.stat().st_size
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + headroom, hard))
    event = new_event(type="finding", task_id=task_id, text="y" * text_bytes)
    outcome: dict[str, str | None]
    try:
        result = journal.append(event)
    except JournalError as err:
        outcome = {"error": type(err).__name__, "message": str(err)}
    else:
        outcome = {"error": None, "event_id": result.event_id}
    print(json.dumps(outcome), flush=True)


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and run one mode."""
    parser = argparse.ArgumentParser(prog="python -m tests.core.appender")
    parser.add_argument("mode", choices=("loop", "burst", "race", "fsize"))
    parser.add_argument("--journal", type=Path, required=True)
    parser.add_argument("--durability", choices=DURABILITY_MODES, default="always")
    parser.add_argument("--task", default="")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--headroom", type=int, default=0)
    parser.add_argument("--text-bytes", type=int, default=20000)
    parser.add_argument("--die-at-limit", action="store_true")
    args = parser.parse_args(argv)
    journal = Journal(Settings(journal_path=args.journal, durability=args.durability))
    journal.open()
    if args.mode == "loop":
        _loop(journal, args.task, args.threads)
    elif args.mode == "burst":
        _burst(journal, args.count, args.threads)
    elif args.mode == "race":
        _race(journal, args.count)
    else:
        _fsize(journal, args.task, args.headroom, args.text_bytes, args.die_at_limit)
    journal.close()


if __name__ == "__main__":
    main()
