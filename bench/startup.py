"""How long an MCP client waits for a new server: from spawn to ``initialize`` answered, to
its first ``read_events`` answered (the newest 50 events, which a fresh server reads from
the file's end), and to a first read of one task (which needs the index), on journals of
0, 100,000 and 1,000,000 events.

Each size is measured twice: "no index", the first start on a journal (the server then
builds its index in the background, and the first read waits for it), and "indexed",
a later start, when the index on disk is current. Every row is the median of
``--runs`` starts (the "no index" runs each start from a fresh copy of the journal).
The journals are made once with ``roundtrip.journal_of`` and kept under ``bench/data/``.

Run: ``python bench/startup.py [--sizes 0 100000 1000000] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters
from roundtrip import DATA, SERVER, journal_of, middle_task

SIZES = (0, 100_000, 1_000_000)


async def one_start(journal: Path, task_id: str | None) -> tuple[float, float, float]:
    """Milliseconds from spawning a server on ``journal`` to its answers to ``initialize``,
    to the first ``read_events`` and to a read of ``task_id`` (0 without one)."""
    params = StdioServerParameters(
        command=str(SERVER), args=["--journal", str(journal), "--durability", "flush"]
    )
    spawned = time.perf_counter()
    async with Client(params) as client:
        initialized = time.perf_counter()
        reads = [{"limit": 50}] + ([{"task_id": task_id, "limit": 50}] if task_id else [])
        answered = []
        for read in reads:
            result = await client.call_tool("read_events", read)
            answered.append(time.perf_counter())
            if result.is_error:
                raise SystemExit(f"tool error: {result.content}")
    task_ms = (answered[1] - spawned) * 1000 if task_id else 0.0
    return (initialized - spawned) * 1000, (answered[0] - spawned) * 1000, task_ms


async def measure(size: int, runs: int) -> dict[str, list[float]]:
    """Median milliseconds to each answer of ``runs`` starts, without and with an index."""
    source = journal_of(size) if size else None
    task_id = middle_task(source) if source is not None else None
    found: dict[str, list[tuple[float, float, float]]] = {"no index": [], "indexed": []}
    with tempfile.TemporaryDirectory(dir=DATA) as scratch:
        for run in range(runs):
            journal = Path(scratch) / f"cold-{run}" / "journal.jsonl"
            journal.parent.mkdir()
            if source is not None:
                shutil.copyfile(source, journal)
            found["no index"].append(await one_start(journal, task_id))
        for _ in range(runs):
            found["indexed"].append(await one_start(journal, task_id))
    return {
        kind: [statistics.median(start[n] for start in starts) for n in range(3)]
        for kind, starts in found.items()
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES, help="events")
    parser.add_argument("--runs", type=int, default=3, help="starts per row")
    args = parser.parse_args()
    if not SERVER.exists():
        raise SystemExit(f"{SERVER} is missing: install the project first (make test does)")
    for size in args.sizes:
        if size:
            journal_of(size)
    rows = []
    for size in args.sizes:
        for kind, (initialize_ms, read_ms, task_ms) in (await measure(size, args.runs)).items():
            task = f"{task_ms:>20.0f}" if size else f"{'-':>20}"
            rows.append(f"{size:>10,} {kind:<9} {initialize_ms:>16.0f} {read_ms:>17.0f}{task}")
    load = os.getloadavg()
    print(
        f"task-journal-mcp over stdio, {os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f}"
        f" {load[2]:.2f}, python {sys.version.split()[0]}; median of {args.runs} starts"
    )
    print(
        f"{'events':>10} {'index':<9} {'to initialize ms':>16} {'to first read ms':>17}"
        f"{'to a task read ms':>20}"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    anyio.run(main)
