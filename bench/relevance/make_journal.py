"""Write the relevance set's journal (``journal.jsonl``) and judgments (``judgments.json``).

The journal is the hand-written facts of ``facts.py``, each in its task, among several
thousand events of everyday engineering work drawn (seeded, so the file is the same on
every run) from templates over the same vocabulary: the distractors a real journal has.
The judgments are the queries of ``facts.py`` with the ids of their relevant events.

Run: ``python bench/relevance/make_journal.py`` (the output is committed; run it again
only after changing the facts or the templates).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from facts import FACTS, JUDGMENTS, TASKS

HERE = Path(__file__).resolve().parent
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

COMPONENTS = [
    "upload worker",
    "auth service",
    "nginx proxy",
    "config parser",
    "CI pipeline",
    "Redis cache",
    "orders table",
    "search index",
    "Android app",
    "billing service",
    "log shipper",
    "build system",
    "payment service",
    "session store",
    "scheduler",
    "metrics exporter",
    "feature flags",
    "email sender",
    "image resizer",
    "API gateway",
]
VERBS = [
    "checked",
    "profiled",
    "read the code of",
    "added logging to",
    "reviewed",
    "paired on",
    "rewrote a test for",
    "traced a request through",
    "bisected a change in",
    "measured",
]
DETAILS = [
    "nothing unusual in the last hour of logs",
    "latency p99 is 340 ms, as last week",
    "the error rate is flat",
    "memory grows by 20 MB an hour",
    "a timeout of 30 s is set",
    "the retry budget is 3 attempts",
    "tests pass locally but not in CI",
    "the cache hit rate is 92%",
    "the queue depth peaks at 1,200 jobs",
    "a config flag disables the new path",
    "the dashboard shows two deploys today",
    "the upstream answers in 15 ms",
    "the lock is held for 2 seconds at most",
    "CPU is at 40% on every pod",
    "the token expires after 15 minutes",
    "disk usage is at 71%",
    "the connection pool has 20 slots",
]
TYPES = ["finding", "finding", "evidence", "hypothesis", "decision", "rejection", "constraint"]
OTHER_TASKS = [
    "Slow dashboard load",
    "Nightly backup fails",
    "Rate limiter too strict",
    "Emails land in spam",
    "Thumbnails are blurry",
    "Cron jobs overlap",
    "Metrics gaps at midnight",
    "Feature flag cleanup",
    "Onboarding docs outdated",
    "Dark mode contrast",
    "Webhook retries pile up",
    "Timezone bug in reports",
    "Session timeout too short",
    "Export to CSV is slow",
    "Queue consumer stalls",
    "Search suggestions irrelevant",
    "Flaky end-to-end tests",
    "Memory leak in worker",
    "SSL certificate renewal",
    "API pagination off by one",
    "Docker image too large",
    "Password reset links expire early",
    "Audit log missing entries",
    "Deploy rollback takes too long",
    "Health checks flap",
    "Upload progress bar stuck",
    "Translation strings missing",
    "Push notifications delayed",
    "Admin page 500s",
    "Kafka consumer lag",
    "GraphQL query too deep",
    "Retry storm after outage",
    "Test data leaks between tests",
    "Staging differs from production",
    "Accessibility audit findings",
    "Legacy endpoint removal",
    "Cost spike on storage",
    "Load test on checkout",
    "Timeouts in the PDF service",
    "Disk fills up on builders",
]


def ulid(moment: dt.datetime, rng: random.Random) -> str:
    ms = int(moment.timestamp() * 1000)
    head = "".join(_CROCKFORD[(ms >> shift) & 31] for shift in range(45, -1, -5))
    return head + "".join(rng.choice(_CROCKFORD) for _ in range(16))


def task_id(rng: random.Random) -> str:
    return "tj-" + "".join(rng.choice(_CROCKFORD.lower()) for _ in range(10))


def event(
    rng: random.Random, moment: dt.datetime, task: str, kind: str, text: str, **extra: Any
) -> dict[str, Any]:
    line: dict[str, Any] = {
        "event_id": ulid(moment, rng),
        "schema_version": "1.0",
        "task_id": task,
        "type": kind,
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        "author": "agent",
        "source": "chat",
        "text": text,
        "refs": extra.pop("refs", {}),
    }
    line.update({key: value for key, value in extra.items() if key in ("corrects", "supersedes")})
    line["status"] = "confirmed"
    line["meta"] = extra.get("meta", {})
    return line


def main() -> None:
    rng = random.Random(20261206)
    moment = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)
    ids = {name: task_id(rng) for name in TASKS}
    others = {title: task_id(rng) for title in OTHER_TASKS}
    titles = {
        **{ids[name]: title for name, title in TASKS.items()},
        **{v: k for k, v in others.items()},
    }
    lines: list[dict[str, Any]] = []
    for task, title in titles.items():
        moment += dt.timedelta(minutes=rng.randint(5, 90))
        lines.append(event(rng, moment, task, "open", title, meta={"title": title}))
    facts = list(FACTS)
    keyed: dict[str, str] = {}
    every_task = list(titles)
    # About 60 background events between two facts: several thousand in all.
    for key, name, kind, text, extra in facts:
        for _ in range(rng.randint(40, 80)):
            moment += dt.timedelta(minutes=rng.randint(1, 30))
            component = rng.choice(COMPONENTS)
            noise = f"{rng.choice(VERBS).capitalize()} the {component}: {rng.choice(DETAILS)}"
            lines.append(event(rng, moment, rng.choice(every_task), rng.choice(TYPES), noise))
        moment += dt.timedelta(minutes=rng.randint(1, 30))
        fields: dict[str, Any] = {}
        for field in ("corrects", "supersedes"):
            if field in extra:
                fields[field] = keyed[extra[field]]
        refs = dict(extra.get("refs", {}))
        if "refs_events" in extra:
            refs["events"] = [keyed[target] for target in extra["refs_events"]]
        line = event(
            rng, moment, ids[name], kind, text, refs=refs, meta=extra.get("meta", {}), **fields
        )
        keyed[key] = line["event_id"]
        lines.append(line)
    with (HERE / "journal.jsonl").open("w") as file:
        for line in lines:
            file.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    judgments = [
        {"query": query, "relevant": [keyed[key] for key in keys], "keys": keys}
        for query, keys in JUDGMENTS
    ]
    (HERE / "judgments.json").write_text(json.dumps(judgments, indent=1) + "\n")
    print(f"{len(lines)} events, {len(judgments)} judged queries")


if __name__ == "__main__":
    main()
