"""What ``install-hooks`` puts into Claude Code's ``settings.json``, and takes out again.

The merge works on the parsed document and touches only two places: one command hook
in ``hooks.SessionStart`` and, when asked, ``statusLine``. Everything else (other hooks,
other keys, their order) is kept as it is. An entry is ours when its command runs a
program named ``task-journal`` with our subcommand, wherever that program lives, so a
second install changes nothing and an install from another folder replaces the old one
instead of adding a second.
"""

import datetime as dt
import json
import os
import shlex
from pathlib import Path
from typing import Any

from journal_core import InvalidSetting

PROGRAM = "task-journal"
HOOK_ARGS = ("hook", "session-start")
STATUSLINE_ARGS = ("statusline",)


def command_line(program: str, args: tuple[str, ...]) -> str:
    """The shell command Claude Code runs: ``program`` and ``args``, quoted for sh."""
    return shlex.join([program, *args])


def _runs_ours(command: object, args: tuple[str, ...]) -> bool:
    if not isinstance(command, str):
        return False
    try:
        words = shlex.split(command)
    except ValueError:  # unbalanced quotes: someone else's command
        return False
    return (
        len(words) == len(args) + 1 and Path(words[0]).name == PROGRAM and tuple(words[1:]) == args
    )


def is_our_hook_command(command: object) -> bool:
    return _runs_ours(command, HOOK_ARGS)


def _is_our_hook(entry: object) -> bool:
    return isinstance(entry, dict) and is_our_hook_command(entry.get("command"))


def is_our_statusline(value: object) -> bool:
    return isinstance(value, dict) and _runs_ours(value.get("command"), STATUSLINE_ARGS)


def load(path: Path) -> dict[str, Any]:
    """The settings document at ``path`` (empty when there is no file).

    Raises ``InvalidSetting`` naming the file when it is not a JSON object, or when a
    part this merge must walk has another shape than Claude Code gives it.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidSetting(str(path), f"cannot be read ({err}); nothing was changed") from err
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidSetting(
            str(path),
            f"is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
            "fix it and run again; nothing was changed",
        ) from None
    if not isinstance(document, dict):
        raise InvalidSetting(str(path), "is not a JSON object; nothing was changed")
    hooks = document.get("hooks", {})
    if not isinstance(hooks, dict):
        raise InvalidSetting(str(path), "'hooks' is not an object; nothing was changed")
    groups = hooks.get("SessionStart", [])
    if not isinstance(groups, list) or not all(
        isinstance(group, dict) and isinstance(group.get("hooks", []), list) for group in groups
    ):
        raise InvalidSetting(
            str(path),
            "'hooks.SessionStart' is not a list of {\"hooks\": [...]} groups; nothing was changed",
        )
    return document


def install(document: dict[str, Any], program: str, *, statusline: bool, path: Path) -> list[str]:
    """Merge our hook (and status line) into ``document``; say what changed, [] if nothing.

    Raises ``InvalidSetting`` when ``statusLine`` is someone else's: there is only one.
    """
    changes: list[str] = []
    wanted_hook = command_line(program, HOOK_ARGS)
    if statusline:
        current = document.get("statusLine")
        if current is not None and not is_our_statusline(current):
            raise InvalidSetting(
                str(path),
                "already has a statusLine of its own; remove it first, or install without "
                "--statusline; nothing was changed",
            )
        wanted_line = {"type": "command", "command": command_line(program, STATUSLINE_ARGS)}
        if current != wanted_line:
            document["statusLine"] = wanted_line
            changes.append(f"status line: {wanted_line['command']}")
    groups = document.setdefault("hooks", {}).setdefault("SessionStart", [])
    ours = [entry for group in groups for entry in group.get("hooks", []) if _is_our_hook(entry)]
    if [entry.get("command") for entry in ours] != [wanted_hook]:
        _drop_our_hooks(groups)
        groups.append({"hooks": [{"type": "command", "command": wanted_hook}]})
        changes.insert(0, f"SessionStart hook: {wanted_hook}")
    return changes


def uninstall(document: dict[str, Any]) -> list[str]:
    """Take our hook and status line out of ``document``; say what went, [] if nothing."""
    changes: list[str] = []
    if is_our_statusline(document.get("statusLine")):
        del document["statusLine"]
        changes.append("status line")
    hooks = document.get("hooks")
    if not isinstance(hooks, dict):
        return changes
    groups = hooks.get("SessionStart")
    if isinstance(groups, list) and _drop_our_hooks(groups):
        changes.insert(0, "SessionStart hook")
        # Containers only our entry filled go too; ones that were empty before stay.
        if not groups:
            del hooks["SessionStart"]
            if not hooks:
                del document["hooks"]
    return changes


def _drop_our_hooks(groups: list[dict[str, Any]]) -> bool:
    """Remove our entries from every group, and the groups they leave empty."""
    dropped = False
    for group in list(groups):
        entries = group.get("hooks", [])
        kept = [entry for entry in entries if not _is_our_hook(entry)]
        if len(kept) == len(entries):
            continue
        dropped = True
        if kept:
            group["hooks"] = kept
        else:
            groups.remove(group)
    return dropped


def save(path: Path, document: dict[str, Any]) -> Path | None:
    """Write ``document`` to ``path`` atomically, first copying the old file aside.

    Returns the backup's path (``None`` when there was no file to back up). The new file
    keeps the old one's mode; a new one is 0600, as it may hold tokens in ``env``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    try:
        mode = path.stat().st_mode & 0o777
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        backup = path.with_name(f"{path.name}.{stamp}.bak")
        backup.write_bytes(path.read_bytes())
        os.chmod(backup, mode)
    except FileNotFoundError:
        mode = 0o600
    import tempfile  # here: every command imports this module, and only install-hooks writes

    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return backup
