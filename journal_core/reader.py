"""Scanning the journal forward and backward, and reporting the lines that are not events.

Reading is forgiving (SPEC §1): a line is an event when it is valid UTF-8, is
JSON nested at most ``MAX_DEPTH`` levels deep with no int of over 4,300
digits, and is an object whose ``event_id``, ``task_id``, ``type`` and
``timestamp`` are strings; every other field, known or not, is kept as it is
(a float past the largest double as its literal, a string).
Blank lines are skipped quietly; any other line is reported as a ``BadLine``
with one of the reasons below, never a dependency's wording, and the scan goes
on. Only lines ended by ``\\n`` count: an unterminated last line is an
append in progress or a crash remnant, never an event.

Everything here reads with ``os.pread`` on a descriptor the caller may hold, so
one query sees one file even if the path is replaced meanwhile.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
import operator
import os
import re
import sys
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec

from journal_core.errors import JournalUnavailable
from journal_core.journal_file import complete_end, open_journal_file

_T = TypeVar("_T")

REQUIRED_FIELDS: Final = ("event_id", "task_id", "type", "timestamp")
# Big enough that a 300 MB journal is read in a few dozen calls, small enough
# that the buffer does not dominate the index's memory.
CHUNK_BYTES: Final = 8 * 1024 * 1024
# A read usually wants one page of events: start small, then grow.
FIRST_CHUNK_BYTES: Final = 64 * 1024
UNTERMINATED_REASON: Final = (
    "unterminated last line (an append in progress, or left by a crash: the next append ends it)"
)

# serde_json, which the Rust tool reads with, stops at 128 levels too. A fixed
# bound also keeps the answer the same however deep the caller's stack is.
MAX_DEPTH: Final = 128
NOT_UTF8: Final = "not valid UTF-8"
NOT_JSON: Final = "not valid JSON"
TOO_DEEP: Final = f"nested too deeply (over {MAX_DEPTH} levels)"
NUMBER_OUT_OF_RANGE: Final = "holds an integer too long to read"
_MAX_INT_DIGITS: Final = 4300  # msgspec's bound, as Python's default one


def read_float(literal: str) -> float | str:
    """A float, or for one past the largest double (``1e400``) its literal as a
    string: kept, not refused (a struct decoder that skips it could not refuse
    it), and not infinity, which JSON cannot carry back out."""
    value = float(literal)
    return value if math.isfinite(value) else literal


_any_decoder: Final = msgspec.json.Decoder(float_hook=read_float)
# What JSON strings look like, escapes included: removed before counting brackets.
# An unterminated one runs to the end of the line: with its closing quote
# required, each quote after it would start a scan to the end again (a line of
# escaped quotes took minutes).
_STRING: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS: Final = bytes(byte for byte in range(256) if byte not in b"[]{}")
# The quick check of ``suspect``: a block's opening brackets (all as "[") and
# line ends, and nothing else.
_OPENINGS: Final = bytes(ord("[") if byte in b"[{" else byte for byte in range(256))
_NOT_OPENINGS: Final = bytes(byte for byte in range(256) if byte not in b"[{\n")


class _EventShape(msgspec.Struct):
    """The fields that make a line an event; decoding into it skips the rest quickly."""

    event_id: str
    task_id: str
    type: str
    timestamp: str


_shape_decoder: Final = msgspec.json.Decoder(_EventShape)


class BadLine(msgspec.Struct, frozen=True, kw_only=True):
    """A complete line that is not an event: where it is and why.

    ``line`` is the 1-based line number, or ``None`` when the scan did not
    start at the beginning of the file and so cannot know it.
    """

    line: int | None
    offset: int
    reason: str


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """An event as read from the file, with the byte offset of its line."""

    offset: int
    line: int | None
    event: dict[str, Any]


class VerifyReport(msgspec.Struct, frozen=True, kw_only=True):
    """The result of scanning a whole journal."""

    path: str
    size_bytes: int
    lines: int
    events: int
    bad_lines: list[BadLine]
    # Added later, so with a default (see the evolution rules of events.py).
    index_differences: list[str] = []


def decode_line(raw: bytes) -> dict[str, Any] | str:
    """The event a line (without its ``\\n``) holds, or the reason it holds none."""
    if not (raw.isascii() or is_utf8(raw)):
        return NOT_UTF8
    if too_deep(raw):
        return TOO_DEEP
    try:
        value = _any_decoder.decode(raw)
    except msgspec.ValidationError:  # untyped, it refuses only ints Python will not read
        return NUMBER_OUT_OF_RANGE
    except msgspec.DecodeError:
        return NOT_JSON
    except RecursionError:  # under MAX_DEPTH, but the caller's stack was already deep
        return TOO_DEEP
    if not isinstance(value, dict):
        return f"not an event: a JSON {type(value).__name__}, not an object"
    for field in REQUIRED_FIELDS:
        if not isinstance(value.get(field), str):
            return f"not an event: '{field}' is missing or not a string"
    return value


def is_blank(raw: bytes) -> bool:
    return not raw.strip()


def too_deep(raw: bytes) -> bool:
    """Whether the JSON on ``raw`` nests over ``MAX_DEPTH`` levels.

    No decoder may see such a line: msgspec's raise ``RecursionError``.
    Counting brackets answers most lines at C speed; only a line with more
    opening brackets than ``MAX_DEPTH`` is walked, strings left out.
    """
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    depth = 0
    for byte in _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS):
        if byte in b"[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


def suspect(block: bytes) -> bool:
    """Whether some line of ``block`` might nest over ``MAX_DEPTH`` levels.

    A struct decoder, which skips the fields it does not want, takes such a
    line while ``decode_line`` refuses it, so the fast paths send the lines of
    a suspect block through ``too_deep``. One C-speed pass; most blocks pass.
    """
    return b"[" * (MAX_DEPTH + 1) in block.translate(_OPENINGS, _NOT_OPENINGS)


def longest_fast_line() -> int:
    """The length from which a line may hold an int too long to read.

    msgspec reads no int of over 4,300 digits (nor over Python's own limit, if
    lower), and a struct decoder skips over one unchecked: only a line at least
    that long can hold one, so only those need a whole decode.
    """
    limit = sys.get_int_max_str_digits()
    return min(limit, _MAX_INT_DIGITS) if limit else _MAX_INT_DIGITS


def forward_chunks(fd: int, start: int, stop: int) -> Iterator[tuple[int, bytes]]:
    """Complete lines in ``[start, stop)``, oldest first, a block at a time.

    Yields ``(offset of the block, block)``: whole lines joined by ``\\n``, the
    last one's ``\\n`` left off, so ``block.split(b"\\n")`` gives the lines.
    ``start`` must be a line start; bytes after the last ``\\n`` before
    ``stop`` are not yielded, since they are not (yet) a line.
    """
    pos = start
    carry = b""  # the start of a line that goes on in the next chunk
    size = FIRST_CHUNK_BYTES
    while pos < stop:
        chunk = os.pread(fd, min(size, stop - pos), pos)
        if not chunk:
            return
        size = min(size * 2, CHUNK_BYTES)
        data = carry + chunk if carry else chunk
        base = pos - len(carry)
        pos += len(chunk)
        last = data.rfind(b"\n")
        if last < 0:
            carry = data
            continue
        yield base, data[:last]
        carry = data[last + 1 :]


def backward_chunks(fd: int, end: int) -> Iterator[tuple[int, bytes]]:
    """Complete lines before ``end`` (a line boundary), newest block first.

    Yields blocks as ``forward_chunks`` does, each one's lines in file order;
    ``backward_lines`` walks them in reverse.
    """
    pos = end
    carry = b""  # the head of a line whose start lies before ``pos``
    size = FIRST_CHUNK_BYTES
    while pos > 0:
        start = max(0, pos - size)
        data = os.pread(fd, pos - start, start) + carry
        pos = start
        size = min(size * 2, CHUNK_BYTES)
        if pos > 0:
            first = data.find(b"\n")
            if first < 0 or first == len(data) - 1:
                # No line starts inside this chunk yet: read further back.
                carry = data
                continue
            carry, data = data[: first + 1], data[first + 1 :]
            base = pos + first + 1
        else:
            base = 0
        if data:
            yield base, data[:-1]


def _record(raw: bytes, offset: int, number: int | None) -> Record | BadLine:
    decoded = decode_line(raw)
    if isinstance(decoded, str):
        return BadLine(line=number, offset=offset, reason=decoded)
    return Record(offset=offset, line=number, event=decoded)


def last_written_event(path: Path) -> dict[str, Any] | None:
    """The event on the journal's last line that holds one (``None`` if none, or no
    file): the one written last, which is usually but not always the newest in canonical
    order. For a glance at a journal (which one was used lately), read from its end: no
    index is made or waited for."""
    try:
        with contextlib.closing(iter_backward(path)) as records:
            return next((found.event for found in records if isinstance(found, Record)), None)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise JournalUnavailable(path, exc.strerror or str(exc)) from exc


def decode_spans(
    fd: int, spans: Sequence[tuple[int, int]], decode: Callable[[bytes], _T]
) -> list[_T]:
    """``decode`` of the bytes at each ``(offset, length)`` of ``spans``, in the order
    given (``decode=bytes``: the bytes themselves).

    Spans close together in the file (a task's lines, mostly) are read in one call and
    cut apart: a call per line was half the time of reading a long task. Each is decoded
    as soon as it is cut out, while its bytes are still in the processor's cache (10,000
    lines of a task: 2 ms less than cutting them all out first). A short read (the file
    cut since) gives short bytes, as a call per span would.
    """
    count = len(spans)
    found: list[Any] = [None] * count
    offsets = [offset for offset, _ in spans]
    by_place: Sequence[int] = range(count)
    # A task's lines in canonical order are mostly in file order too: one look tells.
    if not all(map(operator.lt, offsets, itertools.islice(offsets, 1, None))):
        by_place = sorted(by_place, key=offsets.__getitem__)
    at = 0
    while at < count:
        first, length = spans[by_place[at]]
        stop = first + length
        end = at + 1
        while end < count:
            offset, length = spans[by_place[end]]
            if offset - stop > _SPAN_GAP or offset + length - first > _SPAN_RUN:
                break
            if offset + length > stop:
                stop = offset + length
            end += 1
        block = os.pread(fd, stop - first, first)
        for place in by_place[at:end]:
            offset, length = spans[place]
            offset -= first
            found[place] = decode(block[offset : offset + length])
        at = end
    return found


# Spans at most this far apart share a read, of at most ``_SPAN_RUN`` bytes.
_SPAN_GAP: Final = 16 * 1024
_SPAN_RUN: Final = 1024 * 1024


def backward_lines(fd: int, end: int) -> Iterator[tuple[int, bytes]]:
    """``(offset, line)`` for each complete line before ``end``, newest first, lazily."""
    for base, block in backward_chunks(fd, end):
        offset = base + len(block) + 1
        for raw in reversed(block.split(b"\n")):
            offset -= len(raw) + 1
            yield offset, raw


def iter_forward(
    path: str | os.PathLike[str], start: int = 0, stop: int | None = None
) -> Iterator[Record | BadLine]:
    """Events (and bad lines) oldest first, from byte ``start`` to ``stop`` (default: the end).

    ``start`` must be the start of a line; line numbers are known only from 0.
    """
    fd = open_journal_file(path)
    try:
        end = os.fstat(fd).st_size if stop is None else stop
        number: int | None = 1 if start == 0 else None
        for base, block in forward_chunks(fd, start, end):
            offset = base
            for raw in block.split(b"\n"):
                if not is_blank(raw):
                    yield _record(raw, offset, number)
                offset += len(raw) + 1
                if number is not None:
                    number += 1
    finally:
        os.close(fd)


def iter_backward(
    path: str | os.PathLike[str], end: int | None = None
) -> Generator[Record | BadLine, None, None]:
    """Events (and bad lines) newest first, ending before byte ``end`` (default: the end).

    Reads only as far back as the caller consumes, so the newest events of a
    huge journal come back at once. Line numbers are not known (``None``).
    """
    fd = open_journal_file(path)
    try:
        stop = complete_end(fd, os.fstat(fd).st_size) if end is None else end
        for offset, raw in backward_lines(fd, stop):
            if not is_blank(raw):
                yield _record(raw, offset, None)
    finally:
        os.close(fd)


def decode_indexed(raw: bytes) -> dict[str, Any] | None:
    """The event on a line the index took for one, ``None`` if it no longer is one.

    Such a line passed ``decode_line``'s checks when it was indexed, and a journal
    only grows, so it is decoded directly: the checks would double the cost of
    reading a long task. A line changed in place since (never by us) that no longer
    decodes, or nests too deep for the decoder, gives ``None``.
    """
    try:
        value = _any_decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def verify(
    path: str | os.PathLike[str], progress: Callable[[int, int], None] | None = None
) -> VerifyReport:
    """Scan the whole journal: count lines and events, and report every bad line.

    ``progress(bytes_done, bytes_total)`` is called after each chunk. A file
    that cannot be opened (missing, unreadable) raises ``JournalUnavailable``.
    """
    try:
        fd = open_journal_file(path)
    except OSError as exc:
        raise JournalUnavailable(Path(path), exc.strerror or str(exc)) from exc
    try:
        size = os.fstat(fd).st_size
        lines = events = 0
        bad: list[BadLine] = []
        done = 0
        longest = longest_fast_line()
        for base, block in forward_chunks(fd, 0, size):
            offset = base
            careful = suspect(block)
            for raw in block.split(b"\n"):
                lines += 1
                if not is_blank(raw):
                    whole = len(raw) >= longest or (careful and too_deep(raw))
                    if _is_event(raw, whole):
                        events += 1
                    else:
                        bad.append(BadLine(line=lines, offset=offset, reason=_reason(raw)))
                offset += len(raw) + 1
            done = offset
            if progress is not None:
                progress(done, size)
        if done < size:
            bad.append(BadLine(line=lines + 1, offset=done, reason=UNTERMINATED_REASON))
        if progress is not None and done < size:
            progress(size, size)
    finally:
        os.close(fd)
    return VerifyReport(
        path=os.fspath(Path(path)), size_bytes=size, lines=lines, events=events, bad_lines=bad
    )


def _is_event(raw: bytes, whole: bool) -> bool:
    """``decode_line``'s answer, faster: the struct decoder skips the fields it does
    not want, so what it cannot see is checked apart: their UTF-8 here, their depth
    and numbers by the caller, who says when only a ``whole`` decode will do."""
    if whole:
        return not isinstance(decode_line(raw), str)
    try:
        _shape_decoder.decode(raw)
        raw.decode()  # the UTF-8 of what the struct decoder skipped
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return False
    return True


def is_utf8(raw: bytes) -> bool:
    """Whether ``raw`` is valid UTF-8 (surrogates encoded as bytes are not)."""
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while many events are decoded and used.

    Each decoded event is a few new dicts and lists; every few hundred of them start
    a collection, and now and then a full one that walks every live object of the
    process. Building the pack of a 10,000-event task spent 17 ms of its 70 there,
    for nothing: decoded events form no cycles, and they are freed by reference
    counting once used. Only the block that turned collection off turns it back on,
    so nested and concurrent blocks are harmless.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _reason(raw: bytes) -> str:
    decoded = decode_line(raw)
    return decoded if isinstance(decoded, str) else "not an event"
