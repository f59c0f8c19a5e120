"""Where the journal lives (SPEC §4), laid out as the Rust ``task-journal`` tool does."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

# Markers of a project root, nearest first wins.
_ROOT_MARKERS = (".task-journal", ".git")


def find_project_root(start: Path) -> Path:
    """The nearest folder from ``start`` up with ``.task-journal/`` or ``.git``, else ``start``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in _ROOT_MARKERS):
            return folder
    return start


def project_hash(root: Path) -> str:
    """First 8 bytes of SHA-256 of the root's canonical path, as 16 lowercase hex characters."""
    return hashlib.sha256(os.fsencode(root.resolve())).digest()[:8].hex()


def data_dir(environ: Mapping[str, str]) -> Path:
    """``TASK_JOURNAL_DATA_DIR``, else ``$XDG_DATA_HOME/task-journal``, else the platform's."""
    if explicit := environ.get("TASK_JOURNAL_DATA_DIR"):
        return Path(explicit).expanduser()
    xdg = environ.get("XDG_DATA_HOME")
    # The XDG spec says a relative value is invalid and must be ignored.
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "task-journal"
    home = Path(environ.get("HOME") or Path.home())
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "task-journal"
    return home / ".local" / "share" / "task-journal"


def resolve_journal_path(
    journal: str | os.PathLike[str] | None = None,
    project_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """The journal file: explicit path, else ``TASK_JOURNAL_PATH``, else the per-project one."""
    env = os.environ if environ is None else environ
    explicit = journal if journal is not None else env.get("TASK_JOURNAL_PATH")
    if explicit:
        return Path(explicit).expanduser().absolute()
    start = Path(project_dir) if project_dir is not None else Path.cwd()
    root = find_project_root(start)
    return (data_dir(env) / "events" / f"{project_hash(root)}.jsonl").absolute()
