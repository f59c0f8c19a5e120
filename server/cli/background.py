"""Building the index in a background process, for the commands that must not wait.

The status line and the hooks answer within their targets on a journal of any size: where
the index lacks more than ``WAIT_BYTES`` of the journal (no index yet, or a big import
since), they say less and leave the catching up to a detached process, which the next
status line or hook finds done. A command's first read of one task does the same where
the index lacks much more (``server.first_use``; a server builds its index itself). One
builder runs at a time: each takes an exclusive ``flock`` on
``<journal>.index.sqlite.build`` and leaves if another holds it.
"""

import sys
from pathlib import Path
from typing import Final

# About 3,000 lines: what a fresh process catches up in about 100 ms.
WAIT_BYTES: Final = 1 << 20

# Run as ``python -c BUILDER --build-index PATH`` (the flag names the process in ps).
_BUILDER: Final = """
import fcntl, os, sys
from pathlib import Path
path = Path(sys.argv[2])
lock = os.open(f"{path}.index.sqlite.build", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
try:
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError:
    sys.exit(0)  # another process is building it
from journal_core import Journal, Settings
journal = Journal(Settings(journal_path=path))
journal.build_index()
journal.close()
"""


def index_far_behind(journal: Path) -> bool:
    """Whether the index lacks more of ``journal`` than a quick command can wait for;
    then a detached process is started to catch it up, for a later command to use."""
    if not index_lacks(journal, WAIT_BYTES):
        return False
    build_in_background(journal)
    return True


def index_lacks(journal: Path, most: int) -> bool:
    """Whether the index lacks more than ``most`` bytes of ``journal``."""
    from journal_core import index_lag

    return index_lag(journal) > most


def build_in_background(journal: Path) -> None:
    """Start a detached process that brings ``journal``'s index up to date."""
    import subprocess

    subprocess.Popen(
        [sys.executable, "-c", _BUILDER, "--build-index", str(journal)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # outlives the status line, and no terminal signal
        close_fds=True,
    )
