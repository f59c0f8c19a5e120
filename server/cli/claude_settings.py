"""What ``install-hooks`` puts into Claude Code's ``settings.json``, and takes out again.

The merge works on the parsed document and touches only our command hooks (one per
event of ``HOOKS``, in ``hooks.<event>``) and, when asked, ``statusLine``. Everything
else (other hooks, other keys, their order) is kept as it is. An entry is ours when
its command runs a program named ``task-journal`` with our subcommand, wherever that
program lives, so a second install changes nothing and an install from another folder
replaces the old one instead of adding a second.
"""

import datetime as dt
import json
import os
import shlex
from pathlib import Path
from typing import Any, NamedTuple

from journal_core import InvalidSetting

PROGRAM = "task-journal"
STATUSLINE_ARGS = ("statusline",)


class HookEntry(NamedTuple):
    """One hook we install: Claude Code's event, our arguments, the part it belongs to
    (``--no-capture``/``--no-recall`` leave a part out), and the tools it runs after."""

    event: str
    args: tuple[str, ...]
    part: str
    matcher: str | None = None


# The tools whose use capture records; other tool calls never start the hook.
CAPTURED_TOOLS = "Edit|MultiEdit|Write|NotebookEdit|Bash|mcp__.*__append_event"
HOOKS: tuple[HookEntry, ...] = (
    HookEntry("SessionStart", ("hook", "session-start"), "briefing"),
    HookEntry("UserPromptSubmit", ("hook", "user-prompt-submit"), "recall"),
    HookEntry("PostToolUse", ("hook", "post-tool-use"), "capture", CAPTURED_TOOLS),
    HookEntry("Stop", ("hook", "stop"), "capture"),
    HookEntry("PreCompact", ("hook", "pre-compact"), "capture"),
    HookEntry("SessionEnd", ("hook", "session-end"), "capture"),
)
PARTS = frozenset(entry.part for entry in HOOKS)


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


def our_hook(event: str, command: object) -> HookEntry | None:
    """The entry of ``HOOKS`` that ``command``, found under ``event``, runs; else None."""
    for entry in HOOKS:
        if entry.event == event and _runs_ours(command, entry.args):
            return entry
    return None


def _is_our_hook(event: str, entry: object) -> bool:
    return isinstance(entry, dict) and our_hook(event, entry.get("command")) is not None


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
    for event in dict.fromkeys(entry.event for entry in HOOKS):
        groups = hooks.get(event, [])
        if not isinstance(groups, list) or not all(
            isinstance(group, dict) and isinstance(group.get("hooks", []), list) for group in groups
        ):
            raise InvalidSetting(
                str(path),
                f"'hooks.{event}' is not a list of {{\"hooks\": [...]}} groups; "
                "nothing was changed",
            )
    return document


def install(
    document: dict[str, Any],
    program: str,
    *,
    statusline: bool,
    path: Path,
    parts: frozenset[str] = PARTS,
) -> list[str]:
    """Merge our hooks of ``parts`` (and the status line) into ``document``, taking out
    those of the other parts; say what changed, [] if nothing.

    Raises ``InvalidSetting`` when ``statusLine`` is someone else's: there is only one.
    """
    changes: list[str] = []
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
            changes.append(f"added status line: {wanted_line['command']}")
    hooks = document.setdefault("hooks", {})
    added: list[str] = []
    for entry in HOOKS:
        if entry.part not in parts:
            if _drop_event(document, entry.event):
                added.append(f"removed {entry.event} hook")
            continue
        wanted = command_line(program, entry.args)
        groups = hooks.setdefault(entry.event, [])
        ours = [
            (group.get("matcher"), hook.get("command"))
            for group in groups
            for hook in group.get("hooks", [])
            if _is_our_hook(entry.event, hook)
        ]
        if ours != [(entry.matcher, wanted)]:
            _drop_our_hooks(entry.event, groups)
            group: dict[str, Any] = {"hooks": [{"type": "command", "command": wanted}]}
            if entry.matcher is not None:
                group = {"matcher": entry.matcher, **group}
            groups.append(group)
            added.append(f"added {entry.event} hook: {wanted}")
    if not hooks:
        del document["hooks"]
    return added + changes


def uninstall(document: dict[str, Any]) -> list[str]:
    """Take our hooks and status line out of ``document``; say what went, [] if nothing."""
    changes = [
        f"removed {event} hook"
        for event in dict.fromkeys(entry.event for entry in HOOKS)
        if _drop_event(document, event)
    ]
    if is_our_statusline(document.get("statusLine")):
        del document["statusLine"]
        changes.append("removed status line")
    return changes


def _drop_event(document: dict[str, Any], event: str) -> bool:
    """Take our entries out of ``hooks.<event>``; containers only ours filled go too
    (ones that were empty before stay)."""
    hooks = document.get("hooks")
    if not isinstance(hooks, dict):
        return False
    groups = hooks.get(event)
    if not isinstance(groups, list) or not _drop_our_hooks(event, groups):
        return False
    if not groups:
        del hooks[event]
        if not hooks:
            del document["hooks"]
    return True


def _drop_our_hooks(event: str, groups: list[dict[str, Any]]) -> bool:
    """Remove our entries from every group, and the groups they leave empty."""
    dropped = False
    for group in list(groups):
        entries = group.get("hooks", [])
        kept = [entry for entry in entries if not _is_our_hook(event, entry)]
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
