"""How fast a resume pack is built: one table, every row from one run.

Generates (once, cached under ``bench/data/``) a journal of one big task of 10,000
events (a realistic mix: findings, evidence, decisions with alternatives, rejections,
hypotheses, corrections, supersedes and refs) among 40,000 events of 400 other tasks,
then times, warm (the index built, the file in the page cache), the median and p95 of
each call over the big task: reading its events, the pure pack build (from the events
alone, folded whole; and from the events with the standings the index keeps, as a
journal builds it), ``task_pack`` in each mode, ``resume`` and ``export_pr`` (asked
again of the unchanged task, as an agent does: the journal remembers what its packs are
made of), and the first pack and description a new ``Journal`` makes (as a command
does: the task and its standings read). CPU time and the fastest run are shown next to
the median because on a busy machine they part ways: the fastest is the nearest to what
an idle machine gives.

Run: ``python bench/pack.py [--events 10000] [--runs 21]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from journal_core import Journal, Settings
from journal_core.events import format_timestamp, new_event_id, new_task_id
from journal_core.index.store import JournalStore
from journal_core.pack import build_pack, decode_pack_event, pack_facts

DATA = Path(__file__).resolve().parent / "data"
GENERATOR_VERSION = 1
TARGET_MS = 50.0
BIG_TASK = "tj-benchpack0"
VOCABULARY = (
    "the upload fixture socket leak retry timeout parser index cursor lock fsync writer "
    "reader decision finding build scan memory newest oldest filter query title status"
)
WORDS = VOCABULARY.split()
KINDS = ("finding", "finding", "evidence", "hypothesis", "decision", "rejection", "constraint")


def generate(path: Path, events: int, others: int, other_events: int) -> None:
    """Write the journal: the big task's events interleaved with the other tasks'."""
    import datetime as dt

    rng = random.Random(20261202)
    encode = msgspec.json.Encoder().encode
    moment = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    other_ids = [new_task_id() for _ in range(others)]
    opened: set[str] = set()
    big_ids: list[str] = []

    def line(task_id: str, kind: str, **fields: Any) -> bytes:
        nonlocal moment
        moment += dt.timedelta(milliseconds=rng.randrange(1, 3000))
        event_id = new_event_id(moment)
        if task_id == BIG_TASK:
            big_ids.append(event_id)
        event = {
            "event_id": event_id,
            "schema_version": "1.0",
            "task_id": task_id,
            "type": kind,
            "timestamp": format_timestamp(moment),
            "author": "agent",
            "source": "chat",
            "text": " ".join(rng.choices(WORDS, k=rng.randrange(8, 40))),
            "refs": fields.pop("refs", {}),
            **fields,
            "status": "suggested" if rng.random() < 0.05 else "confirmed",
            "meta": fields.pop("meta", {}),
        }
        return encode(event) + b"\n"

    partial = path.with_suffix(".partial")
    with partial.open("wb") as file:
        file.write(line(BIG_TASK, "open", meta={"title": "The big task", "goal": "Resume fast"}))
        big_left, other_left = events - 1, other_events
        while big_left or other_left:
            if other_left and (not big_left or rng.random() < other_left / (other_left + big_left)):
                task_id = rng.choice(other_ids)
                kind = "open" if task_id not in opened else rng.choice(KINDS)
                opened.add(task_id)
                meta = {"title": "Task " + task_id} if kind == "open" else {}
                file.write(line(task_id, kind, meta=meta))
                other_left -= 1
                continue
            kind = rng.choice(KINDS)
            fields: dict[str, Any] = {}
            roll = rng.random()
            if roll < 0.05:
                kind, fields["corrects"] = "correction", rng.choice(big_ids)
            elif roll < 0.08:
                fields["supersedes"] = rng.choice(big_ids)
            if rng.random() < 0.3:
                fields["refs"] = {
                    "files": [f"src/{rng.choice(WORDS)}.py"],
                    "events": [rng.choice(big_ids)],
                }
            if kind == "decision":
                fields["meta"] = {
                    "alternatives": [
                        {"option": "one way", "chosen": True, "rationale": "simpler"},
                        {"option": "another", "chosen": False, "rationale": "slower"},
                    ]
                }
            file.write(line(BIG_TASK, kind, **fields))
            big_left -= 1
    partial.replace(path)


def timed_runs(action: Callable[[], object], runs: int) -> list[tuple[float, float]]:
    """(wall ms, CPU ms) of each of ``runs`` calls, after one call to warm up."""
    action()
    times = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        times.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
    return times


def first(path: Path, ask: str) -> object:
    """What a new ``Journal`` (a command's) gives first: the task read and folded."""
    journal = Journal(Settings(journal_path=path))
    try:
        return getattr(journal, ask)(BIG_TASK)
    finally:
        journal.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--events", type=int, default=10_000, help="events of the big task")
    parser.add_argument("--runs", type=int, default=21, help="timed runs per row")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / f"pack-v{GENERATOR_VERSION}-{args.events}.jsonl"
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr)
        generate(path, args.events, others=400, other_events=4 * args.events)
    journal = Journal(Settings(journal_path=path))
    journal.build_index()
    # As the journal hands them to the pack: decoded with only the fields it reads.
    lines = [msgspec.json.encode(event) for event in journal.task_events(BIG_TASK)]
    events = [event for event in map(decode_pack_event, lines) if event is not None]
    del lines
    # With them, the journal hands over the standings the index keeps: the fold takes
    # them as they are.
    store = JournalStore(path)
    standings = store.task_events_standing(BIG_TASK, decode_pack_event)[2]
    store.close()
    rows: list[tuple[str, Callable[[], object], float | None]] = [
        ("task_events (the lines as dicts)", lambda: list(journal.task_events(BIG_TASK)), None),
        ("build_pack compact (pure, events in hand)", lambda: build_pack(BIG_TASK, events), None),
        (
            "build_pack full (pure, events in hand)",
            lambda: build_pack(BIG_TASK, events, mode="full"),
            None,
        ),
        (
            "build_pack compact (events, standings in hand)",
            lambda: build_pack(BIG_TASK, pack_facts(BIG_TASK, events, standings)),
            None,
        ),
        (
            "build_pack full (events, standings in hand)",
            lambda: build_pack(BIG_TASK, pack_facts(BIG_TASK, events, standings), mode="full"),
            None,
        ),
        ("task_pack compact", lambda: journal.task_pack(BIG_TASK), TARGET_MS),
        ("task_pack full", lambda: journal.task_pack(BIG_TASK, mode="full"), TARGET_MS),
        ("task_pack budget 2,000", lambda: journal.task_pack(BIG_TASK, budget_tokens=2000), None),
        ("resume (open tasks of the journal)", journal.resume, None),
        ("export_pr", lambda: journal.export_pr(BIG_TASK), None),
        ("task_pack compact, a new Journal's first", lambda: first(path, "task_pack"), TARGET_MS),
        ("export_pr, a new Journal's first", lambda: first(path, "export_pr"), None),
    ]
    size_mb = path.stat().st_size / 1e6
    print(f"journal: {path.name}, {size_mb:.1f} MB; the task: {len(events)} events; warm")
    print(
        f"{'measure':<47} {'p50 ms':>8} {'p95 ms':>8} {'min ms':>8} {'CPU p50':>8} "
        f"{'target':>8}  verdict"
    )
    failed = False
    for name, action, target in rows:
        runs = timed_runs(action, args.runs)
        walls = sorted(wall for wall, _ in runs)
        p50 = statistics.median(walls)
        p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
        cpu = statistics.median(cpu for _, cpu in runs)
        verdict = ""
        if target is not None:
            verdict = "ok" if p50 < target else "SLOW"
            failed = failed or p50 >= target
        shown = f"< {target:g}" if target is not None else ""
        print(
            f"{name:<47} {p50:>8.1f} {p95:>8.1f} {walls[0]:>8.1f} {cpu:>8.1f} {shown:>8}  {verdict}"
        )
    journal.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
