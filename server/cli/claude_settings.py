"""What ``install-hooks`` puts into Claude Code's ``settings.json``, and takes out again.

The entries are data (``HOOKS``, ``STATUS_LINE``): a new hook is one more ``Entry``.
The merge works on the parsed document and touches only those entries; everything else
(other hooks, other keys, their order) is kept as it is.

An entry is recognised as ours by its marker, a variable assignment that starts its
command (``TASK_JOURNAL_HOOK=session-start task-journal hook session-start``): people
edit the end of a command (`` 2>/dev/null``) or the program's path, not that word, so an
edited entry is still found by ``--uninstall`` and not added a second time. Entries an
older version wrote, without the marker, are recognised by their exact words and
replaced.
"""

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from journal_core import InvalidSetting

__all__ = [
    "HOOKS",
    "MARKER",
    "PROGRAM",
    "STATUS_LINE",
    "Entry",
    "command_line",
    "install",
    "our_commands",
    "program_of",
    "uninstall",
    "validate",
]

PROGRAM = "task-journal"
MARKER = "TASK_JOURNAL_HOOK"
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=\S*")


@dataclass(frozen=True)
class Entry:
    """One command install-hooks manages: ``name`` is its marker's value, ``args`` what
    ``task-journal`` is run with, ``event`` the Claude Code hook event (None for the
    status line)."""

    name: str
    args: tuple[str, ...]
    event: str | None = None
    label: str = ""

    def command(self, program: str) -> str:
        return f"{MARKER}={self.name} {command_line(program, self.args)}"

    def marked(self, command: str) -> bool:
        return re.search(rf"(^|\s){MARKER}={re.escape(self.name)}(\s|$)", command) is not None

    def legacy(self, command: str) -> bool:
        """The exact command an install-hooks without markers wrote."""
        try:
            words = shlex.split(command)
        except ValueError:  # unbalanced quotes: someone else's command
            return False
        return words[1:] == list(self.args) and Path(words[0]).name == PROGRAM if words else False

    def ours(self, command: object) -> TypeGuard[str]:
        return isinstance(command, str) and (self.marked(command) or self.legacy(command))

    def current(self, command: str, program: str) -> bool:
        """Ours and running ``program`` with our arguments, whatever was added around."""
        try:
            words = shlex.split(command)
        except ValueError:
            return False
        wanted = [program, *self.args]
        return self.marked(command) and any(
            words[start : start + len(wanted)] == wanted for start in range(len(words))
        )


HOOKS = (Entry("session-start", ("hook", "session-start"), "SessionStart", "SessionStart hook"),)
STATUS_LINE = Entry("statusline", ("statusline",), label="status line")


def command_line(program: str, args: tuple[str, ...]) -> str:
    """The shell command Claude Code runs: ``program`` and ``args``, quoted for sh."""
    return shlex.join([program, *args])


def program_of(command: str) -> str:
    """The program a command runs: its first word after any variable assignments."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    programs = [word for word in words if not _ASSIGNMENT.fullmatch(word)]
    return programs[0] if programs else command


def validate(document: Any, path: Path) -> dict[str, Any]:
    """``document`` if it has the shape this merge walks; else ``InvalidSetting``."""
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


def our_commands(document: dict[str, Any]) -> Iterator[tuple[Entry, str]]:
    """Each of our entries in ``document`` with its command, as it is now."""
    hooks = document.get("hooks")
    for entry in HOOKS:
        groups = hooks.get(entry.event) if isinstance(hooks, dict) else None
        for group in groups if isinstance(groups, list) else []:
            found = group.get("hooks") if isinstance(group, dict) else None
            for hook in found if isinstance(found, list) else []:
                command = hook.get("command") if isinstance(hook, dict) else None
                if entry.ours(command):
                    yield entry, command
    line = document.get("statusLine")
    command = line.get("command") if isinstance(line, dict) else None
    if STATUS_LINE.ours(command):
        yield STATUS_LINE, command


def install(document: dict[str, Any], program: str, *, statusline: bool, path: Path) -> list[str]:
    """Merge our hooks (and status line) into ``document``; say what changed, [] if nothing.

    Raises ``InvalidSetting`` when ``statusLine`` is someone else's: there is only one.
    """
    changes: list[str] = []
    if statusline:
        current = document.get("statusLine")
        command = current.get("command") if isinstance(current, dict) else None
        if current is not None and not STATUS_LINE.ours(command):
            raise InvalidSetting(
                str(path),
                "already has a statusLine of its own; remove it first, or install without "
                "--statusline; nothing was changed",
            )
        if not (isinstance(command, str) and STATUS_LINE.current(command, program)):
            document["statusLine"] = {"type": "command", "command": STATUS_LINE.command(program)}
            changes.append(f"{STATUS_LINE.label}: {STATUS_LINE.command(program)}")
    hook_changes = []
    for entry in HOOKS:
        groups = document.setdefault("hooks", {}).setdefault(entry.event, [])
        ours = [hook for group in groups for hook in group.get("hooks", []) if _is(entry, hook)]
        if len(ours) == 1 and entry.current(ours[0]["command"], program):
            continue  # installed, perhaps edited since: left as its owner has it
        _drop(entry, groups)
        groups.append({"hooks": [{"type": "command", "command": entry.command(program)}]})
        hook_changes.append(f"{entry.label}: {entry.command(program)}")
    return hook_changes + changes


def uninstall(document: dict[str, Any]) -> list[str]:
    """Take our hooks and status line out of ``document``; say what went, [] if nothing."""
    changes: list[str] = []
    hooks = document.get("hooks")
    for entry in HOOKS:
        groups = hooks.get(entry.event) if isinstance(hooks, dict) else None
        if isinstance(hooks, dict) and isinstance(groups, list) and _drop(entry, groups):
            changes.append(entry.label)
            # Containers only our entry filled go too; ones that were empty before stay.
            if not groups:
                del hooks[entry.event]
    if isinstance(hooks, dict) and not hooks and changes:
        del document["hooks"]
    line = document.get("statusLine")
    if isinstance(line, dict) and STATUS_LINE.ours(line.get("command")):
        del document["statusLine"]
        changes.append(STATUS_LINE.label)
    return changes


def _is(entry: Entry, hook: object) -> bool:
    return isinstance(hook, dict) and entry.ours(hook.get("command"))


def _drop(entry: Entry, groups: list[dict[str, Any]]) -> bool:
    """Remove ``entry``'s hooks from every group, and the groups they leave empty."""
    dropped = False
    for group in list(groups):
        hooks = group.get("hooks", [])
        kept = [hook for hook in hooks if not _is(entry, hook)]
        if len(kept) == len(hooks):
            continue
        dropped = True
        if kept:
            group["hooks"] = kept
        else:
            groups.remove(group)
    return dropped
