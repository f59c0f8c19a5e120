"""What ``install-hooks`` puts into Claude Code's ``settings.json``, and takes out again.

The entries are data (``HOOKS``, ``STATUS_LINE``): a new hook is one more ``Entry``,
in the part (``PARTS``) that options leave in or out.
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
    "CAPTURED_TOOLS",
    "HOOKS",
    "MARKER",
    "PARTS",
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
    status line), ``part`` what leaves it out (``--no-capture``, ``--no-recall``) or
    brings it in (``--sync``), ``matcher`` the tools it runs after."""

    name: str
    args: tuple[str, ...]
    event: str | None = None
    label: str = ""
    part: str = ""
    matcher: str | None = None

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


def _hook(name: str, event: str, part: str, matcher: str | None = None) -> Entry:
    return Entry(name, ("hook", name), event, f"{event} hook", part, matcher)


def _sync(event: str, half: str) -> Entry:
    name = f"sync-{event.lower().removeprefix('session')}"
    return Entry(name, ("sync", "--hook", half), event, f"{event} sync hook", "sync")


# The tools whose use capture records; other tool calls never start the hook.
CAPTURED_TOOLS = "Edit|MultiEdit|Write|NotebookEdit|Bash|mcp__.*__append_event"
HOOKS = (
    _hook("session-start", "SessionStart", "briefing"),
    _hook("user-prompt-submit", "UserPromptSubmit", "recall"),
    _hook("post-tool-use", "PostToolUse", "capture", CAPTURED_TOOLS),
    _hook("stop", "Stop", "capture"),
    _hook("pre-compact", "PreCompact", "capture"),
    _hook("session-end", "SessionEnd", "capture"),
    # Opt-in (--sync), so not in the plugin: a journal shared through git, kept in step.
    _sync("SessionStart", "--pull"),
    _sync("SessionEnd", "--push"),
)
PARTS = frozenset(entry.part for entry in HOOKS)
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


def install(
    document: dict[str, Any],
    program: str,
    *,
    statusline: bool,
    path: Path,
    parts: frozenset[str] = PARTS - {"sync"},
) -> list[str]:
    """Merge our hooks of ``parts`` (and the status line) into ``document``, taking out
    those of the other parts; say what changed, [] if nothing.

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
            changes.append(f"added {STATUS_LINE.label}: {STATUS_LINE.command(program)}")
    hooks = document.setdefault("hooks", {})
    hook_changes = []
    for entry in HOOKS:
        if entry.part not in parts:
            hook_changes += [f"removed {entry.label}"] if _drop_from(hooks, entry) else []
            continue
        groups = hooks.setdefault(entry.event, [])
        ours = [
            (group.get("matcher"), hook["command"])
            for group in groups
            for hook in group.get("hooks", [])
            if _is(entry, hook)
        ]
        if len(ours) == 1 and ours[0][0] == entry.matcher and entry.current(ours[0][1], program):
            continue  # installed, perhaps edited since: left as its owner has it
        _drop(entry, groups)
        group: dict[str, Any] = {"hooks": [{"type": "command", "command": entry.command(program)}]}
        groups.append(group if entry.matcher is None else {"matcher": entry.matcher, **group})
        hook_changes.append(f"added {entry.label}: {entry.command(program)}")
    if not hooks:
        del document["hooks"]
    return hook_changes + changes


def uninstall(document: dict[str, Any]) -> list[str]:
    """Take our hooks and status line out of ``document``; say what went, [] if nothing."""
    changes: list[str] = []
    hooks = document.get("hooks")
    if isinstance(hooks, dict):
        changes += [f"removed {entry.label}" for entry in HOOKS if _drop_from(hooks, entry)]
        if not hooks and changes:
            del document["hooks"]
    line = document.get("statusLine")
    if isinstance(line, dict) and STATUS_LINE.ours(line.get("command")):
        del document["statusLine"]
        changes.append(f"removed {STATUS_LINE.label}")
    return changes


def _drop_from(hooks: dict[str, Any], entry: Entry) -> bool:
    """Take ``entry`` out of ``hooks``; containers only ours filled go too (ones that
    were empty before stay)."""
    groups = hooks.get(entry.event) if entry.event else None
    if entry.event is None or not isinstance(groups, list) or not _drop(entry, groups):
        return False
    if not groups:
        del hooks[entry.event]
    return True


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
