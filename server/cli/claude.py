"""Claude Code's side: the SessionStart hook, and installing it (and the status line,
which ``server.cli.status`` prints).

``hook session-start`` runs at every session start, so it imports nothing beyond the
journal library, and it never fails its caller: a problem is one warning on stderr and
exit status 0, since a failing hook disturbs the session it was meant to help.
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from journal_core import Settings, data_block, data_dir, find_project_root
from server.cli import claude_settings
from server.cli.command import (
    EXIT_OK,
    PROG,
    AddCommand,
    add_journal_options,
    emit,
    note,
    open_journal,
    warning_text,
)
from server.cli.settings_file import SettingsFile

# The resume briefing's budget, as SPEC §8 sets it for the resume prompt.
_BRIEFING_TOKENS = 1500
_BRIEFING_HEAD = (
    "This project keeps a task journal (task-journal). Its open tasks are briefed below "
    "as context: where the user's request carries one on, build on it, record decisions "
    "and findings as you go, and close a task with its outcome when it is done.\n\n"
)


def register(add: AddCommand) -> None:
    hook = add(
        "hook",
        "Entry points for Claude Code hooks: 'hook session-start' briefs a new session.",
        f"""\
  echo '{{"cwd": "'$PWD'", "hook_event_name": "SessionStart"}}' | {PROG} hook session-start
  {PROG} install-hooks     # puts it into ~/.claude/settings.json""",
        _session_start,  # the one hook there is; argparse asks for its name all the same
    )
    events = hook.add_subparsers(title="hooks", metavar="HOOK", required=True)
    session_start = events.add_parser(
        "session-start",
        help="print the resume briefing of the open tasks as SessionStart context",
        description="Read Claude Code's SessionStart JSON on stdin; print the resume "
        "briefing of the open tasks of the journal of its cwd as additionalContext. "
        "Prints nothing when there is no journal or no open task; always exits 0.",
        epilog=f"""examples:
  echo '{{"cwd": "'$PWD'", "hook_event_name": "SessionStart"}}' | {PROG} hook session-start
  {PROG} install-hooks     # runs it at every session start of Claude Code""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_journal_options(session_start, default=argparse.SUPPRESS)

    install = add(
        "install-hooks",
        "Add the SessionStart hook (and the status line) to Claude Code's settings.json.",
        f"""\
  {PROG} install-hooks                       # ~/.claude/settings.json
  {PROG} install-hooks --scope project --statusline
  {PROG} install-hooks --uninstall

Merges into what is there and changes nothing when it is already installed; before
changing the file it copies it to settings.json.<time>.bak in the data folder, outside
the repository. --uninstall takes out only the entries this command adds, found by
their TASK_JOURNAL_HOOK= word even once edited. Project scope runs task-journal from
PATH, so the shared file works on every machine where it is installed. Not needed with
the Claude Code plugin, which brings the hook itself.""",
        _install_hooks,
    )
    install.add_argument(
        "--scope",
        choices=("user", "project"),
        default="user",
        help="user: ~/.claude/settings.json (default); project: .claude/settings.json in "
        "the project root",
    )
    install.add_argument("--statusline", action="store_true", help="also set the status line")
    install.add_argument(
        "--uninstall", action="store_true", help="take out what install-hooks added"
    )


# --- hook session-start ----------------------------------------------------------


def _session_start(args: argparse.Namespace) -> int:
    try:
        briefing = _briefing(args, sys.stdin.buffer.read())
    except Exception as err:  # any failure at all must leave the session alone
        note(f"warning: session-start hook: {warning_text(err)}; no briefing this time")
        return EXIT_OK
    if briefing:
        output = {
            "hookSpecificOutput": {
                "hookEventName": "SessionStart",
                "additionalContext": _BRIEFING_HEAD + data_block(briefing),
            }
        }
        emit(json.dumps(output, ensure_ascii=False))
    return EXIT_OK


def _briefing(args: argparse.Namespace, stdin: bytes) -> str:
    """The resume briefing for the project the hook's JSON names ("" for none)."""
    payload = _hook_payload(stdin)
    project_dir = getattr(args, "project_dir", None) or payload["cwd"]
    settings = Settings.from_env(
        journal=args.journal, project_dir=project_dir, durability=args.durability
    )
    if not settings.journal_path.exists():
        return ""
    with open_journal(settings) as journal:
        return journal.resume(budget_tokens=_BRIEFING_TOKENS).markdown


class _BadPayload(Exception):
    """The hook's stdin is not the JSON Claude Code sends."""


def _hook_payload(stdin: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(stdin)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _BadPayload(f"stdin is not the hook's JSON ({err})") from None
    if not isinstance(payload, dict):
        raise _BadPayload("stdin is not a JSON object")
    cwd = payload.get("cwd")
    if not isinstance(cwd, str) or not cwd:
        raise _BadPayload("the hook's JSON has no 'cwd'")
    if not os.path.isdir(cwd):
        raise _BadPayload(f"the hook's cwd {cwd!r} is not a folder")
    return payload


# --- install-hooks ---------------------------------------------------------------


def _install_hooks(args: argparse.Namespace) -> int:
    path = _settings_path(args)
    settings = SettingsFile(path, data_dir(os.environ))
    program = _program(args.scope)
    with settings.locked():
        document = claude_settings.validate(settings.load(), path)
        if args.uninstall:
            changes = claude_settings.uninstall(document)
        else:
            changes = claude_settings.install(
                document, program, statusline=args.statusline, path=path
            )
        if not changes:
            emit(
                f"{path}: already {'without' if args.uninstall else 'with'} the task-journal "
                "entries; nothing changed"
            )
            return EXIT_OK
        backup = settings.save(document)
    verb = "removed" if args.uninstall else "added"
    for change in changes:
        emit(f"{path}: {verb} {change}")
    if backup is not None:
        emit(f"{path}: the previous version is in {backup}")
    if not args.uninstall and program == claude_settings.PROGRAM and not shutil.which(program):
        note(f"warning: {program} is not on PATH here, so the hooks cannot run until it is")
    return EXIT_OK


def _settings_path(args: argparse.Namespace) -> Path:
    if args.scope == "project":
        start = Path(args.project_dir) if args.project_dir else Path.cwd()
        return find_project_root(start) / ".claude" / "settings.json"
    # Claude Code reads CLAUDE_CONFIG_DIR instead of ~/.claude when it is set.
    config = os.environ.get("CLAUDE_CONFIG_DIR")
    folder = Path(config).expanduser() if config else Path.home() / ".claude"
    return folder / "settings.json"


def _program(scope: str) -> str:
    """How the installed entries run this command. Project settings are shared, so they
    name ``task-journal``, found on PATH on whichever machine runs them; user settings
    name the running script itself, so a virtualenv's works without being on PATH."""
    script = Path(sys.argv[0])
    if scope == "user" and script.name == claude_settings.PROGRAM and script.is_file():
        return str(script.absolute())
    return claude_settings.PROGRAM
