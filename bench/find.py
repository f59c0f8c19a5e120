"""How fast the persisted index and search are on a big journal: one table, medians of runs.

Generates (once, cached under ``bench/data/``) a journal of 1,000,000 events across
10,000 tasks, about 330 MB, whose texts draw on a vocabulary of a few thousand words
with a long tail (as prose does), with file and commit refs on some events. Each run
works on a copy, so the cached file stays as generated. Rows:

- building the index from scratch, full text included, in a fresh process: wall time,
  peak resident memory (and that of the process that makes the full text beside it),
  and the index's size against the journal's; beside it a bare
  FTS5 build of the same texts (read, decoded and inserted into an FTS5 table of the
  same tokenizer, nothing else) in the same run;
- first commands on a journal with no index: ``tasks``, ``read --task``,
  ``statusline``, ``hook session-start``;
- searches on words by how common they are: one word in over 60% of the events warm
  over MCP (and the server's memory after 50 such searches), two words each in over
  30% fresh and warm, two rare words fresh, ``rejected TOPIC`` fresh;
- a fresh process catching up 1,000 lines appended since the index was written;
- a whole fresh ``task-journal append finding ... --task X``, start-up included;
- a two-word search in a warm process (p50 and p99 over many queries);
- a whole fresh ``task-journal search``.

Run: ``python bench/find.py [--events 1000000] [--tasks 10000] [--runs 5]``; a smaller
``--events`` makes a quick run. Machine load shows in the numbers: the load average is
printed with the table.
"""

from __future__ import annotations

import argparse
import base64
import compileall
import contextlib
import itertools
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
GENERATOR_VERSION = 1
_TO_CROCKFORD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)
_TO_TASK_ID = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789abcdefghjkmnpqrstvwxyz"
)
# Syllables that words are made of, two letters each.
_SYLLABLES = [
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "be", "da", "fe",
    "gi", "ho", "ju", "ly", "mo", "nu", "pa", "qe", "ri", "so", "tu",
]  # fmt: skip
OTHER_TYPES = ("hypothesis", "finding", "evidence", "decision", "rejection", "constraint")


def vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))))
    return sorted(words)


def generate(path: Path, events: int, tasks: int) -> None:
    """Write the journal fast: lines are formatted, not encoded field by field."""
    rng = random.Random(20261202)
    words = vocabulary(rng)
    # Zipf-like weights: the n-th word is 1/n as common as the first.
    weights = [1 / (n + 1) for n in range(len(words))]
    cumulative = list(itertools.accumulate(weights))
    task_ids = [
        "tj-" + base64.b32encode(rng.randbytes(10)).translate(_TO_TASK_ID)[:10].decode()
        for _ in range(tasks)
    ]
    opened = [False] * tasks
    ms = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    partial = path.with_suffix(".partial")
    with partial.open("w", buffering=1 << 22) as file:
        for n in range(events):
            ms += rng.randrange(1, 3000)
            k = rng.randrange(tasks)
            event_id = (
                (
                    base64.b32encode((ms << 30).to_bytes(10, "big"))[:10]
                    + base64.b32encode(rng.randbytes(10))
                )
                .translate(_TO_CROCKFORD)
                .decode()
            )
            seconds, millis = divmod(ms, 1000)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"
            text = " ".join(rng.choices(words, cum_weights=cumulative, k=rng.randint(12, 22)))
            meta = ""
            if not opened[k]:
                opened[k] = True
                kind = "open"
                meta = '"title":"' + text[:40] + '"'
            else:
                kind = "close" if rng.random() < 0.01 else rng.choice(OTHER_TYPES)
            if n % 10 == 0:
                meta += ("," if meta else "") + f'"idempotency_key":"k{n}"'
            refs = ""
            if n % 4 == 0:
                refs = f'"files":["src/{words[n % 97]}/{words[n % 89]}.rs"]'
            if n % 7 == 0:
                refs += ("," if refs else "") + f'"commits":["{rng.randbytes(20).hex()}"]'
            file.write(
                f'{{"event_id":"{event_id}","schema_version":"1.0","task_id":"{task_ids[k]}",'
                f'"type":"{kind}","timestamp":"{stamp}","author":"agent","source":"chat",'
                f'"text":"{text}","refs":{{{refs}}},"status":"confirmed","meta":{{{meta}}}}}\n'
            )
    partial.replace(path)


# --- what runs in the child processes ------------------------------------------------------

# A fresh process that only brings the index up to date: what a hook or a one-off
# command pays before its own work.
CATCH_UP = """
import sys
from pathlib import Path
from journal_core.index.store import JournalStore
store = JournalStore(Path(sys.argv[1]))
store.refresh()
store.close()
"""


def peak_mb() -> float:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1]) / 1024
    return 0.0


def child(mode: str, path: Path) -> dict[str, Any]:
    from journal_core import Journal, Settings
    from journal_core.index.store import JournalStore

    if mode == "build":
        started = time.perf_counter()
        store = JournalStore(path)
        store.build()
        wall = time.perf_counter() - started
        store.close()
        # The full text is made beside, in a process of its own: its peak too.
        side = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return {"wall_s": wall, "peak_mb": peak_mb(), "side_mb": side}
    if mode == "bare":
        return {"wall_s": bare_build(path), "peak_mb": peak_mb()}
    journal = Journal(Settings(journal_path=path))
    if mode == "common":  # two common words, warm in process
        common = json.loads(os.environ["FIND_WORDS"])["pairs"]
        return warm_searches(journal, [" ".join(pair) for pair in common] * 20)
    if mode == "search":
        words = [e["text"].split() for e in journal.read_events(limit=500).events]
        rng = random.Random(7)
        queries = [" ".join(rng.sample(ws, 2)) for ws in words for _ in range(2)]
        return {**warm_searches(journal, queries), "example": queries[0]}
    raise SystemExit(f"unknown mode {mode}")


def warm_searches(journal: Any, queries: list[str]) -> dict[str, Any]:
    """p50 and p99 of ``queries`` searched one after another, the first one done before."""
    journal.search(queries[0])
    times = []
    for query in queries:
        started = time.perf_counter()
        journal.search(query)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": times[int(len(times) * 0.99) - 1],
        "queries": len(times),
    }


def bare_build(path: Path) -> float:
    """Seconds to read the journal, decode each line and insert its searchable texts into
    a bare FTS5 table of the index's tokenizer: what any full-text build must pay."""
    import sqlite3

    import msgspec

    from journal_core.index import sql
    from journal_core.search import document_row

    target = path.with_suffix(".bare.sqlite")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(sql.CREATE_FTS)
    conn.execute("BEGIN")
    decode = msgspec.json.Decoder().decode
    offset = 0
    rows = []
    with path.open("rb") as file:
        for line in file:
            rows.append((offset, *document_row(decode(line))))
            offset += len(line)
            if len(rows) == 50_000:
                conn.executemany(sql.INSERT_FTS, rows)
                rows = []
    conn.executemany(sql.INSERT_FTS, rows)
    conn.execute("COMMIT")
    conn.close()
    wall = time.perf_counter() - started
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    return wall


def pick_words(path: Path, sample: int = 20_000) -> dict[str, Any]:
    """Words by how common they are, from the share of the first ``sample`` events
    holding each: one in over 60%, pairs each in over 30%, two rare ones of one event,
    and a topic in about 1 to 3%."""
    shares: dict[str, int] = {}
    texts = []
    with path.open("rb") as file:
        for line in itertools.islice(file, sample):
            words = set(json.loads(line)["text"].split())
            texts.append(words)
            for word in words:
                shares[word] = shares.get(word, 0) + 1
    share = {word: count / len(texts) for word, count in shares.items()}
    by_share = sorted(share, key=share.__getitem__, reverse=True)
    one = next(word for word in by_share if 0.6 < share[word] < 0.95)
    thirty = [word for word in by_share if 0.3 < share[word] < 0.6]
    pairs = [[a, b] for a, b in itertools.combinations(thirty, 2)][:6]
    event = texts[len(texts) // 2]
    rare = sorted(event, key=share.__getitem__)[:2]
    topic = next(word for word in by_share if share[word] < 0.03)
    return {
        "one": one,
        "one_share": share[one],
        "pairs": pairs,
        "pair_shares": [share[w] for w in pairs[0]],
        "rare": rare,
        "rare_shares": [share[w] for w in rare],
        "topic": topic,
        "topic_share": share[topic],
    }


def rss_mb(pid: int) -> float:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    return 0.0


def server_pid(journal: Path) -> int:
    """The pid of the ``task-journal-mcp`` serving ``journal``."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(b"task-journal-mcp" in arg for arg in argv) and str(journal).encode() in argv:
                return int(entry.name)
    raise SystemExit("the server's process was not found")


def over_mcp(journal: Path, word: str, calls: int = 50) -> dict[str, float]:
    """Warm p50 of ``search_events`` on ``word`` over stdio, and the server's resident
    memory before and after ``calls`` such searches."""
    import anyio
    from mcp import Client, StdioServerParameters

    server = Path(sys.executable).parent / "task-journal-mcp"

    async def run() -> dict[str, float]:
        params = StdioServerParameters(command=str(server), args=["--journal", str(journal)])
        async with Client(params) as client:
            await client.call_tool("read_events", {"limit": 1})
            pid = server_pid(journal)
            before = rss_mb(pid)
            times = []
            for n in range(calls):
                started = time.perf_counter()
                result = await client.call_tool("search_events", {"query": word, "limit": 20})
                times.append((time.perf_counter() - started) * 1000)
                if result.is_error:
                    raise SystemExit(f"tool error: {result.content}")
                if n == 0:
                    times.pop()  # the first one reads the pages in
            return {"p50_ms": statistics.median(times), "rss_before": before, "rss": rss_mb(pid)}

    return anyio.run(run)


def run_child(mode: str, path: Path) -> tuple[float, dict[str, Any]]:
    """(wall ms of the whole child, what it printed)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = (time.perf_counter() - started) * 1000
    return wall, json.loads(done.stdout)


def whole(argv: list[str], stdin: bytes | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, input=stdin)
    return (time.perf_counter() - started) * 1000


def index_bytes(path: Path) -> int:
    return sum(
        Path(f"{path}.index.sqlite{suffix}").stat().st_size
        for suffix in ("", "-wal", "-shm")
        if Path(f"{path}.index.sqlite{suffix}").exists()
    )


def drop_index(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}.index.sqlite{suffix}").unlink(missing_ok=True)


def stop_builders(path: Path) -> None:
    """End the background index builders of ``path`` that a status line or a hook left."""
    import signal

    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"--build-index" in argv and str(path).encode() in argv:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(entry.name), signal.SIGKILL)
    time.sleep(0.5)


def save_index(path: Path, saved: Path) -> None:
    saved.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}.index.sqlite{suffix}")
        if source.exists():
            shutil.copyfile(source, saved / f"index{suffix}")


def restore_index(saved: Path, path: Path) -> None:
    drop_index(path)
    for suffix in ("", "-wal", "-shm"):
        source = saved / f"index{suffix}"
        if source.exists():
            shutil.copyfile(source, f"{path}.index.sqlite{suffix}")


def append_raw(path: Path, task_id: str, count: int, start: int) -> None:
    """Append ``count`` lines as another writer would (the index has not seen them)."""
    from journal_core.events import encode_line, new_event

    with path.open("ab") as file:
        for n in range(count):
            event = new_event(type="finding", text=f"appended line {start + n}", task_id=task_id)
            file.write(encode_line(event))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], allow_abbrev=False)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--build-runs", type=int, default=None, help="default: --runs")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return

    DATA.mkdir(exist_ok=True)
    source = DATA / f"find-v{GENERATOR_VERSION}-{args.events}-{args.tasks}.jsonl"
    if not source.exists():
        started = time.perf_counter()
        generate(source, args.events, args.tasks)
        print(f"generated {source.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    # Fresh processes are timed as installed: with their bytecode compiled, whatever
    # PYTHONDONTWRITEBYTECODE says (else each start compiles every changed module).
    root = Path(__file__).resolve().parent.parent
    for package in ("journal_core", "server"):
        compileall.compile_dir(root / package, quiet=1)
    work = DATA / "find-work.jsonl"
    drop_index(work)
    shutil.rmtree(DATA / "find-saved-index", ignore_errors=True)
    shutil.copyfile(source, work)
    size = work.stat().st_size
    cli = str(Path(sys.executable).parent / "task-journal")

    words = pick_words(work)
    os.environ["FIND_WORDS"] = json.dumps(words)
    print(f"words: {json.dumps(words)}", file=sys.stderr)
    build_runs = args.build_runs or args.runs
    builds, bares = [], []
    for _ in range(build_runs):
        bares.append(run_child("bare", work)[1])
        drop_index(work)
        builds.append(run_child("build", work)[1])
    build_s = statistics.median(b["wall_s"] for b in builds)
    bare_s = statistics.median(b["wall_s"] for b in bares)
    build_peak = max(b["peak_mb"] for b in builds)
    side_peak = max(b["side_mb"] for b in builds)
    ratio = index_bytes(work) / size

    with work.open("rb") as file:
        task_id = json.loads(file.readline())["task_id"]
    cwd = str(work.parent)
    hook_input = json.dumps({"cwd": cwd, "hook_event_name": "SessionStart"}).encode()
    first: dict[str, list[float]] = {}
    saved = DATA / "find-saved-index"
    for name, argv, stdin in [
        ("tasks", [cli, "--journal", str(work), "tasks"], None),
        ("read --task", [cli, "--journal", str(work), "read", "--task", task_id], None),
        ("statusline", [cli, "--journal", str(work), "statusline"], None),
        ("hook session-start", [cli, "hook", "session-start", "--journal", str(work)], hook_input),
    ]:
        for _ in range(build_runs):
            drop_index(work)
            first.setdefault(name, []).append(whole(argv, stdin))
            # A background build they may have left would slow what follows, and it
            # was measured above: stop it, and take back the whole index.
            stop_builders(work)
            if saved.exists():
                restore_index(saved, work)
            else:
                save_index(work, saved)
    run_child("build", work)
    # The index files just written and copied would still be on their way to the disk:
    # the first fsync of an append would wait for them.
    os.sync()
    catch_ups = []
    for run in range(args.runs):
        append_raw(work, task_id, 1000, run * 1000)
        catch_ups.append(whole([sys.executable, "-c", CATCH_UP, str(work)]))
    bare = statistics.median(whole([sys.executable, "-c", "pass"]) for _ in range(args.runs))
    appends = [
        whole([cli, "--journal", str(work), "append", "finding", "one more", "--task", task_id])
        for _ in range(args.runs)
    ]
    run_child("build", work)
    _, searched = run_child("search", work)
    fresh_searches = [
        whole([cli, "--journal", str(work), "search", searched["example"], "--json"])
        for _ in range(args.runs)
    ]

    def fresh(*argv: str) -> float:
        return statistics.median(
            whole([cli, "--journal", str(work), *argv, "--json"]) for _ in range(args.runs)
        )

    common_pair = " ".join(words["pairs"][0])
    common_fresh = fresh("search", common_pair)
    rare_fresh = fresh("search", " ".join(words["rare"]))
    rejected_fresh = fresh("rejected", words["topic"])
    _, common_warm = run_child("common", work)
    mcp = over_mcp(work, words["one"])

    print(
        f"journal: {args.events:,} events, {args.tasks:,} tasks, {size / 1e6:.0f} MB; "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; median of {args.runs} runs "
        f"({build_runs} for the build and the first commands with no index)"
    )
    pct = "{:.0%}".format
    rows = [
        ("index build from scratch, full text included", f"{build_s:,.1f} s", "< 60 s"),
        (
            "  bare FTS5 build of the same texts, same run",
            f"{bare_s:,.1f} s ({build_s / bare_s:.2f}x)",
            "build <= 1.5x",
        ),
        (
            "  peak resident memory of that process (its side)",
            f"{build_peak:,.0f} MB ({side_peak:,.0f} MB)",
            "< 300 MB",
        ),
        ("  index size / journal size", f"{ratio:.2f}", "<= 1"),
        (
            "first `tasks` / `read --task` with no index",
            f"{statistics.median(first['tasks']) / 1000:,.1f} s / "
            f"{statistics.median(first['read --task']) / 1000:,.1f} s",
            "< 5 s",
        ),
        (
            "first `statusline` / `hook session-start`, no index",
            f"{statistics.median(first['statusline']):,.0f} ms / "
            f"{statistics.median(first['hook session-start']):,.0f} ms",
            "< 200 ms / < 300 ms",
        ),
        (
            "fresh process catching up 1,000 new lines",
            f"{statistics.median(catch_ups):,.0f} ms",
            "< 150 ms",
        ),
        (
            "fresh `task-journal append finding ... --task X`",
            f"{statistics.median(appends):,.0f} ms",
            "< 150 ms",
        ),
        (
            f"one word in {pct(words['one_share'])} of events, warm over MCP: p50",
            f"{mcp['p50_ms']:,.1f} ms",
            "< 30 ms",
        ),
        (
            "  server RSS after 50 such searches (at start)",
            f"{mcp['rss']:,.0f} MB ({mcp['rss_before']:,.0f} MB)",
            "< 100 MB",
        ),
        (
            "two common words ({} and {}), fresh `search`".format(*map(pct, words["pair_shares"])),
            f"{common_fresh:,.0f} ms",
            "< 300 ms",
        ),
        (
            f"  the same, warm in process: p50 / p99 (of {common_warm['queries']})",
            f"{common_warm['p50_ms']:,.1f} ms / {common_warm['p99_ms']:,.1f} ms",
            "< 30 ms / < 100 ms",
        ),
        ("two rare words, fresh `search`", f"{rare_fresh:,.0f} ms", "< 200 ms"),
        (
            f"`rejected TOPIC` ({pct(words['topic_share'])} of events), fresh",
            f"{rejected_fresh:,.0f} ms",
            "< 200 ms",
        ),
        ("two-word search, warm, in process: p50", f"{searched['p50_ms']:,.2f} ms", "< 20 ms"),
        (f"  p99 (of {searched['queries']} queries)", f"{searched['p99_ms']:,.2f} ms", "< 100 ms"),
        (
            "fresh `task-journal search` (two words)",
            f"{statistics.median(fresh_searches):,.0f} ms",
            "< 300 ms",
        ),
        ("  of which a bare `python -c pass`", f"{bare:,.0f} ms", ""),
    ]
    header = ("measure", "result", "target")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    quality = Path(__file__).resolve().parent / "search_quality.py"
    if quality.exists():
        subprocess.run([sys.executable, str(quality)], check=True)


if __name__ == "__main__":
    main()
