"""A first answer about one task that does not wait for the index (SPEC §6, first use).

Indexing a big journal from scratch takes a while: about 20 s at a million events. A
read of one task need not wait for it. Every line of the task holds the task's id as
JSON writes it, so the lines that hold those bytes are copied into a journal of their
own (with every line that writes a character as ``\\u`` escapes, which might spell the
id otherwise), and its index takes milliseconds. Read through it, the task's events come
out as the whole journal's index gives them: the same lines, the same fold, the same
canonical order. Lines of other tasks that mention the id come along; filtered by task,
they are not read.

Its cursors name the excerpt's file: ``Excerpt.cursor`` makes them the journal's.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import msgspec

from journal_core.cursor import rebased_cursor
from journal_core.errors import JournalUnavailable
from journal_core.journal import Journal
from journal_core.journal_file import complete_end, open_journal_file
from journal_core.reader import forward_chunks
from journal_core.settings import Settings

log = logging.getLogger(__name__)

# Where a catch-up of the index would keep a reader waiting for seconds (at about
# 15 MB/s): below it, catching up is the better answer, and it stays done.
FIRST_USE_BYTES: Final = 32 * 1024 * 1024

# JSON may write any character as a \u escape, and "/" as "\/" too.
_ESCAPES: Final = (b"\\u",)
_SLASH_ESCAPE: Final = b"\\/"


class Excerpt:
    """The lines of a journal that may be a task's, as a journal of their own."""

    def __init__(self, journal: Journal, origins: dict[int, int], identity: tuple[int, int]):
        self.journal = journal
        self._origins = origins  # offset of a line in the excerpt -> in the journal
        self._identity = identity

    def cursor(self, cursor: str | None) -> str | None:
        """The journal's cursor for a page of the excerpt's that ends where ``cursor`` says."""
        if cursor is None:
            return None
        return rebased_cursor(cursor, self._identity, self._origins)


@contextlib.contextmanager
def task_excerpt(path: Path, given: str) -> Iterator[Excerpt | None]:
    """An ``Excerpt`` of ``path`` holding every line of the tasks whose id holds
    ``given`` (a task id, or the start of one); ``None`` where there is none to be had:
    the journal cannot be opened (the journal itself says why), the copy cannot be
    written (a full or read-only temporary folder), or it would hold more than
    ``FIRST_USE_BYTES`` (a start of an id that many lines hold: no quicker than the
    index)."""
    try:
        fd = open_journal_file(path)
    except (OSError, JournalUnavailable):
        yield None
        return
    folder: str | None = None
    try:
        try:
            folder = tempfile.mkdtemp(prefix="task-journal-excerpt-")
            excerpt_path = Path(folder) / "journal.jsonl"
            stat = os.fstat(fd)
            origins = _copy_lines(fd, complete_end(fd, stat.st_size), _needles(given), excerpt_path)
        except OSError as error:
            log.info("no excerpt of %s for a first read (%s); reading it whole", path, error)
            origins = None
        finally:
            os.close(fd)
        if origins is None:
            yield None
            return
        journal = Journal(Settings(journal_path=excerpt_path))
        try:
            yield Excerpt(journal, origins, (stat.st_dev, stat.st_ino))
        finally:
            journal.close()
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _needles(given: str) -> tuple[bytes, ...]:
    """The bytes one of which each line of such a task holds."""
    written = msgspec.json.encode(given)[1:-1]  # as JSON writes it, quotes left off
    slash = (_SLASH_ESCAPE,) if "/" in given else ()
    return (written, *_ESCAPES, *slash)


def _copy_lines(
    fd: int, stop: int, needles: tuple[bytes, ...], target: Path
) -> dict[int, int] | None:
    """Copy the complete lines before ``stop`` that hold any of ``needles`` to ``target``,
    in their order; where each one is in ``target`` -> where it is in the journal.
    ``None`` once the copy would hold more than ``FIRST_USE_BYTES``."""
    origins: dict[int, int] = {}
    written = 0
    with target.open("wb") as out:
        for base, block in forward_chunks(fd, 0, stop):
            found: dict[int, int] = {}  # where each line found starts -> where it ends
            for needle in needles:
                at = block.find(needle)
                while at >= 0:
                    end = block.find(b"\n", at)
                    end = len(block) if end < 0 else end
                    found[block.rfind(b"\n", 0, at) + 1] = end
                    at = block.find(needle, end)
            for start in sorted(found):
                line = block[start : found[start]] + b"\n"
                out.write(line)
                origins[written] = base + start
                written += len(line)
            if written > FIRST_USE_BYTES:
                return None
    return origins
