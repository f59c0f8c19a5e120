"""Opening the journal file, and finding where its complete lines end.

Nothing here decodes a line, so a process that only looks at the index (the status
line) imports this without msgspec; ``journal_core.reader`` builds on it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Final

from journal_core.errors import JournalUnavailable

# How far back one read looks for the last line end, at most.
_MAX_STEP: Final = 8 * 1024 * 1024


def open_journal_file(
    path: str | os.PathLike[str], flags: int = os.O_RDONLY, mode: int = 0o600
) -> int:
    """Open the journal itself: never through a symbolic link, and only a regular file.

    A symlink planted at the path would send appends elsewhere, a FIFO would block
    the open (``O_NONBLOCK`` keeps it from doing so) and a device like /dev/null
    would swallow events: each is refused with ``JournalUnavailable``. Other
    errors (a missing file, no permission) are raised as the ``OSError`` they are.
    """
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path):
            raise JournalUnavailable(
                Path(path),
                "it is a symbolic link, which a journal may not be; "
                "give the path of the file it points to",
            ) from None
        if exc.errno == errno.ENXIO:  # a socket, or a FIFO nobody reads
            raise JournalUnavailable(
                Path(path), "it is a socket or a FIFO; a journal must be a regular file"
            ) from None
        raise
    kind = stat.S_IFMT(os.fstat(fd).st_mode)
    if kind != stat.S_IFREG:
        os.close(fd)
        what = _FILE_KINDS.get(kind, "a special file")
        raise JournalUnavailable(Path(path), f"{what}; a journal must be a regular file")
    return fd


_FILE_KINDS: Final = {
    stat.S_IFDIR: os.strerror(errno.EISDIR),
    stat.S_IFCHR: "it is a device",
    stat.S_IFBLK: "it is a device",
    stat.S_IFIFO: "it is a FIFO (a named pipe)",
    stat.S_IFSOCK: "it is a socket",
}


def complete_end(fd: int, size: int) -> int:
    """The offset just past the last ``\\n`` at or before ``size`` (0 if none)."""
    pos = size
    step = 4096
    while pos > 0:
        start = max(0, pos - step)
        found = os.pread(fd, pos - start, start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        pos = start
        step = min(step * 4, _MAX_STEP)
    return 0
