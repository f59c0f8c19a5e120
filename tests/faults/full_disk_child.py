"""The MCP server over a journal whose disk fills up, for machines where a test cannot mount.

Run as ``python -m tests.faults.full_disk_child`` from the repository root, with
TASK_JOURNAL_PATH set and FULL_DISK_FREE_FILE naming a file that holds the free space in
bytes. Writes to the journal take from that budget the way a real disk does: a write
larger than what is left writes what fits and returns short, and the next one fails
with ENOSPC. Everything else (the file, the locks, the server) is real.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from typing_extensions import Buffer

from server import main

_JOURNAL = os.path.realpath(os.environ["TASK_JOURNAL_PATH"])
_FREE = Path(os.environ["FULL_DISK_FREE_FILE"])
_real_write = os.write


def _write_within_budget(fd: int, data: Buffer, /) -> int:
    if os.readlink(f"/proc/self/fd/{fd}") != _JOURNAL:
        return _real_write(fd, data)
    free = int(_FREE.read_text())
    if free == 0:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    written = _real_write(fd, memoryview(data)[:free])
    _FREE.write_text(str(free - written))
    return written


os.write = _write_within_budget

if __name__ == "__main__":
    sys.exit(main())
