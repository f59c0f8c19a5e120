"""What an agent waits for: one MCP tool call's latency over stdio, on a small and a big journal.

For each journal size (100 and 100,000 events) the installed ``task-journal-mcp`` is started
as a stdio child of an MCP client, once per durability mode, and the client times whole
``tools/call`` round trips: ``append_event`` to a task in ``always`` and in ``flush`` mode,
and ``read_events`` of one task's latest 50 events in the middle of the journal. The rows
for 100,000 events should match those for 100: no call may cost more on a bigger journal.
A second table gives the time from spawning the server to its first answer, which
includes reading the journal's index.

The journals are made once, with valid lines written straight to the file, and kept under
``bench/data/``; each run appends to a copy. Run: ``python bench/roundtrip.py [--calls N]``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from journal_core import EVENT_TYPES, new_event
from journal_core.events import encode_line

DATA = Path(__file__).resolve().parent / "data"
SIZES = (100, 100_000)
EVENTS_PER_TASK = 100
SERVER = Path(sys.executable).parent / "task-journal-mcp"
WORK_TYPES = [t for t in EVENT_TYPES if t not in ("open", "close", "reopen")]


def journal_of(size: int) -> Path:
    """A journal of ``size`` valid events in tasks of 100, made once and kept."""
    path = DATA / f"roundtrip-{size}.jsonl"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    rng = random.Random(size)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        for task in range(size // EVENTS_PER_TASK):
            opened = new_event(type="open", title=f"Task {task}", text=f"Start task {task}")
            out.write(encode_line(opened))
            for n in range(EVENTS_PER_TASK - 1):
                kind = rng.choice(WORK_TYPES)
                text = f"{kind} {n} of task {task}: " + "words " * rng.randint(5, 40)
                event = new_event(type=kind, task_id=opened.task_id, text=text)
                out.write(encode_line(event))
    partial.replace(path)
    return path


def middle_task(path: Path) -> str:
    """The id of the task opened in the middle of the journal."""
    opened = [
        line.split(b'"task_id":"', 1)[1].split(b'"', 1)[0].decode()
        for line in path.read_bytes().splitlines()
        if b'"type":"open"' in line
    ]
    return opened[len(opened) // 2]


async def skip_validation(name: str, result: Any) -> None:
    """Stands in for the Python client's own check of each result against the tool's output
    schema (jsonschema, about 10 ms for 50 events): that is the client's cost, not the server's."""


async def timed(calls: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    """Milliseconds of each of ``calls`` sequential round trips (after 5 to warm up)."""
    for _ in range(5):
        await call()
    latencies = []
    for _ in range(calls):
        start = time.perf_counter()
        result = await call()
        latencies.append((time.perf_counter() - start) * 1000)
        if result.is_error:
            raise SystemExit(f"tool error: {result.content}")
    return latencies


async def measure(size: int, durability: str, calls: int) -> tuple[dict[str, list[float]], float]:
    """Latencies per operation, and the ms from spawn to the first read's answer."""
    source = journal_of(size)
    task_id = middle_task(source)
    with tempfile.TemporaryDirectory(dir=DATA) as scratch:
        journal = Path(scratch) / "journal.jsonl"
        shutil.copyfile(source, journal)
        params = StdioServerParameters(
            command=str(SERVER), args=["--journal", str(journal), "--durability", durability]
        )
        spawned = time.perf_counter()
        async with Client(params) as client:
            client.session.validate_tool_result = skip_validation  # type: ignore[method-assign]
            first = await client.call_tool("read_events", {"task_id": task_id, "limit": 50})
            start_ms = (time.perf_counter() - spawned) * 1000
            if first.is_error:
                raise SystemExit(f"tool error: {first.content}")
            append = {"type": "finding", "task_id": task_id, "text": "Benchmark finding"}
            rows = {
                f"append_event ({durability})": await timed(
                    calls, lambda: client.call_tool("append_event", append)
                )
            }
            if durability == "always":
                read = {"task_id": task_id, "limit": 50}
                rows["read_events (50 of a task)"] = await timed(
                    calls, lambda: client.call_tool("read_events", read)
                )
    return rows, start_ms


def percentile(values: list[float], fraction: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="timed calls per row")
    calls = parser.parse_args().calls
    if not SERVER.exists():
        raise SystemExit(f"{SERVER} is missing: install the project first (make test does)")
    for size in SIZES:
        journal_of(size)
    header = (
        f"{'operation':<28} {'journal':>9} {'calls':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}"
    )
    rows: list[str] = []
    starts: list[str] = []
    for size in SIZES:
        for durability in ("always", "flush"):
            measured, start_ms = await measure(size, durability, calls)
            for name, latencies in measured.items():
                rows.append(
                    f"{name:<28} {size:>9,} {len(latencies):>6} {percentile(latencies, 0.5):>8.2f}"
                    f" {percentile(latencies, 0.9):>8.2f} {percentile(latencies, 0.99):>8.2f}"
                )
            starts.append(
                f"{'spawn to first read (' + durability + ')':<34} {size:>9,} {start_ms:>9.0f}"
            )
    print(f"task-journal-mcp over stdio, {os.cpu_count()} CPUs, journals in {DATA}")
    print(header)
    print("\n".join(rows))
    print()
    print(f"{'start-up':<34} {'journal':>9} {'ms':>9}")
    print("\n".join(starts))


if __name__ == "__main__":
    anyio.run(main)
