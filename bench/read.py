"""How fast reading is on a big journal: one table, every row from one run.

Generates (once, cached under ``bench/data/``) a journal of 1,000,000 events
across 10,000 tasks, about 300 MB of valid SPEC §1 lines, then measures, each
"cold" row in a fresh process: making the index ready (the persisted index is
built from scratch on the first run only: bench/find.py times that build; later
runs catch it up), the memory it holds, the
newest 50 events in a fresh process (through the index, made ready first: events
come in canonical order, which only the index knows), one task's events, list_tasks,
filtered reads, and a full verify. "Cold" means a new process, not an empty
page cache: the file stays cached between rows. The cold rows time the read
alone; one more row times a whole `task-journal read` run, start-up included.
CPU time is shown next to wall time because on a busy machine the two part ways.

Run: ``python bench/read.py [--events 1000000] [--tasks 10000]``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

DATA = Path(__file__).resolve().parent / "data"
GENERATOR_VERSION = 1
# Words for event texts (about 300-byte lines in all).
VOCABULARY = (
    "the index reader journal append offset cursor page task event lock fsync writer "
    "build scan memory newest oldest filter query title status decision finding parser"
)
WORDS = VOCABULARY.split()
OTHER_TYPES = ("hypothesis", "finding", "evidence", "decision", "rejection", "constraint")
# Standard base32 to Crockford's alphabet, upper case for ULIDs, lower for task ids.
_TO_CROCKFORD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)
_TO_TASK_ID = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789abcdefghjkmnpqrstvwxyz"
)


def generate(path: Path, events: int, tasks: int) -> None:
    """Write the journal: every task opened before its other events, 1% of events closes,
    10% carry an idempotency key; times go forward a few seconds an event."""
    rng = random.Random(20261125)
    task_ids = [
        "tj-" + base64.b32encode(rng.randbytes(10)).translate(_TO_TASK_ID)[:10].decode()
        for _ in range(tasks)
    ]
    opened = [False] * tasks
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ms = int(moment.timestamp() * 1000)
    encode = msgspec.json.Encoder().encode
    partial = path.with_suffix(".partial")
    with partial.open("wb", buffering=1 << 22) as file:
        for _ in range(events):
            ms += rng.randrange(1, 5000)
            k = rng.randrange(tasks)
            # A ULID: 48 bits of milliseconds in 10 characters, then 80 random bits in 16.
            event_id = (
                (base64.b32encode((ms << 30).to_bytes(10, "big"))[:10])
                + base64.b32encode(rng.randbytes(10))
            ).translate(_TO_CROCKFORD)
            stamp = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
            text = " ".join(rng.choices(WORDS, k=14))
            meta: dict[str, Any] = {}
            if not opened[k]:
                opened[k] = True
                kind = "open"
                meta["title"] = "Task " + text[:40]
            else:
                kind = "close" if rng.random() < 0.01 else rng.choice(OTHER_TYPES)
            if rng.random() < 0.1:
                meta["idempotency_key"] = event_id.decode().lower()
            line = {
                "event_id": event_id.decode(),
                "schema_version": "1.0",
                "task_id": task_ids[k],
                "type": kind,
                "timestamp": stamp.isoformat(timespec="milliseconds")[:-6] + "Z",
                "author": "agent",
                "source": "chat",
                "text": text,
                "refs": {},
                "status": "confirmed",
                "meta": meta,
            }
            file.write(encode(line) + b"\n")
    partial.replace(path)


# --- what runs in the child processes --------------------------------------------


def resident_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB."""
    fields = {}
    for row in Path("/proc/self/status").read_text().splitlines():
        name, _, value = row.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def warm(action: Callable[[], object], repeat: int = 21) -> tuple[float, float]:
    """Median (wall ms, CPU ms) over ``repeat`` calls, after one call to warm up."""
    action()
    runs = [timed(action) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def child(mode: str, path: Path) -> dict[str, Any]:
    from journal_core.index.store import JournalStore
    from journal_core.reader import verify

    results: dict[str, Any] = {}
    index = JournalStore(path)
    if mode == "newest-cold":
        results["newest-50, cold process"] = timed(lambda: index.read_events(limit=50))
        results["oldest-50, cold process"] = timed(
            lambda: JournalStore(path).read_events(limit=50, order="oldest")
        )
    elif mode == "index":
        results["rss_before_mb"] = resident_mb()[0]
        results["index ready, cold"] = timed(index.build)
        results["rss_after_mb"], results["peak_mb"] = resident_mb()
        newest = index.read_events(limit=1).events[0]
        oldest = index.read_events(limit=1, order="oldest").events[0]
        task_id = newest["task_id"]
        since = newest["timestamp"][:10] + "T00:00:00Z"
        # A one-hour window halfway through the journal's time span.
        middle = (_instant(oldest["timestamp"]) + _instant(newest["timestamp"])) / 2
        hour_from, hour_to = _stamp(middle), _stamp(middle + 3600)
        results["newest-50, warm"] = warm(lambda: index.read_events(limit=50))
        results["one task's newest 50, warm"] = warm(lambda: index.read_events(task_id=task_id))
        results["one task, all events (limit 500)"] = warm(
            lambda: index.read_events(task_id=task_id, limit=500, order="oldest")
        )
        results["list_tasks (open), warm"] = warm(lambda: index.list_tasks())
        results["list_tasks query='parser', warm"] = warm(
            lambda: index.list_tasks(status="any", query="parser")
        )
        results["types=['close'] newest 50, warm"] = warm(
            lambda: index.read_events(types=["close"]), repeat=5
        )
        results["since=<newest day> 50, warm"] = warm(
            lambda: index.read_events(since=since), repeat=5
        )
        # Filters that match nothing: the type's index walk and the time's range
        # of texts are empty, so no event is looked at.
        results["types=['rename'] (no match), warm"] = warm(
            lambda: index.read_events(types=["rename"]), repeat=5
        )
        results["until=<before the first> (no match), warm"] = warm(
            lambda: index.read_events(until="2000-01-01T00:00:00Z")
        )
        results["since..until, 1 h mid-journal, warm"] = warm(
            lambda: index.read_events(since=hour_from, until=hour_to)
        )
        results["the same, oldest first, warm"] = warm(
            lambda: index.read_events(since=hour_from, until=hour_to, order="oldest")
        )
        results["the same, one task, warm"] = warm(
            lambda: index.read_events(task_id=task_id, since=hour_from, until=hour_to)
        )
        results["refresh, nothing new"] = warm(index.refresh)
        # The newest event's task is the one with the latest activity.
        results["task_events"] = index.list_tasks(status="any", limit=1).tasks[0].event_count
    elif mode == "verify":
        report: list[Any] = []
        results["verify, whole file"] = timed(lambda: report.append(verify(path)))
        results["bad_lines"] = len(report[0].bad_lines)
        results["events"] = report[0].events
    return results


def _instant(timestamp: str) -> float:
    return dt.datetime.fromisoformat(timestamp).timestamp()


def _stamp(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")


def run_child(mode: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def whole_process(argv: list[str], repeat: int = 5) -> float:
    """Median wall ms of running ``argv`` to its end, output discarded."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], allow_abbrev=False)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1])), default=str))
        return

    DATA.mkdir(exist_ok=True)
    path = DATA / f"read-v{GENERATOR_VERSION}-{args.events}-{args.tasks}.jsonl"
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.events, args.tasks)
        print(f"generated {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    size_mb = path.stat().st_size / 1e6
    with path.open("rb") as file:  # into the page cache, so every row starts alike
        while file.read(1 << 24):
            pass

    indexed = run_child("index", path)
    cold = run_child("newest-cold", path)
    # What a hook pays: a whole fresh `task-journal read`, interpreter start and imports
    # included, next to a bare interpreter start for scale.
    cli = Path(sys.executable).parent / "task-journal"
    whole = whole_process([str(cli), "--journal", str(path), "read", "--limit", "50", "--json"])
    bare = whole_process([sys.executable, "-c", "pass"])
    checked = run_child("verify", path)

    print(
        f"journal: {args.events:,} events, {args.tasks:,} tasks, {size_mb:.0f} MB; "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    rows: list[tuple[str, str, str, str]] = []

    def timing(name: str, source: dict[str, Any], target: str) -> None:
        wall, cpu = source[name]
        rows.append((name, f"{wall:,.1f} ms", f"{cpu:,.1f} ms", target))

    timing("newest-50, cold process", cold, "< 50 ms")
    timing("oldest-50, cold process", cold, "")
    rows.append(("newest-50, whole `task-journal read` run", f"{whole:,.1f} ms", "", ""))
    rows.append(("  of which a bare `python -c pass`", f"{bare:,.1f} ms", "", ""))
    timing("index ready, cold", indexed, "< 5,000 ms")
    rows.append(
        ("resident memory after that", f"{indexed['rss_after_mb']:,.0f} MB", "", "< 400 MB")
    )
    timing("newest-50, warm", indexed, "< 10 ms")
    timing("one task's newest 50, warm", indexed, "< 10 ms")
    timing("one task, all events (limit 500)", indexed, "")
    timing("list_tasks (open), warm", indexed, "< 10 ms")
    timing("list_tasks query='parser', warm", indexed, "< 10 ms")
    timing("types=['close'] newest 50, warm", indexed, "")
    timing("since=<newest day> 50, warm", indexed, "")
    timing("types=['rename'] (no match), warm", indexed, "")
    timing("until=<before the first> (no match), warm", indexed, "< 10 ms")
    timing("since..until, 1 h mid-journal, warm", indexed, "< 10 ms")
    timing("the same, oldest first, warm", indexed, "< 10 ms")
    timing("the same, one task, warm", indexed, "< 10 ms")
    timing("refresh, nothing new", indexed, "")
    timing("verify, whole file", checked, "")
    header = ("measure", "wall", "CPU", "target")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    print(
        f"(memory: {indexed['rss_before_mb']:,.0f} MB before the build, "
        f"peak {indexed['peak_mb']:,.0f} MB; the task read has "
        f"{indexed['task_events']} events; verify found {checked['events']:,} events and "
        f"{checked['bad_lines']} bad lines)"
    )


if __name__ == "__main__":
    main()
