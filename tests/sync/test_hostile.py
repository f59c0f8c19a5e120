"""A hostile replica's ref cannot harm the journal: what is not a valid event within
the limits is skipped and reported, a forged id keeps the first event."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import msgspec

from journal_core import new_event
from tests.sync.conftest import Team, git


def _object(remote: Path, *args: str, data: bytes) -> str:
    done = subprocess.run(["git", *args], cwd=remote, input=data, capture_output=True, check=True)
    return done.stdout.decode().strip()


def _plant(remote: Path, replica: str, entries: list[tuple[str, str, bytes]]) -> None:
    """A ref ``refs/task-journal/<replica>`` whose tree holds ``(mode, name, content)``."""
    listing = ""
    for mode, name, content in entries:
        blob = _object(remote, "hash-object", "-w", "--stdin", data=content)
        listing += f"{mode} blob {blob}\t{name}\n"
    tree = _object(remote, "mktree", data=listing.encode())
    commit = git(remote, "commit-tree", tree, "-m", "hostile").strip()
    git(remote, "update-ref", f"refs/task-journal/{replica}", commit)


def test_a_hostile_replica_leaves_the_journal_sound(team: Team) -> None:
    a, b, _ = team.members
    task = a.open_task("Targeted by a hostile replica")
    a.sync()
    victim = json.loads(a.lines()[0])
    forged = {**victim, "text": "forged content under an existing id"}
    good = msgspec.json.encode(new_event(type="finding", text="a fair line", task_id=task))
    bad_field = msgspec.json.encode(
        new_event(type="finding", text="bad", task_id=task, confidence=7.0, check=False)
    )
    nested = b'{"event_id":"01KMZ3T4J8Q7W2E5R6T7Y8V9H1","meta":' + b"[" * 100_000 + b"]" * 100_000
    huge = msgspec.json.encode(
        new_event(type="finding", text="x" * (10 * 1024 * 1024), task_id=task, check=False)
    )
    segment = b"\n".join(
        [b"{not json", huge, json.dumps(forged).encode(), nested, b"\xff\xfe", bad_field, good, b""]
    )
    _plant(
        team.remote,
        "hostile",
        [
            ("100644", "seg-000001.jsonl", segment),
            ("120000", "seg-000002.jsonl", b"/etc/passwd"),
        ],
    )
    for member in (a, b):
        report = member.sync()
        reasons = " | ".join(skipped.reason for skipped in report.skipped)
        # Not JSON, 10 MB, nested, not UTF-8, a field out of range, a symlink.
        assert len(report.skipped) == 6, reasons
        assert "confidence" in reasons
        assert "over the" in reasons
        assert "not a segment file" in reasons
        assert [c.event_id for c in report.conflicts] == [victim["event_id"]]
        lines = member.lines()
        assert good + b"\n" in lines
        assert json.loads(lines[0])["text"] == "Targeted by a hostile replica"
        assert max(member.ids().values()) == 1
        assert member.cli("verify").returncode == 0


def test_a_ref_that_is_not_a_replica_id_is_skipped(team: Team) -> None:
    a = team.members[0]
    _plant(team.remote, "Upper-Case", [("100644", "seg-000001.jsonl", b"")])
    report = a.sync()
    assert [skipped.reason for skipped in report.skipped] == ["not a replica id"]
