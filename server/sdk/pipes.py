"""stdin and stdout of the stdio transport, read and written on the event loop.

The SDK's stdio transport reads each line in a worker thread, and writes and flushes
each answer in one: six thread switches a call, close to a third of an append's round
trip (bench/roundtrip.py). When
stdin and stdout are pipes or sockets (as every MCP client starts a server) they are
used here without blocking, on the event loop. Anything else (a terminal, a file) is
left to the SDK, as before.

stdin's lines are decoded and split as the SDK's text wrapper does: UTF-8 with errors
replaced, and "\\r\\n" or a lone "\\r" ending a line as "\\n" does. While the server
writes answers, fd 1 points at stderr, as the SDK arranges when it writes them
itself: whatever else prints to stdout (a library, a child process) misses the wire.

Remove when the SDK's stdio transport reads and writes pipes on the event loop itself
(bench/roundtrip.py then shows no gain from it; tests/server/test_pipes.py says what
it must keep doing).
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import io
import os
import stat
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import anyio

__all__ = ["stdin_lines", "wire_out"]

_READ_BYTES = 1 << 16


def stdin_lines() -> AsyncIterator[str]:
    """stdin's lines: read on the event loop from a pipe or a socket, else in a thread."""
    fd = _pipe_fd(sys.stdin)
    if fd is not None:
        return _pipe_lines(fd)
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")  # as the SDK reads stdin
    return aiter(anyio.wrap_file(sys.stdin))


@contextlib.contextmanager
def wire_out() -> Iterator[anyio.AsyncFile[str] | None]:
    """The answers' way out while serving: a writer on the event loop when stdout is a
    pipe or a socket, else None (the SDK then writes them, in a thread).

    The wire moves to a descriptor of its own, and fd 1 to stderr, until the end.
    """
    fd = _pipe_fd(sys.stdout)
    if fd is None:
        yield None
        return
    sys.stdout.flush()
    wire = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    blocking = os.get_blocking(wire)
    try:
        _divert(fd)
    except OSError:
        os.close(wire)
        raise
    os.set_blocking(wire, False)
    try:
        yield cast("anyio.AsyncFile[str]", _PipeWriter(wire))
    finally:
        # The description may be shared (a launcher's stdout): leave it as found.
        os.set_blocking(wire, blocking)
        os.dup2(wire, fd)
        os.close(wire)


class _PipeWriter:
    """Writes whole answers to a non-blocking pipe, waiting on the loop while it is full."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    async def write(self, text: str) -> None:
        view = memoryview(text.encode())
        while view:
            try:
                view = view[os.write(self._fd, view) :]
            except BlockingIOError:
                await anyio.wait_writable(self._fd)

    async def flush(self) -> None:
        """Nothing is buffered: each write went to the pipe."""


def _pipe_fd(stream: Any) -> int | None:
    """The descriptor of ``stream`` if it is a pipe or a socket."""
    try:
        fd = int(stream.fileno())
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError):
        return None
    return fd if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) else None


def _divert(fd: int) -> None:
    """Point ``fd`` at stderr, or at nothing when there is no stderr."""
    try:
        os.dup2(2, fd)
    except OSError:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, fd)
        finally:
            os.close(null)


async def _pipe_lines(fd: int) -> AsyncIterator[str]:
    """The lines of the pipe or socket ``fd``, read without blocking, "\\n" kept."""
    decoder = io.IncrementalNewlineDecoder(
        codecs.getincrementaldecoder("utf-8")(errors="replace"), translate=True
    )
    blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)
    try:
        pending: list[str] = []  # the start of a line, in the pieces read so far
        while True:
            await anyio.wait_readable(fd)
            try:
                chunk = os.read(fd, _READ_BYTES)
            except BlockingIOError:
                continue
            text = decoder.decode(chunk, final=not chunk)
            start = 0
            while (end := text.find("\n", start)) >= 0:
                pending.append(text[start : end + 1])
                yield "".join(pending)
                pending, start = [], end + 1
            if start < len(text):
                pending.append(text[start:])
            if not chunk:
                if pending:
                    yield "".join(pending)  # a last line without "\n", as readline gives
                return
    finally:
        os.set_blocking(fd, blocking)  # the description may be shared: leave it as found
