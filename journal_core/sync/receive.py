"""Other replicas' lines: read from their segments, checked as a writer checks its own.

A teammate's line reaches the journal only if it is one valid event within the
limits; anything else (not JSON, not UTF-8, nested too deep, over the line limit,
an invalid field, which the journal refuses) is skipped and reported with where it
was found. The line is
kept byte for byte: it is written as its author wrote it.
"""

from __future__ import annotations

from typing import Final

import msgspec

from journal_core.events import ForeignEvent, Limits
from journal_core.reader import decode_line, is_blank


class Skipped(msgspec.Struct, frozen=True, kw_only=True):
    """A line or file of another replica that was not taken in, and why."""

    replica: str
    where: str  # the segment (and byte offset) it was found at
    reason: str


class Received(msgspec.Struct, frozen=True, kw_only=True):
    """A valid line of another replica, ``\\n`` included."""

    replica: str
    event: ForeignEvent
    line: bytes


_decoder: Final = msgspec.json.Decoder(ForeignEvent)


def read_segment(
    replica: str, name: str, data: bytes, start: int, limits: Limits
) -> tuple[list[Received], list[Skipped], int]:
    """The events of ``data`` from byte ``start`` to its last line end, what was
    skipped there, and the offset read up to (a last line without its end waits)."""
    end = data.rfind(b"\n", start) + 1
    if end <= start:
        return [], [], start
    received: list[Received] = []
    skipped: list[Skipped] = []
    offset = start
    for raw in data[start:end].split(b"\n")[:-1]:
        where = f"{name} byte {offset}"
        offset += len(raw) + 1
        if is_blank(raw):
            continue
        found = check_line(raw, limits)
        if isinstance(found, str):
            skipped.append(Skipped(replica=replica, where=where, reason=found))
        else:
            received.append(Received(replica=replica, event=found, line=raw + b"\n"))
    return received, skipped, end


def check_line(raw: bytes, limits: Limits) -> ForeignEvent | str:
    """The event on ``raw``, else the reason it is none. The journal checks its
    fields when it appends it, as it checks every event (``Journal.import_lines``)."""
    if len(raw) + 1 > limits.max_line_bytes:
        return f"the line is {len(raw) + 1} bytes, over the {limits.max_line_bytes}-byte limit"
    shape = decode_line(raw)  # UTF-8, nesting, JSON, an object with the required fields
    if isinstance(shape, str):
        return shape
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError as error:
        return f"not an event: {error}"


__all__ = ["Received", "Skipped", "check_line", "read_segment"]
