"""The journal file itself: opening it safely, creating it privately, finding where its
complete lines end, and writing to it whole (a torn last line ended first, a failed
write cut back).

Nothing here decodes a line, so a process that only looks at the index (the status
line) imports this without msgspec; ``journal_core.reader`` builds on it.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
from pathlib import Path
from typing import Final, NoReturn

from journal_core.errors import JournalUnavailable, JournalWriteFailed

log = logging.getLogger(__name__)

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
    status = os.fstat(fd)
    kind = stat.S_IFMT(status.st_mode)
    if kind != stat.S_IFREG:
        os.close(fd)
        what = _FILE_KINDS.get(kind, "a special file")
        raise JournalUnavailable(Path(path), f"{what}; a journal must be a regular file")
    if flags & (os.O_WRONLY | os.O_RDWR):
        refuse_hard_links(fd, Path(path), "a journal")
    return fd


def refuse_hard_links(fd: int, path: Path, what: str) -> None:
    """Close ``fd`` and refuse when its file has other names: ``O_NOFOLLOW`` stops a
    symlink, not a hard link, and writing here would change the file under those too."""
    links = os.fstat(fd).st_nlink
    if links > 1:
        os.close(fd)
        raise JournalUnavailable(
            path,
            f"it has {links} hard links (other names for the same file), which {what} may "
            "not have, since writing it would change them too; give it a file of its own "
            "(cp it to a new name and use that)",
        )


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


def make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and any missing parents with mode 0700 (journals are private)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first
            path.mkdir(mode=0o700)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_writable(path: Path) -> None:
    """Refuse to append to a journal that may no longer be opened for writing.

    Our descriptors stay open and would still write, but a journal made read-only
    (its mode, or a read-only mount over its folder) means appends must stop.
    """
    if os.access(path, os.W_OK, effective_ids=True, follow_symlinks=False):
        return
    try:
        os.close(open_journal_file(path, os.O_WRONLY | os.O_APPEND))
    except OSError as error:
        raise JournalWriteFailed(
            path, f"cannot open it for writing: {describe(error)}; nothing was written"
        ) from None


def open_for_append(path: Path) -> int:
    """Open the journal for appending, creating it (and its folders) privately.

    Only a regular file of one name is opened, never through a symlink
    (``open_journal_file``).
    """
    make_private_dirs(path.parent)
    flags = os.O_RDWR | os.O_APPEND
    try:
        fd = open_journal_file(path, flags | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return open_journal_file(path, flags)
    try:
        # A new name is durable only once its folder is synced.
        _fsync_dir(path.parent)
    except OSError:
        os.close(fd)
        raise
    return fd


def append_whole(path: Path, fd: int, size: int, payload: bytes) -> bytes:
    """End a torn last line, then write ``payload`` whole or not at all; return the
    bytes written (``payload``, after a "\n" if a torn line was ended)."""
    # Only a crash mid-append leaves a last line without "\n". Ending it costs
    # that one torn line; not ending it would glue it to our first event.
    if size and os.pread(fd, 1, size - 1) != b"\n":
        log.warning("ended a torn last line at byte %d of %s", size, path)
        payload = b"\n" + payload
    view = memoryview(payload)
    try:
        while view:
            count = os.write(fd, view)
            if count == 0:
                raise OSError(errno.EIO, "the write made no progress")
            view = view[count:]
    except OSError as error:
        _cut_back(path, fd, size, error)
    return payload


def _cut_back(path: Path, fd: int, size: int, error: OSError) -> NoReturn:
    """After a failed write: leave no partial line, and say what is on disk."""
    try:
        if os.fstat(fd).st_size == size:
            raise JournalWriteFailed(path, f"{describe(error)}; nothing was written") from None
        os.ftruncate(fd, size)
    except JournalWriteFailed:
        raise
    except OSError as cut_error:
        raise JournalWriteFailed(
            path,
            f"{describe(error)}, and cutting the partial line back failed too "
            f"({describe(cut_error)}); the next append will end it",
        ) from None
    raise JournalWriteFailed(
        path, f"{describe(error)}; the partial line was cut back, nothing was written"
    ) from None


def describe(error: OSError) -> str:
    name = errno.errorcode.get(error.errno or 0, "")
    text = error.strerror or str(error)
    return f"{text} ({name})" if name else text
