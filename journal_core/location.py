"""Where the journal lives (SPEC §4), laid out as the Rust ``task-journal`` tool does.

The per-project journal is named by a hash of the project's path, as the Rust tool
names it; a git project's repository also records that name (``.git/task-journal``),
so that a moved or renamed folder, whose new path names no journal yet, keeps its own.
"""

from __future__ import annotations

import contextlib
import os
import re
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
    import hashlib  # here, not at import: it loads OpenSSL, which a named journal never needs

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
    events = (data_dir(env) / "events").absolute()
    by_path = events / f"{project_hash(root)}.jsonl"
    if os.path.lexists(by_path):
        _anchor(root, by_path.name)
        return by_path
    return _anchored(root, events) or by_path


# The journal of a git project is named in its repository too, so that it follows the
# folder when it is moved or renamed (the path's hash then names no journal).
_ANCHOR = "task-journal"
_JOURNAL_NAME = re.compile(r"[0-9a-f]{16}\.jsonl")


def _anchored(root: Path, events: Path) -> Path | None:
    """The journal the repository at ``root`` names, if it still exists."""
    try:
        name = (root / ".git" / _ANCHOR).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    found = events / name
    return found if _JOURNAL_NAME.fullmatch(name) and found.is_file() else None


def anchor_journal(root: Path, journal: Path) -> None:
    """Name ``journal`` in the repository at ``root`` if it is that project's journal
    by path (called once the journal exists: a new one is named at creation)."""
    if journal.name == f"{project_hash(root)}.jsonl":
        _anchor(root, journal.name)


def _anchor(root: Path, name: str) -> None:
    """Name the journal in ``root/.git`` (a repository's own folder, not a worktree's
    ``.git`` file), once; only a file of ours there, none of git's."""
    anchor = root / ".git" / _ANCHOR
    try:
        if anchor.read_text(encoding="ascii").strip() == name:
            return
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError):
        return
    if not (root / ".git").is_dir():
        return
    with contextlib.suppress(OSError):  # a read-only repository: the journal still works
        temporary = anchor.with_name(f".{_ANCHOR}.{os.getpid()}")
        temporary.write_text(name + "\n", encoding="ascii")
        temporary.replace(anchor)
