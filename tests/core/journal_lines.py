"""Journal lines written by hand, for reading tests that need exact bytes and times."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec

REPO_ROOT = Path(__file__).resolve().parents[2]
_ids = itertools.count(1)


def event(
    task_id: str = "tj-aaaaaaaaaa",
    type: str = "finding",
    text: str = "a finding",
    timestamp: str = "2026-11-25T17:03:09.412Z",
    **fields: Any,
) -> dict[str, Any]:
    """An event as the JSON object of SPEC §1, with a fresh, increasing event id."""
    result: dict[str, Any] = {
        "event_id": f"01KMZ3T4J8Q7W2E5R6T{next(_ids):07d}",
        "schema_version": "1.0",
        "task_id": task_id,
        "type": type,
        "timestamp": timestamp,
        "author": "agent",
        "source": "chat",
        "text": text,
        "refs": {},
        "status": "confirmed",
        "meta": {},
    }
    result.update(fields)
    return result


def line(**fields: Any) -> bytes:
    """One complete journal line (``\\n`` included) for ``event(**fields)``."""
    return msgspec.json.encode(event(**fields)) + b"\n"


def write(path: Path, *chunks: bytes | dict[str, Any]) -> list[dict[str, Any]]:
    """Append raw bytes and events (as lines) to ``path``; returns the events."""
    path.parent.mkdir(parents=True, exist_ok=True)
    events = [chunk for chunk in chunks if isinstance(chunk, dict)]
    with path.open("ab") as file:
        for chunk in chunks:
            file.write(msgspec.json.encode(chunk) + b"\n" if isinstance(chunk, dict) else chunk)
    return events


# Appends findings from another process, printing each id once it is acknowledged.
_APPENDER = """
import sys
from pathlib import Path
from journal_core import Journal, Settings, new_event
journal = Journal(Settings(journal_path=Path(sys.argv[1]), durability="flush"))
journal.open()
for n in range(int(sys.argv[3])):
    result = journal.append(new_event(type="finding", task_id=sys.argv[2], text=f"n{n}"))
    print(result.event_id, flush=True)
journal.close()
"""


def start_appender(path: Path, task_id: str, count: int) -> subprocess.Popen[str]:
    """Start appending ``count`` findings to ``task_id`` from another process."""
    return subprocess.Popen(
        [sys.executable, "-c", _APPENDER, str(path), task_id, str(count)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def finish(child: subprocess.Popen[str]) -> list[str]:
    """Wait for an appender; the ids it acknowledged, oldest first."""
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 0
    return out.split()


def append_in_child(path: Path, task_id: str, count: int) -> list[str]:
    """Append ``count`` findings to ``task_id`` from another process; returns their ids."""
    return finish(start_appender(path, task_id, count))


def hit_text(hit: Any) -> str:
    """The text of a search hit's whole event (searched with ``full=True``)."""
    assert hit.event is not None, "search with full=True to have the whole events"
    return str(hit.event["text"])


def standing_story(path: Path) -> dict[str, dict[str, Any]]:
    """A journal whose search hits stand every way SPEC §7 names, its events by name:
    a superseded decision, a corrected finding whose correction was corrected again, an
    answered hypothesis, a rejection overturned by a later decision that chose that
    option, and one that still stands."""
    named: dict[str, dict[str, Any]] = {}
    named["open"] = event(type="open", text="Tune the upstream keepalive")
    named["old_decision"] = event(type="decision", text="Set keepalive_timeout to 60 s")
    named["new_decision"] = event(
        type="decision",
        text="Set keepalive_timeout to 75 s",
        supersedes=named["old_decision"]["event_id"],
    )
    named["finding"] = event(text="keepalive_timeout is 60 s on the balancer")
    named["correction"] = event(
        type="correction",
        text="keepalive_timeout is 75 s on the balancer",
        corrects=named["finding"]["event_id"],
    )
    named["recorrection"] = event(
        type="correction",
        text="keepalive_timeout is 75 s on the new pool only",
        corrects=named["correction"]["event_id"],
    )
    named["hypothesis"] = event(type="hypothesis", text="keepalive drops idle connections")
    named["answer"] = event(
        text="idle connections do drop after the keepalive",
        refs={"events": [named["hypothesis"]["event_id"]]},
    )
    named["overturned"] = event(type="rejection", text="Presigned URLs: they expire too soon")
    named["standing"] = event(type="rejection", text="Presigned POST forms are clumsy")
    named["chooser"] = event(
        type="decision",
        text="Upload with a signed link after all",
        meta={"alternatives": [{"option": "presigned URLs", "chosen": True}]},
    )
    # Ids that differ in their first characters, as real ones made a millisecond apart do.
    renamed = {
        e["event_id"]: f"01KN{n:02d}J8Q7W2E5R6TAB{n:07d}" for n, e in enumerate(named.values())
    }
    for e in named.values():
        e["event_id"] = renamed[e["event_id"]]
        for field in ("corrects", "supersedes"):
            if field in e:
                e[field] = renamed[e[field]]
        if "events" in e["refs"]:
            e["refs"] = {"events": [renamed[target] for target in e["refs"]["events"]]}
    write(path, *named.values())
    return named
