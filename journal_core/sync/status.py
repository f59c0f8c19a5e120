"""How far a replica is: its id, remote, last sync, and what it has not sent yet.

Read by ``doctor`` and, at every redraw, by the status line: so only the standard
library, the small ``state.json`` and the bytes written since the last sync are read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Final, NamedTuple

# The most bytes read to count what is unsent: past it, the count says "at least".
_MAX_READ: Final = 8 * 1024 * 1024


class SyncStatus(NamedTuple):
    replica_id: str
    remote: str | None
    last_sync: str | None
    unsent: int  # lines written since the last sync, and published lines not yet pushed
    unsent_at_least: bool  # True when ``unsent`` stopped counting at _MAX_READ


def sync_status(journal_path: Path) -> SyncStatus | None:
    """None for a journal that was never synced."""
    folder = Path(f"{journal_path}.sync")
    try:
        replica_id = (folder / "replica-id").read_text().strip()
    except FileNotFoundError:
        return None
    try:
        state = json.loads((folder / "state.json").read_bytes())
    except (FileNotFoundError, ValueError):
        state = {}
    try:
        stat = journal_path.stat()
        same = state.get("journal") == [stat.st_dev, stat.st_ino]
        tail = _lines_from(journal_path, state.get("scanned", 0) if same else 0)
    except FileNotFoundError:
        tail = (0, False)
    counts = [tail]
    pushed = state.get("blobs", {})
    for name, size in state.get("outbox", {}).items():
        start = pushed.get(name, {}).get("size", 0)
        if start < size:
            counts.append(_lines_from(folder / "out" / name, start))
    return SyncStatus(
        replica_id=replica_id,
        remote=state.get("remote"),
        last_sync=state.get("last_sync"),
        unsent=sum(count for count, _ in counts),
        unsent_at_least=any(more for _, more in counts),
    )


def _lines_from(path: Path, start: int) -> tuple[int, bool]:
    """How many line ends ``path`` has from ``start`` on, reading at most _MAX_READ."""
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            file.seek(start)
            data = file.read(min(max(size - start, 0), _MAX_READ))
    except FileNotFoundError:
        return 0, False
    return data.count(b"\n"), size - start > _MAX_READ


__all__ = ["SyncStatus", "sync_status"]
