"""Installing the Claude Code hooks (``server.cli.hooks`` runs them) and the status line
(which ``server.cli.status`` prints) into Claude Code's settings.json.
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

from journal_core import data_dir, find_project_root
from server.cli import claude_settings
from server.cli.command import EXIT_OK, PROG, AddCommand, emit, note
from server.cli.settings_file import SettingsFile


def register(add: AddCommand) -> None:
    install = add(
        "install-hooks",
        "Add the task-journal hooks (and the status line) to Claude Code's settings.json.",
        f"""\
  {PROG} install-hooks                       # ~/.claude/settings.json
  {PROG} install-hooks --scope project --statusline
  {PROG} install-hooks --uninstall

Merges into what is there and changes nothing when it is already installed; before
changing the file it copies it to settings.json.<time>.bak in the data folder, outside
the repository. --uninstall takes out only the entries this command adds, found by
their TASK_JOURNAL_HOOK= word even once edited. Project scope runs task-journal from
PATH, so the shared file works on every machine where it is installed. The hooks:
SessionStart (the briefing), UserPromptSubmit (recall: --no-recall leaves it out),
PostToolUse, Stop, PreCompact and SessionEnd (capture: --no-capture leaves them out);
--sync adds `task-journal sync --hook --pull` at SessionStart and `--push` at SessionEnd; see
docs/hooks.md. Not needed with the Claude Code plugin, which brings the same hooks
itself.""",
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
        "--no-capture",
        action="store_true",
        help="leave out the hooks that record files, commits and test runs",
    )
    install.add_argument(
        "--no-recall",
        action="store_true",
        help="leave out the hook that recalls rejections and decisions for each prompt",
    )
    install.add_argument(
        "--sync",
        action="store_true",
        help="also sync the journal with its git branch when a session starts and ends",
    )
    install.add_argument(
        "--uninstall", action="store_true", help="take out what install-hooks added"
    )


# --- install-hooks ---------------------------------------------------------------


def _install_hooks(args: argparse.Namespace) -> int:
    path = _settings_path(args)
    settings = SettingsFile(path, data_dir(os.environ))
    program = _program(args.scope)
    parts = claude_settings.PARTS - {
        part for part in ("capture", "recall") if getattr(args, f"no_{part}")
    }
    if not args.sync:
        parts -= {"sync"}
    with settings.locked():
        document = claude_settings.validate(settings.load(), path)
        if args.uninstall:
            changes = claude_settings.uninstall(document)
        else:
            changes = claude_settings.install(
                document, program, statusline=args.statusline, path=path, parts=parts
            )
        if not changes:
            emit(
                f"{path}: already {'without' if args.uninstall else 'with'} the task-journal "
                "entries; nothing changed"
            )
            return EXIT_OK
        backup = settings.save(document)
    for change in changes:
        emit(f"{path}: {change}")
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
