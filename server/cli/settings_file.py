"""Claude Code's ``settings.json`` read and written without losing what its owner wrote.

- Every value comes back exactly as written: numbers keep their literal text (``1e400``
  stays ``1e400``, ``0.10000000000000000555`` is not rounded), and what cannot be kept
  (``NaN``, ``Infinity``, a key given twice in one object) refuses the file, unchanged.
- A symlinked file (a dotfiles repository's) is written through to its target,
  atomically there (a temporary file beside the target, then a rename).
- A read-only file (no write bit for its owner) is refused even for root.
- Each change first copies the old file to a backup (0600) outside the repository,
  under the data folder, one backup per change; changes are made one at a time under
  a lock kept there too, so concurrent runs each see the previous one's result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from journal_core import InvalidSetting

__all__ = ["RawNumber", "SettingsFile", "dumps", "loads", "read"]

_LOCK_TIMEOUT_S = 30.0
_UNCHANGED = "nothing was changed"


class RawNumber(str):
    """A JSON number as its literal text, so that writing it back gives the same value."""

    __slots__ = ()


class _Refused(ValueError):
    """The document holds something that could not be written back exactly."""


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"holds {name}, which is not JSON")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _Refused(f"has the key {key!r} twice in one object, and only one would be kept")
        document[key] = value
    return document


def loads(text: str, path: Path) -> Any:
    """The JSON document ``text``, numbers as ``RawNumber``. Raises ``InvalidSetting``
    naming ``path`` for text that is not JSON or could not be written back as it is."""
    try:
        return json.loads(
            text,
            parse_float=RawNumber,
            parse_int=RawNumber,
            parse_constant=_refuse_constant,
            object_pairs_hook=_pairs,
        )
    except json.JSONDecodeError as err:
        raise InvalidSetting(
            str(path),
            f"is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
            f"fix it and run again; {_UNCHANGED}",
        ) from None
    except _Refused as err:
        raise InvalidSetting(str(path), f"{err}; fix it and run again; {_UNCHANGED}") from None


def dumps(value: Any, indent: str = "") -> str:
    """``value`` as JSON indented by two spaces, ``RawNumber``s written as they were read."""
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (f"{inner}{_string(key)}: {dumps(item, inner)}" for key, item in value.items())
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + dumps(item, inner) for item in value) + f"\n{indent}]"
    if isinstance(value, RawNumber):
        return str.__str__(value)
    if isinstance(value, str):
        return _string(value)
    if value is None or isinstance(value, bool | int):
        return json.dumps(value)
    raise TypeError(f"not a JSON value: {value!r}")  # only floats could get here: none do


def _string(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in the file): keep it escaped
        return json.dumps(text)
    return json.dumps(text, ensure_ascii=False)


def read(path: Path) -> Any:
    """The document at ``path`` (``{}`` when there is no file, or only blanks)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidSetting(str(path), f"cannot be read ({err}); {_UNCHANGED}") from err
    return loads(text, path) if text.strip() else {}


class SettingsFile:
    """One settings file, its backups and its lock (both under ``state``, a folder of
    the data folder)."""

    def __init__(self, path: Path, state: Path) -> None:
        self.path = path
        # Written through a symlink to what it names; the backups follow the target.
        self.target = Path(os.path.realpath(path))
        key = hashlib.sha256(os.fsencode(self.target)).hexdigest()[:16]
        self.backups = state / "claude-settings" / key

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the lock that makes each read-change-write whole for concurrent runs."""
        import filelock  # here: every command imports this module, only install-hooks locks

        self._make_backups_folder()
        try:
            with filelock.FileLock(self.backups / "lock", timeout=_LOCK_TIMEOUT_S):
                yield
        except filelock.Timeout:
            raise InvalidSetting(
                str(self.path), f"is being changed by another install-hooks; {_UNCHANGED}"
            ) from None

    def load(self) -> Any:
        """The document (``{}`` when there is no file, or only blanks)."""
        return read(self.path)

    def save(self, document: Any) -> Path | None:
        """Write ``document``, first copying the old file to a backup; the backup's path,
        or ``None`` when there was no file. The file keeps its mode; a new one is 0600."""
        try:
            mode = self.target.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = None
        if mode is not None and not mode & 0o200:
            raise InvalidSetting(
                str(self.path),
                f"is read-only (mode {mode:04o}): make it writable (chmod u+w) to change it; "
                f"{_UNCHANGED}",
            )
        backup = None if mode is None else self._back_up()
        try:
            self._replace((dumps(document) + "\n").encode(), 0o600 if mode is None else mode)
        except OSError as err:
            if backup is not None:
                backup.unlink(missing_ok=True)
            raise InvalidSetting(
                str(self.path), f"cannot be written ({err.strerror or err}); {_UNCHANGED}"
            ) from err
        return backup

    def _make_backups_folder(self) -> None:
        try:
            self.backups.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as err:
            raise InvalidSetting(
                str(self.path),
                f"cannot keep its backup in {self.backups} ({err.strerror or err}); {_UNCHANGED}",
            ) from err

    def _back_up(self) -> Path:
        content = self.target.read_bytes()
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        for attempt in range(100):
            suffix = f"-{attempt}" if attempt else ""
            backup = self.backups / f"{self.target.name}.{stamp}{suffix}.bak"
            try:
                handle = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            return backup
        raise FileExistsError(f"no free backup name in {self.backups}")

    def _replace(self, content: bytes, mode: int) -> None:
        import tempfile  # here: every command imports this module, and only install-hooks writes

        folder = self.target.parent
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{self.target.name}.", dir=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fchmod(out.fileno(), mode)
                os.fsync(out.fileno())
            os.replace(temporary, self.target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
