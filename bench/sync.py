"""How fast sync is (SPEC §10): one table, every row from one run, real git.

Two replicas, A and B, each with its own journal, share a local bare repository. A
holds 100,000 events of its own (bench/read.py's generator) and publishes them;
B, a fresh clone, pulls them all (its first sync). Then A appends 1,000 events and
syncs (sends them), B syncs (receives them), B syncs again (nothing new); then A appends
1,000 more and sends them with ``sync --push`` (a session's end) and B takes them in with
``sync --pull`` (a session's start). The bytes
A's push sent are those of the pack git builds for it (``pack-objects --thin``
from the commit pushed, less what the remote had), set against the size of the
1,000 lines.

Each sync is a whole ``task-journal sync`` process, start-up included, as a hook or
a person runs it. Run: ``python bench/sync.py [--events 100000] [--new 1000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from read import generate  # bench/read.py: the same journal generator

CLI = Path(sys.executable).with_name("task-journal")


def _sync(journal: Path, remote: Path, *half: str) -> tuple[float, float]:
    """Wall and CPU seconds of one ``task-journal sync`` (the git it runs included)."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [str(CLI), "--journal", str(journal), "sync", "--remote", str(remote), *half],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return time.perf_counter() - started, cpu


def _pack_bytes(journal: Path) -> int:
    """The size of the thin pack that takes the replica's ref from its last commit's
    parent to it: what its last push sent (the remote had the parent)."""
    folder = Path(f"{journal}.sync")
    git = ["git", f"--git-dir={folder / 'git'}"]
    ref = json.loads((folder / "state.json").read_bytes())["published"]
    pack = subprocess.run(
        [*git, "pack-objects", "--thin", "--stdout", "--revs", "--delta-base-offset", "-q"],
        input=f"{ref}\n^{ref}~1\n".encode(),
        capture_output=True,
        check=True,
    )
    return len(pack.stdout)


def _append(journal: Path, count: int) -> int:
    """Append ``count`` new events to ``journal``; return the bytes of their lines."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from journal_core import Journal, Settings, new_event

    before = journal.stat().st_size
    target = Journal(Settings(journal_path=journal, durability="flush"))
    try:
        task = target.append(new_event(type="open", text="bench task", title="bench")).task_id
        for number in range(count - 1):
            target.append(
                new_event(
                    type="finding",
                    text=f"finding {number}: the writer keeps the lock through the sync",
                    task_id=task,
                )
            )
        target.flush()
    finally:
        target.close()
    return journal.stat().st_size - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tj-bench-sync-") as folder:
        base = Path(folder)
        remote = base / "remote.git"
        subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
        a, b = base / "a" / "events.jsonl", base / "b" / "events.jsonl"
        a.parent.mkdir()
        b.parent.mkdir()
        generate(a, args.events, max(1, args.events // 100))
        publish = _sync(a, remote)
        first = _sync(b, remote)
        line_bytes = _append(a, args.new)
        send = _sync(a, remote)
        pushed = _pack_bytes(a)
        receive = _sync(b, remote)
        idle = _sync(b, remote)
        _append(a, args.new)
        end = _sync(a, remote, "--push")  # a session's end
        start = _sync(b, remote, "--pull")  # the next session's start
        same = a.read_bytes().count(b"\n") == b.read_bytes().count(b"\n")
    print(
        f"replicas of {args.events:,} events, {args.new:,} new; local bare remote; "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; journals equal after: {same}"
    )
    rows = [
        (f"first sync of A, publishing {args.events:,}", *_seconds(publish), ""),
        (f"first sync of a fresh clone B, pulling {args.events:,}", *_seconds(first), "< 30 s"),
        (f"sync of A sending {args.new:,} new events", *_seconds(send), "< 3 s"),
        ("sync of B receiving them", *_seconds(receive), "< 3 s"),
        ("a sync with nothing new", *_seconds(idle), "< 1 s"),
        (f"session end of A: `sync --push` of {args.new:,} new", *_seconds(end), ""),
        ("session start of B: `sync --pull` of them", *_seconds(start), ""),
        (
            f"bytes pushed for {args.new:,} events / their lines",
            f"{pushed:,} / {line_bytes:,} = {pushed / line_bytes:.2f}x",
            "",
            "< 2x",
        ),
    ]
    # Markdown, as the table: pasted as it is. CPU next to wall, since on a busy
    # machine the two part ways.
    print("| measure | wall | CPU | target |\n|---|---|---|---|")
    print("\n".join(f"| {' | '.join(row)} |" for row in rows))


def _seconds(timing: tuple[float, float]) -> tuple[str, str]:
    return f"{timing[0]:.2f} s", f"{timing[1]:.2f} s"


if __name__ == "__main__":
    main()
