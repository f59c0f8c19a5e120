"""Opaque paging cursors: a byte position in one particular journal file, for one query.

The journal is append-only, so a byte offset names the same line for as long
as the file exists: a cursor stays valid while others append. It also records
the file's identity (device, inode), the order and a digest of the filters,
so a cursor from a replaced file or from another query is refused instead of
silently paging through the wrong thing.
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Final

import msgspec

from journal_core.errors import InvalidQuery

CURSOR_VERSION: Final = 1
NOT_A_CURSOR: Final = (
    "is not a cursor this journal gave out; pass next_cursor from the previous "
    "page unchanged, or start again without a cursor"
)


# forbid_unknown_fields: a newer version's cursor is refused like any other
# foreign one, and a forged cursor cannot make the decoder skip (recursively)
# through an extra element nested thousands deep.
class CursorState(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """What a cursor holds. New fields go last, with defaults (msgspec evolution rules)."""

    version: int
    kind: str  # "events" or "tasks"
    order: str
    position: int
    filters: bytes
    device: int
    inode: int
    # Where a page of tasks ends: the canonical key of the last task's last event
    # ("timestamp\x00event_id"); tasks are ordered by it, not by a place in the file.
    key: str = ""


_encoder: Final = msgspec.msgpack.Encoder()
_decoder: Final = msgspec.msgpack.Decoder(CursorState)


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
    fd: int | None,
) -> int:
    """The position ``text`` holds, checked against the query and the file it is used on
    (``fd``, ``None`` when there is none).

    Raises ``InvalidQuery("cursor", ...)`` for anything but a cursor this
    journal gave out for this same query.
    """
    state = _checked(text, kind=kind, order=order, filters=filters, identity=identity, size=size)
    # Every cursor given out points at a line start; a forged one in the middle
    # of a line would make a page of its tail.
    if fd is not None and state.position > 0 and os.pread(fd, 1, state.position - 1) != b"\n":
        raise InvalidQuery("cursor", NOT_A_CURSOR)
    return state.position


def decode_cursor_key(
    text: object, *, kind: str, order: str, filters: bytes, identity: tuple[int, int] | None
) -> str:
    """The key ``text`` holds (see ``CursorState.key``), checked as ``decode_cursor``
    checks a position."""
    state = _checked(text, kind=kind, order=order, filters=filters, identity=identity, size=0)
    if not state.key:
        raise InvalidQuery("cursor", NOT_A_CURSOR)
    return state.key


def _checked(
    text: object,
    *,
    kind: str,
    order: str,
    filters: bytes,
    identity: tuple[int, int] | None,
    size: int,
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
    if identity != (state.device, state.inode) or state.position > size:
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
