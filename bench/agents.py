"""How fast the commands Claude Code runs are on a big journal: one table, one run.

Generates (once, cached under ``bench/data/``) a journal of 1,000,000 events over 10,000
tasks, a tenth of them left open, then runs each command as Claude Code or a person
would, in a fresh process, and shows the median wall time and the peak resident memory
of the process: the status line and the SessionStart hook (which run at every redraw
and every session start), stale, and export in both formats (streamed: its memory must
not follow the journal's size). ``--version`` is the floor: the cost of starting the
command at all. The file stays in the page cache between runs.

Run: ``python bench/agents.py [--events 1000000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import msgspec

from journal_core.events import format_timestamp, new_event_id

DATA = Path(__file__).resolve().parent / "data"
GENERATOR_VERSION = 1
CLI = Path(sys.executable).with_name("task-journal")
VOCABULARY = (
    "the upload test fails after auth cache reset fixture socket retry timeout parser index "
    "cursor lock fsync writer reader decision finding"
)


def generate(path: Path, events: int, tasks: int) -> None:
    """Tasks opened first; the last events close nine in ten of them; times a second apart."""
    rng = random.Random(20261202)
    task_ids = [f"tj-bench{number:05d}" for number in range(tasks)]
    closing = sorted(rng.sample(range(tasks), tasks * 9 // 10))
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=events + 10)
    encode = msgspec.json.Encoder().encode
    temporary = path.with_suffix(".tmp")
    with open(temporary, "wb") as out:
        for number in range(events):
            moment = start + dt.timedelta(seconds=number)
            if number < tasks:
                task, kind = task_ids[number], "open"
            elif number >= events - len(closing):
                task, kind = task_ids[closing[number - (events - len(closing))]], "close"
            else:
                task, kind = task_ids[rng.randrange(tasks)], "finding"
            text = " ".join(rng.choices(VOCABULARY.split(), k=18))
            line = {
                "event_id": new_event_id(moment),
                "schema_version": "1.0",
                "task_id": task,
                "type": kind,
                "timestamp": format_timestamp(moment),
                "author": "agent",
                "source": "chat",
                "text": text,
                "refs": {},
                "status": "confirmed",
                "meta": {"title": f"Task {number}: {text[:40]}"} if kind == "open" else {},
            }
            out.write(encode(line) + b"\n")
    temporary.rename(path)


def run(argv: list[str], stdin: bytes) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one run of the command, output discarded."""
    began = time.perf_counter()
    process = subprocess.Popen([str(CLI), *argv], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert process.stdin is not None
    process.stdin.write(stdin)
    process.stdin.close()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{argv} exited {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    journal = DATA / f"agents-v{GENERATOR_VERSION}-{args.events}-{args.tasks}.jsonl"
    if not journal.exists():
        print(f"generating {journal} ...", file=sys.stderr)
        generate(journal, args.events, args.tasks)
    size = journal.stat().st_size
    hook_input = json.dumps(
        {
            "session_id": "3f1c2a9e-6b7d-4e2f-9a10-5c8d7e6f5a4b",
            "transcript_path": str(DATA / "transcript.jsonl"),
            "cwd": str(DATA),
            "hook_event_name": "SessionStart",
            "source": "startup",
        }
    ).encode()
    rows = [
        ("--version (start-up floor)", ["--version"], b""),
        ("statusline", ["--journal", str(journal), "statusline"], b""),
        ("hook session-start", ["--journal", str(journal), "hook", "session-start"], hook_input),
        ("stale", ["--journal", str(journal), "stale"], b""),
        ("export --format json", ["--journal", str(journal), "export", "--format", "json"], b""),
        ("export (md)", ["--journal", str(journal), "export"], b""),
    ]
    print(f"journal: {args.events:,} events, {args.tasks:,} tasks, {size / 2**20:.0f} MiB")
    print(f"{'command':<28} {'median ms':>10} {'max ms':>9} {'peak RSS MiB':>13}")
    for name, argv, stdin in rows:
        runs = [run(argv, stdin) for _ in range(args.runs if "export" not in name else 1)]
        times = [elapsed * 1000 for elapsed, _ in runs]
        print(
            f"{name:<28} {statistics.median(times):>10.0f} {max(times):>9.0f} "
            f"{max(rss for _, rss in runs):>13.1f}"
        )


if __name__ == "__main__":
    main()
