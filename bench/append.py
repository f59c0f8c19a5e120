"""How fast appends are, and what they cost in fsyncs: one table, every row from one run.

Rows: (a) the floor, msgspec encode and os.write to an O_APPEND descriptor with no lock
and no fsync; (b) one thread in ``flush`` mode; (c) one thread in ``always`` mode;
(d) 8 threads in ``always`` mode, where group commit should share fsyncs; (e) 4 processes
in ``flush`` mode, where the cost is the cross-process lock; (f) 4 processes in ``always``
mode, where a process's fsync covers what the others wrote before it began, so that they
need none of their own; (c0) and (d0) are a bare group commit with no journal (lines
written and fsynced, callers woken), 1 and 8 threads: (d0)/(c) is what (d)/(c) would be
if the journal's work cost (d) nothing. Latency is per append, from call to
return; its maximum shows the stalls (every MiB of appends, admission catches the index
up under the write lock). The journals go under ``bench/data/`` on the repository's
disk: on a tmpfs, fsync costs nothing and the ``always`` rows would mean nothing.

Run: ``python bench/append.py [--scale 0.5]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Literal

import msgspec

from journal_core import Event, Journal, Settings, new_event
from journal_core.events import encode_line

Durability = Literal["always", "flush"]
DATA = Path(__file__).resolve().parent / "data" / "append"
TEXT = "Found that the lock is held across the fsync; moving the fsync out of it. " * 2


class Row(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    events: int
    seconds: float
    fsyncs: int
    latencies: list[float]


def filesystem_of(path: Path) -> str:
    """The mount's filesystem type, from /proc/mounts (longest matching mount point)."""
    best, kind = "", "unknown"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return kind
    for line in mounts:
        _, point, fs_type, *_ = line.split()
        if (str(path) + "/").startswith(point.rstrip("/") + "/") and len(point) > len(best):
            best, kind = point, fs_type
    return kind


def fresh_journal(name: str, durability: Durability) -> tuple[Journal, str]:
    """A new journal file with one open task; returns the journal and the task id."""
    path = DATA / f"{name}.jsonl"
    for stale in (path, Path(f"{path}.lock")):
        stale.unlink(missing_ok=True)
    journal = Journal(Settings(journal_path=path, durability=durability))
    journal.open()
    task_id = journal.append(new_event(type="open", text="bench", title="bench")).task_id
    return journal, task_id


def findings(task_id: str, count: int) -> list[Event]:
    return [new_event(type="finding", text=f"{TEXT}{n}", task_id=task_id) for n in range(count)]


def timed_appends(journal: Journal, events: list[Event], latencies: list[float]) -> None:
    clock = time.perf_counter
    for event in events:
        start = clock()
        journal.append(event)
        latencies.append(clock() - start)


def raw_floor(count: int) -> Row:
    """(a) encode and write, nothing else: what any writer pays at least."""
    path = DATA / "raw.jsonl"
    path.unlink(missing_ok=True)
    events = findings("tj-0000000000", count)
    encoder = msgspec.json.Encoder()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    latencies = []
    clock = time.perf_counter
    began = clock()
    for event in events:
        start = clock()
        os.write(fd, encoder.encode(event) + b"\n")
        latencies.append(clock() - start)
    seconds = clock() - began
    os.close(fd)
    return Row(
        name="(a) raw encode+write", events=count, seconds=seconds, fsyncs=0, latencies=latencies
    )


def run_threads(workers: list[threading.Thread]) -> float:
    """Start ``workers`` together; the seconds until the last has ended."""
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - began


class _BareCommit:
    """The least a group commit costs in Python: each caller queues a line and sleeps on
    a lock of its own; the first to find no writer waits (up to 1 ms) until every other
    caller has queued, writes the lines, fsyncs, and wakes them, handing the writer's
    role to the first caller queued meanwhile (who would otherwise sleep on, with no
    writer to come once the others are done). No journal at all."""

    def __init__(self, path: Path, callers: int) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC, 0o600)
        self.mutex = threading.Lock()
        self.all_queued = threading.Condition(self.mutex)
        self.queue: list[threading.Lock] = []
        self.promoted: set[threading.Lock] = set()
        self.writing = False
        self.callers = callers
        self.fsyncs = 0

    def append(self, line: bytes) -> None:
        wake = threading.Lock()
        wake.acquire()
        with self.mutex:
            self.queue.append(wake)
            lead, self.writing = not self.writing, True
            if len(self.queue) >= self.callers:
                self.all_queued.notify()
        if not lead:
            wake.acquire()
            with self.mutex:
                if wake not in self.promoted:
                    return
                self.promoted.discard(wake)
        with self.mutex:
            deadline = time.monotonic() + 0.001
            while len(self.queue) < self.callers and (left := deadline - time.monotonic()) > 0:
                self.all_queued.wait(left)
            batch, self.queue = self.queue, []
        os.write(self.fd, line * len(batch))
        os.fsync(self.fd)
        self.fsyncs += 1
        with self.mutex:
            successor = self.queue[0] if self.queue else None
            self.writing = successor is not None
            if successor is not None:
                self.promoted.add(successor)
        for waiter in batch:
            if waiter is not wake:
                waiter.release()
        if successor is not None:
            successor.release()

    def leave(self) -> None:
        with self.mutex:
            self.callers -= 1
            self.all_queued.notify()


def bare_commit(name: str, threads: int, per_thread: int) -> Row:
    """(c0), (d0): ``_BareCommit`` with 1 and 8 threads, (c) and (d) without a journal."""
    path = DATA / "bare.bin"
    commit = _BareCommit(path, threads)
    line = b"x" * (len(encode_line(findings("tj-0000000000", 1)[0])) - 1) + b"\n"
    latencies: list[list[float]] = [[] for _ in range(threads)]

    def work(out: list[float]) -> None:
        clock = time.perf_counter
        for _ in range(per_thread):
            start = clock()
            commit.append(line)
            out.append(clock() - start)
        commit.leave()

    seconds = run_threads([threading.Thread(target=work, args=(out,)) for out in latencies])
    os.close(commit.fd)
    return Row(
        name=name,
        events=threads * per_thread,
        seconds=seconds,
        fsyncs=commit.fsyncs,
        latencies=[x for part in latencies for x in part],
    )


def threaded(name: str, durability: Durability, threads: int, per_thread: int) -> Row:
    """(b), (c), (d): ``threads`` threads of one process share one Journal."""
    journal, task_id = fresh_journal(name, durability)
    batches = [findings(task_id, per_thread) for _ in range(threads)]
    timed_appends(journal, findings(task_id, 20), [])  # warm: index built, file open
    before = journal.stats().fsyncs
    latencies: list[list[float]] = [[] for _ in range(threads)]
    seconds = run_threads(
        [
            threading.Thread(target=timed_appends, args=(journal, batch, out))
            for batch, out in zip(batches, latencies, strict=True)
        ]
    )
    fsyncs = journal.stats().fsyncs - before
    journal.close()
    return Row(
        name=name,
        events=threads * per_thread,
        seconds=seconds,
        fsyncs=fsyncs,
        latencies=[x for part in latencies for x in part],
    )


def _process_child(
    path: Path,
    durability: Durability,
    task_id: str,
    count: int,
    barrier: Barrier,
    out: Callable[[object], None],
) -> None:
    journal = Journal(Settings(journal_path=path, durability=durability))
    journal.open()
    timed_appends(journal, findings(task_id, 20), [])
    events = findings(task_id, count)
    before = journal.stats().fsyncs
    latencies: list[float] = []
    barrier.wait()
    began = time.perf_counter()
    timed_appends(journal, events, latencies)
    ended = time.perf_counter()
    out((began, ended, journal.stats().fsyncs - before, latencies))
    journal.close()


def processes(name: str, durability: Durability, count: int, per_process: int) -> Row:
    """(e), (f) ``count`` processes, each with its own Journal, on one file."""
    journal, task_id = fresh_journal(name, durability)
    journal.close()
    # fork: the children need nothing but this module's functions, and start fast.
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(count)
    queue = context.SimpleQueue()
    children = [
        context.Process(
            target=_process_child,
            args=(journal.path, durability, task_id, per_process, barrier, queue.put),
        )
        for _ in range(count)
    ]
    for child in children:
        child.start()
    results = [queue.get() for _ in children]
    for child in children:
        child.join()
    began = min(r[0] for r in results)
    ended = max(r[1] for r in results)
    return Row(
        name=name,
        events=count * per_process,
        seconds=ended - began,
        fsyncs=sum(r[2] for r in results),
        latencies=[x for r in results for x in r[3]],
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every event count")
    args = parser.parse_args()

    def n(count: int) -> int:
        return max(1, int(count * args.scale))

    if DATA.exists():
        shutil.rmtree(DATA)
    DATA.mkdir(parents=True)
    fs_type = filesystem_of(DATA)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"journals in {DATA} ({fs_type}); python {sys.version.split()[0]}; "
        f"{os.cpu_count()} CPUs; load {load}"
    )
    if fs_type in ("tmpfs", "ramfs"):
        print("warning: fsync on a RAM filesystem is free; the always rows mean nothing")

    rows = [
        raw_floor(n(20000)),
        threaded("(b) 1 thread, flush", "flush", 1, n(5000)),
        threaded("(c) 1 thread, always", "always", 1, n(2000)),
        threaded("(d) 8 threads, always", "always", 8, n(1000)),
        processes("(e) 4 processes, flush", "flush", 4, n(2000)),
        processes("(f) 4 processes, always", "always", 4, n(1000)),
        bare_commit("(c0) bare commit, 1 thread", 1, n(2000)),
        bare_commit("(d0) bare commit, 8 thr.", 8, n(1000)),
    ]
    header = (
        f"{'row':<26}{'events':>8}{'events/s':>11}{'fsync/event':>13}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.name:<26}{row.events:>8}{row.events / row.seconds:>11,.0f}"
            f"{row.fsyncs / row.events:>13.3f}"
            f"{statistics.median(row.latencies) * 1000:>9.3f}"
            f"{percentile(row.latencies, 0.99) * 1000:>9.3f}"
            f"{max(row.latencies) * 1000:>9.3f}"
        )
    by_name = {row.name.split()[0]: row for row in rows}
    c, d, e, f = by_name["(c)"], by_name["(d)"], by_name["(e)"], by_name["(f)"]
    speedup = (d.events / d.seconds) / (c.events / c.seconds)
    bare_d = by_name["(d0)"].events / by_name["(d0)"].seconds
    bare_c = by_name["(c0)"].events / by_name["(c0)"].seconds
    d_fsyncs = d.fsyncs / d.events
    e_p99 = percentile(e.latencies, 0.99) * 1000
    f_fsyncs = f.fsyncs / f.events
    f_p99 = percentile(f.latencies, 0.99) * 1000
    print()
    for goal, got, met in (
        ("(d) events/s >= 5x (c)", f"{speedup:.1f}x", speedup >= 5),
        ("(d) fsyncs/event <= 0.2", f"{d_fsyncs:.3f}", d_fsyncs <= 0.2),
        ("(e) p99 < 5 ms", f"{e_p99:.3f} ms", e_p99 < 5),
        ("(f) fsyncs/event <= 0.5", f"{f_fsyncs:.3f}", f_fsyncs <= 0.5),
        ("(f) p99 <= 5 ms", f"{f_p99:.3f} ms", f_p99 <= 5),
    ):
        print(f"goal {goal:<26}{got:>10}  {'met' if met else 'MISSED'}")
    print()
    # What the threads and fsyncs alone allow: (d0) over (c0), and (d0) over (c), which is
    # what (d) would reach if its journal work cost nothing while (c) still paid for it.
    print(f"bare (d0)/(c0){bare_d / bare_c:>25.1f}x  (a group commit with no journal)")
    print(f"bare (d0)/(c){bare_d / (c.events / c.seconds):>26.1f}x  ((d) if its journal cost 0)")


if __name__ == "__main__":
    main()
