"""Journals the viewer's tests and screenshots are shown: a task's story, and hostile lines."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

import msgspec

from journal_core import Journal, Settings, new_event
from journal_core.events import format_timestamp, new_event_id


def _at(event: Any, moment: dt.datetime) -> Any:
    """``event`` as if written at ``moment``."""
    return msgspec.structs.replace(
        event, event_id=new_event_id(moment), timestamp=format_timestamp(moment)
    )


def story_journal(path: Path, now: dt.datetime | None = None) -> dict[str, str]:
    """A journal with a few tasks, one of them a whole story: a hypothesis answered, a
    decision superseded, a finding corrected, refs to files and commits. Returns the
    ids worth naming: ``task`` (the story), ``decision``, ``superseding``, ``hypothesis``,
    ``constraint``."""
    now = now or dt.datetime.now(dt.UTC)
    journal = Journal(Settings(journal_path=path))
    ids: dict[str, str] = {}
    clock = [now - dt.timedelta(days=3)]

    def add(minutes: float, **fields: Any) -> str:
        clock[0] += dt.timedelta(minutes=minutes)
        event = _at(new_event(**fields), clock[0])
        journal.append(event)
        return str(event.event_id)

    try:
        stale = _at(
            new_event(type="open", text="Tidy the release notes", title="Release notes tidy-up"),
            now - dt.timedelta(days=12),
        )
        journal.append(stale)
        add(
            0,
            type="open",
            text="Uploads over 2 GB fail on the staging bucket",
            title="Large uploads fail on staging",
            goal="Uploads of any size finish on staging and production",
        )
        task = ids["task"] = journal.read_events(limit=1).events[0]["task_id"]

        def step(minutes: float, kind: str, text: str, **fields: Any) -> str:
            return add(minutes, type=kind, text=text, task_id=task, **fields)

        ids["hypothesis"] = step(
            20,
            "hypothesis",
            "The proxy cuts requests at 2 GiB (client_max_body_size)",
            confidence=0.6,
        )
        files = ["deploy/nginx.conf", "src/upload/client.py"]
        step(
            35,
            "finding",
            "nginx allows 10 GB; the cut happens in the SDK's single PUT, limited to 5 GB "
            "but buffering the whole body in memory first",
            refs={"files": files, "events": [ids["hypothesis"]]},
        )
        alternatives = [
            {"option": "raise the limit", "chosen": True, "rationale": "one line"},
            {"option": "multipart upload", "chosen": False, "rationale": "more code"},
        ]
        ids["decision"] = step(
            50,
            "decision",
            "Raise the worker memory limit to 4 GB",
            meta={"alternatives": alternatives},
        )
        commit = "9f1c2e7a4b5d6e7f8091a2b3c4d5e6f708192a3b"
        wrong = step(
            30, "finding", "Memory use peaks at 2.1 GB for a 2 GB file", refs={"commits": [commit]}
        )
        step(
            10,
            "correction",
            "Memory use peaks at 4.3 GB for a 2 GB file: the body is copied once more",
            corrects=wrong,
        )
        step(25, "rejection", "Raising the memory limit: it only moves the cliff to 4 GB")
        ids["superseding"] = step(
            40,
            "decision",
            "Stream uploads in 64 MB multipart chunks instead of one PUT",
            supersedes=ids["decision"],
            refs={"files": ["src/upload/multipart.py"]},
        )
        commit = "c0ffee1234567890abcdef1234567890abcdef12"
        evidence = "A 7 GB upload finished in 3 min 10 s;\npeak memory 180 MB"
        step(90, "evidence", evidence, evidence_strength="strong", refs={"commits": [commit]})
        ids["constraint"] = step(
            15, "constraint", "Chunks must stay at 5 MB or more: S3 refuses smaller parts"
        )
        step(20, "hypothesis", "Retries of a failed part may duplicate it", confidence=0.3)
        add(60, type="open", text="Flaky test_auth on CI", title="Flaky test_auth on CI")
        add(5, type="open", text="Search ranks old decisions too high", title="Search ranking")
    finally:
        journal.close()
    return ids


# Text that would run, load or mislead if it were ever treated as markup.
HOSTILE = [
    "<script>alert('script')</script>",
    "<img src=x onerror=\"alert('img')\">",
    '"><svg onload=alert(1)>',
    "' autofocus onfocus='alert(2)",
    "</textarea><script>alert(3)</script>",
    "javascript:alert('link')",
    "\u202egnp.exe\u202c right-to-left override",
    "bell\x07 escape\x1b[31m nul-free controls\x7f",
    "<a href=\"javascript:alert('a')\">click</a>",
    "<style>body{display:none}</style>",
    '<iframe src="http://127.0.0.1:1/x"></iframe>',
    "{{ 7*7 }} {% raw %}",
]


def hostile_lines(path: Path) -> list[str]:
    """Write foreign lines (as another writer's, never validated by this one) whose every
    field is hostile; returns their task ids."""
    task_ids = []
    with path.open("a", encoding="utf-8") as file:
        for n, text in enumerate(HOSTILE):
            task_id = f"x{n}{text}"
            task_ids.append(task_id)
            for kind in ("open", "decision"):
                file.write(hostile_line(task_id, kind, text, f"{text} hostile{n}"))
    return task_ids


def hostile_line(task_id: str, kind: str, hostile: str, text: str) -> str:
    """A foreign line of ``task_id`` whose every field but its text and type is
    ``hostile``, newline included."""
    moment = dt.datetime.now(dt.UTC)
    line = {
        "event_id": new_event_id(moment),
        "schema_version": "1.0",
        "task_id": task_id,
        "type": kind,
        "timestamp": format_timestamp(moment),
        "author": hostile,
        "source": hostile,
        "text": text,
        "refs": {"files": [hostile], "commits": [hostile], "events": [hostile]},
        "status": "confirmed",
        "meta": {"title": hostile, "goal": hostile, hostile: hostile},
        "corrects": hostile,
    }
    return json.dumps(line, ensure_ascii=False) + "\n"
