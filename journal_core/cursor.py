"""Opaque paging cursors: where a page ends in one particular journal file, for one query.

A page of events ends at the canonical key of its last event (SPEC §6: its timestamp's
text, its id, and the offset of its line, which only a broken journal needs to tell two
events apart): the next page starts after it, whatever was appended since and wherever
in the file. A page of search hits ends at a count of hits, a page of tasks at a key.
A cursor also records the file's identity (device, inode), the order and a digest of the
filters, so a cursor from a replaced file or from another query is refused instead of
silently paging through the wrong thing.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from typing import Final

import msgspec

from journal_core.errors import InvalidQuery

CURSOR_VERSION: Final = 1
NOT_A_CURSOR: Final = (
    "is not a cursor this journal gave out; pass next_cursor from the previous "
    "page unchanged, or start again without a cursor"
)
# An events cursor made before events came in canonical order: a place in the file.
_PLACE_CURSOR: Final = (
    "was made by an earlier version, which paged events by their place in the file; "
    "start again without a cursor"
)


# forbid_unknown_fields: a newer version's cursor is refused like any other
# foreign one, and a forged cursor cannot make the decoder skip (recursively)
# through an extra element nested thousands deep.
class CursorState(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """What a cursor holds. New fields go last, with defaults (msgspec evolution rules)."""

    version: int
    kind: str  # "events" or "tasks"
    order: str
    position: int  # for events, the offset of the last event's line
    filters: bytes
    device: int
    inode: int
    # Where a page of tasks ends: the canonical key of the last task's last event
    # ("timestamp\x00event_id"); tasks are ordered by it, not by a place in the file.
    # Where a page of events ends: the last event's [timestamp, event_id], as JSON.
    key: str = ""


_encoder: Final = msgspec.msgpack.Encoder()
_decoder: Final = msgspec.msgpack.Decoder(CursorState)
_key_decoder: Final = msgspec.json.Decoder(tuple[str, str])


def filters_digest(*parts: object) -> bytes:
    """A short digest of a query's filters (any msgpack-encodable values)."""
    return hashlib.blake2b(_encoder.encode(list(parts)), digest_size=8).digest()


def encode_cursor(state: CursorState) -> str:
    return base64.urlsafe_b64encode(_encoder.encode(state)).rstrip(b"=").decode("ascii")


def decode_cursor(
    text: object,
    *,
    kind: str,
    order: str,
    filters: bytes,
    identity: tuple[int, int] | None,
    size: int,
) -> int:
    """The position ``text`` holds (a count, for a page of search hits), checked against
    the query and the file it is used on.

    Raises ``InvalidQuery("cursor", ...)`` for anything but a cursor this
    journal gave out for this same query.
    """
    state = _checked(text, kind=kind, order=order, filters=filters, identity=identity, size=size)
    return state.position


def event_key_text(timestamp: str, event_id: str) -> str:
    """``CursorState.key`` of a page of events that ends at this event."""
    return msgspec.json.encode((timestamp, event_id)).decode()


def decode_event_cursor(
    text: object,
    *,
    order: str,
    filters: bytes,
    identity: tuple[int, int],
    size: int,
    fd: int,
) -> tuple[str, str, int]:
    """The canonical key ``(timestamp, event_id, offset)`` where the page before ended,
    checked as ``decode_cursor`` checks a position."""
    state = _checked(
        text, kind="events", order=order, filters=filters, identity=identity, size=size
    )
    if not state.key:
        raise InvalidQuery("cursor", _PLACE_CURSOR)
    if state.position > 0 and os.pread(fd, 1, state.position - 1) != b"\n":
        raise InvalidQuery("cursor", NOT_A_CURSOR)
    try:
        timestamp, event_id = _key_decoder.decode(state.key)
    except msgspec.DecodeError:
        raise InvalidQuery("cursor", NOT_A_CURSOR) from None
    return timestamp, event_id, state.position


def decode_cursor_key(
    text: object, *, kind: str, order: str, filters: bytes, identity: tuple[int, int] | None
) -> str:
    """The key ``text`` holds (see ``CursorState.key``), checked as ``decode_cursor``
    checks a position."""
    state = _checked(text, kind=kind, order=order, filters=filters, identity=identity, size=None)
    if state.position or not state.key:  # a key cursor holds no place in the file
        raise InvalidQuery("cursor", NOT_A_CURSOR)
    return state.key


def rebased_cursor(text: str, identity: tuple[int, int], offsets: Mapping[int, int]) -> str:
    """``text``, a cursor a copy of some of a journal's lines gave out, made the journal's
    own: its file ``identity``, and its line's offset there (``offsets``: from the copy's)."""
    state = _parse(text)
    return encode_cursor(
        msgspec.structs.replace(
            state, device=identity[0], inode=identity[1], position=offsets[state.position]
        )
    )


def _checked(
    text: object,
    *,
    kind: str,
    order: str,
    filters: bytes,
    identity: tuple[int, int] | None,
    size: int | None,
) -> CursorState:
    state = _parse(text)
    if state.kind != kind:
        raise InvalidQuery("cursor", f"this cursor pages through {state.kind}, not {kind}")
    if state.order != order:
        raise InvalidQuery(
            "cursor", f"this cursor was made for order='{state.order}'; pass the same order"
        )
    if state.filters != filters:
        raise InvalidQuery(
            "cursor",
            "this cursor was made for other filters; pass the same filters as for the "
            "first page, or start again without a cursor",
        )
    if identity != (state.device, state.inode) or (size is not None and state.position > size):
        raise InvalidQuery(
            "cursor",
            "the journal file was replaced or truncated since this cursor was made; "
            "start again without a cursor",
        )
    return state


def _parse(text: object) -> CursorState:
    if not isinstance(text, str):
        raise InvalidQuery("cursor", "must be the next_cursor string a previous page returned")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        state = _decoder.decode(raw)
    except ValueError:  # bad base64 (binascii.Error) and bad msgpack (DecodeError) alike
        state = None
    if state is None or state.version != CURSOR_VERSION or state.position < 0:
        raise InvalidQuery("cursor", NOT_A_CURSOR)
    return state
