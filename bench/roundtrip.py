"""What an agent waits for: one MCP tool call's latency over stdio, on a small and a big journal.

For each journal size (100 and 100,000 events) the installed ``task-journal-mcp`` is started
as a stdio child of an MCP client, once per durability mode, and the client times whole
``tools/call`` round trips: ``append_event`` to a task in ``always`` and in ``flush`` mode,
and ``read_events`` of one task's latest 50 events in the middle of the journal. The rows
for 100,000 events should match those for 100: no call may cost more on a bigger journal.
A second table gives the time from spawning the server to its first answer, which
includes reading the journal's index.

The floor is a do-nothing ``async`` tool with the same arguments on the same SDK, served
by this program (``--floor-server``) over stdio beside ours: appends to each alternate,
call by call, so that the machine's load weighs on both alike. The table gives our p50
over the floor's ("ratio"), and the median of each call's time over that of the floor
call made right after it ("paired", steadier when the load changes during the run).
Targets: at most 1.5x in ``always`` mode, 1.2x in ``flush`` mode. The floor runs the SDK's
own stdio transport, which reads and writes each message in a worker thread; ours uses
its pipes on the event loop (``server/sdk/pipes.py``), so it can answer sooner than the
floor. With ``--label NAME`` the ratios of the smallest journal are also kept in
``bench/data/roundtrip-changes.tsv`` under that name (with the commit), and every row
kept so far is printed: one row per change, each measured against its own floor.

The journals are made once, with valid lines written straight to the file, and kept under
``bench/data/``; each run appends to a copy.
Run: ``python bench/roundtrip.py [--calls N] [--sizes 100] [--label NAME]``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
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
CHANGES = DATA / "roundtrip-changes.tsv"
SIZES = (100, 100_000)
TARGETS = {"always": 1.5, "flush": 1.2}
EVENTS_PER_TASK = 100
SERVER = Path(sys.executable).parent / "task-journal-mcp"
# A correction or a supersede must name an earlier event: left out, as lifecycle is.
WORK_TYPES = [
    t for t in EVENT_TYPES if t not in ("open", "close", "reopen", "correction", "supersede")
]


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


def serve_floor() -> None:
    """The floor: an MCP server whose one tool takes append_event's arguments and does nothing."""
    from mcp.server import MCPServer

    server = MCPServer("floor")

    @server.tool()
    async def append_event(type: str, task_id: str, text: str) -> dict[str, bool]:
        """Do nothing."""
        return {"done": True}

    server.run()


async def measure(
    size: int, durability: str, calls: int
) -> tuple[dict[str, list[float]], list[float], float]:
    """Latencies per operation, the floor's beside our appends, and the ms from spawn to
    the first read's answer."""
    source = journal_of(size)
    task_id = middle_task(source)
    with tempfile.TemporaryDirectory(dir=DATA) as scratch:
        journal = Path(scratch) / "journal.jsonl"
        shutil.copyfile(source, journal)
        params = StdioServerParameters(
            command=str(SERVER), args=["--journal", str(journal), "--durability", durability]
        )
        floor_params = StdioServerParameters(
            command=sys.executable, args=[str(Path(__file__).resolve()), "--floor-server"]
        )
        spawned = time.perf_counter()
        async with Client(params) as client, Client(floor_params) as floor:
            for each in (client, floor):
                each.session.validate_tool_result = skip_validation  # type: ignore[method-assign]
            first = await client.call_tool("read_events", {"task_id": task_id, "limit": 50})
            start_ms = (time.perf_counter() - spawned) * 1000
            if first.is_error:
                raise SystemExit(f"tool error: {first.content}")
            # A fresh journal's reads answer once the index's structure is built; its full
            # text is built after, in the background, and a first search waits for it.
            # Wait so, that the calls are timed as in a session past its first minute.
            await client.call_tool("search_events", {"query": "finding"})
            append = {"type": "finding", "task_id": task_id, "text": "Benchmark finding"}
            ours, floors = await alternating(
                calls,
                lambda: client.call_tool("append_event", append),
                lambda: floor.call_tool("append_event", append),
            )
            rows = {f"append_event ({durability})": ours}
            if durability == "always":
                read = {"task_id": task_id, "limit": 50}
                rows["read_events (50 of a task)"] = await timed(
                    calls, lambda: client.call_tool("read_events", read)
                )
    return rows, floors, start_ms


async def alternating(
    calls: int, ours: Callable[[], Awaitable[Any]], floor: Callable[[], Awaitable[Any]]
) -> tuple[list[float], list[float]]:
    """Milliseconds of ``calls`` round trips to each, one to ours then one to the floor."""
    for _ in range(5):
        await ours()
        await floor()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(calls):
        for call, out in ((ours, times[0]), (floor, times[1])):
            start = time.perf_counter()
            result = await call()
            out.append((time.perf_counter() - start) * 1000)
            if result.is_error:
                raise SystemExit(f"tool error: {result.content}")
    return times


def keep_change(label: str, ratios: dict[str, tuple[float, float, float]]) -> None:
    """Add this run's rows to the table of changes (one line per mode)."""
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent,
    ).stdout.strip()
    with CHANGES.open("a") as out:
        for mode, (ours, floor, paired) in ratios.items():
            out.write(f"{label}\t{commit}\t{mode}\t{ours:.3f}\t{floor:.3f}\t{paired:.3f}\n")


def print_changes() -> None:
    print(
        f"{'change':<40} {'commit':>14} {'mode':>7} {'p50 ms':>7} {'floor':>6}"
        f" {'ratio':>6} {'paired':>6}"
    )
    for line in CHANGES.read_text().splitlines():
        label, commit, mode, ours, floor, paired = line.split("\t")
        ratio = float(ours) / float(floor)
        print(
            f"{label:<40} {commit:>14} {mode:>7} {float(ours):>7.2f} {float(floor):>6.2f}"
            f" {ratio:>5.2f}x {float(paired):>5.2f}x"
        )


def percentile(values: list[float], fraction: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--calls", type=int, default=300, help="timed calls per row")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=SIZES, help="journal sizes, in events"
    )
    parser.add_argument("--label", help="keep the ratios as the row of this change")
    args = parser.parse_args()
    if not SERVER.exists():
        raise SystemExit(f"{SERVER} is missing: install the project first (make test does)")
    for size in args.sizes:
        journal_of(size)
    header = (
        f"{'operation':<28} {'journal':>9} {'calls':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}"
        f" {'floor p50':>9} {'ratio':>6} {'paired':>6}"
    )
    rows: list[str] = []
    starts: list[str] = []
    verdicts: list[str] = []
    ratios: dict[str, tuple[float, float, float]] = {}
    for size in args.sizes:
        for durability in ("always", "flush"):
            measured, floors, start_ms = await measure(size, durability, args.calls)
            floor_p50 = percentile(floors, 0.5)
            for name, latencies in measured.items():
                p50 = percentile(latencies, 0.5)
                row = (
                    f"{name:<28} {size:>9,} {len(latencies):>6} {p50:>8.2f}"
                    f" {percentile(latencies, 0.9):>8.2f} {percentile(latencies, 0.99):>8.2f}"
                )
                if name.startswith("append_event"):
                    # Each call beside the floor call made right after it: the median of
                    # those ratios shrugs off load that comes and goes during the run.
                    paired = statistics.median(
                        o / f for o, f in zip(latencies, floors, strict=True)
                    )
                    row += f" {floor_p50:>9.2f} {p50 / floor_p50:>5.2f}x {paired:>5.2f}x"
                    target = TARGETS[durability]
                    met = "met" if p50 / floor_p50 <= target else "MISSED"
                    verdicts.append(
                        f"goal {name} on {size:,} <= {target}x floor: {p50 / floor_p50:.2f}x {met}"
                    )
                    if size == min(args.sizes):
                        ratios[durability] = (p50, floor_p50, paired)
                rows.append(row)
            starts.append(
                f"{'spawn to first read (' + durability + ')':<34} {size:>9,} {start_ms:>9.0f}"
            )
    load = os.getloadavg()
    print(
        f"task-journal-mcp over stdio, {os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f}"
        f" {load[2]:.2f}, journals in {DATA}"
    )
    print(header)
    print("\n".join(rows))
    print()
    print("\n".join(verdicts))
    print()
    print(f"{'start-up':<34} {'journal':>9} {'ms':>9}")
    print("\n".join(starts))
    if args.label:
        keep_change(args.label, ratios)
    if CHANGES.exists():
        print()
        print_changes()


if __name__ == "__main__":
    if sys.argv[1:] == ["--floor-server"]:
        serve_floor()
    else:
        anyio.run(main)
