"""Our own lines: what this replica publishes, found by scanning the journal forward.

A line is ours unless its id was received from another replica (``imported``): the
events this machine wrote, by any writer (the Rust tool's included). Left out: the
events of a task opened with ``meta.private: true``, lines that are not events, and,
unless allowed, an event that still holds a credential (written by an older
program, before masking at append): the scan stops before it, so that nothing after
it is sent out of order either, and says which it is.
"""

from __future__ import annotations

import os
from typing import Any

import msgspec

from journal_core.journal_file import open_journal_file
from journal_core.reader import decode_line, forward_chunks, is_blank
from journal_core.secrets import secret_kinds


class Held(msgspec.Struct, frozen=True, kw_only=True):
    """An event of ours not sent because it holds a credential."""

    event_id: str
    kinds: list[str]


class Scan(msgspec.Struct, kw_only=True):
    identity: tuple[int, int]
    lines: list[bytes]  # to publish, ``\n`` included
    end: int  # the offset scanned up to
    held: Held | None = None


def scan_own(
    journal: os.PathLike[str],
    start: int,
    imported: set[str],
    private: set[str],
    *,
    sent: set[str] | None = None,
    allow_secrets: bool = False,
) -> Scan | None:
    """Our lines from ``start`` (a line start) to the journal's last line end; None
    when there is no journal. ``private`` gains the tasks opened private on the way;
    ``sent``, when given, holds ids already in the outbox, left out again."""
    try:
        fd = open_journal_file(journal)
    except FileNotFoundError:
        return None
    try:
        stat = os.fstat(fd)
        scan = Scan(identity=(stat.st_dev, stat.st_ino), lines=[], end=start)
        for base, block in forward_chunks(fd, start, stat.st_size):
            offset = base
            for raw in block.split(b"\n"):
                at, offset = offset, offset + len(raw) + 1
                event = None if is_blank(raw) else decode_line(raw)
                if isinstance(event, dict) and _is_ours(event, imported, private, sent):
                    kinds = [] if allow_secrets else sorted(secret_kinds(_strings(event)))
                    if kinds:
                        scan.held = Held(event_id=str(event["event_id"]), kinds=kinds)
                        scan.end = at
                        return scan
                    scan.lines.append(raw + b"\n")
                scan.end = offset
        return scan
    finally:
        os.close(fd)


def _is_ours(
    event: dict[str, Any], imported: set[str], private: set[str], sent: set[str] | None
) -> bool:
    event_id, task_id = event["event_id"], event["task_id"]
    if event_id in imported or (sent is not None and event_id in sent):
        return False
    meta = event.get("meta")
    if event["type"] == "open" and isinstance(meta, dict) and meta.get("private") is True:
        private.add(task_id)
    return task_id not in private


def _strings(event: dict[str, Any]) -> list[Any]:
    return [event.get("text"), event.get("refs"), event.get("meta")]


__all__ = ["Held", "Scan", "scan_own"]
