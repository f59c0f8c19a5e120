"""Running one ``task-journal`` command: its parser, its journal errors as exit statuses.

Each command parses its flags, resolves the journal the way the MCP server does
(``Settings.from_env``), makes one call into journal_core and prints the result. A
``JournalError`` (or an OS error on the journal file) becomes one line on stderr and an
exit status; nothing else is translated. The commands live in the modules of this
package, grouped by what they work on; each registers itself in ``build_parser``.

A command must load no more than it uses: the status line runs at every redraw of
Claude Code's status bar, a hook at every session start. ``_COMMANDS`` names each
command's module, and ``run`` imports only the module of the command it is given; the
whole parser is built only for what needs every command (the help, a usage error).
Only ``serve`` loads ``mcp`` (most of a second), through the server's ``main``.
"""

import argparse
import importlib
import os
import sys
import textwrap
from collections.abc import Sequence
from typing import Any, NoReturn

from journal_core import DURABILITY_MODES, JournalDurabilityUnknown, JournalError
from server.cli.arguments import check_utf8_arguments
from server.cli.command import (
    EXIT_BROKEN_PIPE,
    EXIT_DURABILITY_UNKNOWN,
    EXIT_INTERRUPTED,
    EXIT_JOURNAL,
    EXIT_REFUSED,
    JOURNAL_FAILURES,
    PROG,
    Parser,
    Run,
    add_journal_options,
    note,
    show_library_warnings,
)
from server.version import VersionAction

__all__ = ["build_parser", "run"]

# Every command and the module of this package that registers it, grouped as --help
# lists them: by what a person wants to do, in this order.
_COMMANDS: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "record what happens",
        {
            "append": "write",
            "create": "lifecycle",
            "event": "lifecycle",
            "close": "lifecycle",
            "reopen": "lifecycle",
            "goal": "lifecycle",
            "external": "lifecycle",
        },
    ),
    (
        "read the journal",
        {
            "show": "read",
            "read": "read",
            "tasks": "read",
            "events": "export",
            "search": "find",
            "rejected": "find",
            "stale": "idle",
            "ui": "ui",
        },
    ),
    (
        "briefings and documents",
        {"pack": "pack", "resume": "pack", "export-pr": "pack", "export": "export"},
    ),
    (
        "look after the journal",
        {
            "flush": "maintain",
            "verify": "maintain",
            "rebuild-state": "find",
            "path": "maintain",
            "doctor": "doctor",
            "sync": "sync",
        },
    ),
    (
        "Claude Code and MCP clients",
        {
            "hook": "hooks",
            "capture": "hooks",
            "statusline": "status",
            "install-hooks": "claude",
            "serve": "serve",
        },
    ),
)
_MODULE_OF: dict[str, str] = {
    name: module for _, commands in _COMMANDS for name, module in commands.items()
}
# The global options that take a value, to find the command among the arguments.
_VALUED_OPTIONS = frozenset({"--journal", "--project-dir", "--durability"})
_LIST_WIDTH = 88
_NAME_WIDTH = len("install-hooks") + 2

_MAIN_EPILOG = f"""\
The journal: --journal, else $TASK_JOURNAL_PATH, else the per-project journal
<data dir>/events/<project hash>.jsonl, where the project is the nearest folder from
--project-dir (or here) up that holds .task-journal/ or .git, and the data dir is
$TASK_JOURNAL_DATA_DIR, else $XDG_DATA_HOME/task-journal, else ~/.local/share/task-journal.
Also read: $TASK_JOURNAL_DURABILITY ({", ".join(DURABILITY_MODES)}), $TASK_JOURNAL_LOCK_TIMEOUT
(seconds). The MCP server resolves all of these the same way.

exit status:
  0  success
  1  verify found bad lines
  2  usage error, or input refused (invalid event or query, unknown task, task already
     open, bad configuration); nothing was written
  3  the journal is busy (lock timeout), cannot be opened or created, or a write failed;
     nothing was written
  4  the event was written, but its fsync failed: whether it is on stable storage is
     unknown (appending again with the same --idempotency-key does not write it twice)
  130, 141  interrupted (Ctrl-C); stdout closed early (as by `| head`)
serve exits as task-journal-mcp does, in the same classes: 3 also when it cannot
serve (the HTTP port is in use).

Errors are one line on stderr: "{PROG}: error: <message>". stdout carries results only
(with --json one JSON document), so it is empty when a command fails.

Task ids may be typed by any unique start (tj-8f3k), event ids too (as show prints them).
Times for --since and --until: 2026-12-02 (local midnight), 2026-12-02T10:00 (local),
3d, 12h, 30m, 2w (back from now), today, yesterday, or RFC 3339.
Human output has colour and fits the width on a terminal (NO_COLOR turns colour off);
through a pipe it is plain, with whole lines.

examples:
  {PROG} append open "Fix the flaky upload test" --title "Flaky upload test"
  {PROG} append finding "Fails only when run after test_auth" --task tj-8f3k
  {PROG} show tj-8f3k
  {PROG} read --since yesterday --long
  {PROG} tasks --status any --query upload --json
  {PROG} verify
"""


class _Unsettled(Exception):
    """A first parse, with one module's commands, cannot settle the arguments alone."""


class _FirstTry(Parser):
    """The top of a parser that knows only some commands: the help and a usage error,
    which may list every command, are left to the whole parser."""

    def error(self, message: str) -> NoReturn:
        raise _Unsettled(message)

    def print_help(self, file: Any = None) -> NoReturn:
        raise _Unsettled("help")


def build_parser(
    modules: Sequence[str] | None = None, *, top: type[Parser] = Parser
) -> argparse.ArgumentParser:
    """The command line: global journal options, then one subcommand; the subcommands of
    ``modules`` only (names in ``_COMMANDS``), or of every module."""
    if modules is None:
        modules = list(dict.fromkeys(_MODULE_OF.values()))
    parser = top(
        prog=PROG,
        description="Append to and read the durable task journal that agents, people "
        "and hooks share.",
        epilog=_MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=VersionAction)
    add_journal_options(parser, default=None)
    # The same options after the subcommand; SUPPRESS keeps an absent one from
    # overwriting a value given before the subcommand.
    journal_options = Parser(add_help=False)
    add_journal_options(journal_options, default=argparse.SUPPRESS)
    # The commands are listed in groups at the top of the epilog, not by argparse.
    commands = parser.add_subparsers(
        parser_class=Parser,
        title="commands",
        metavar="COMMAND",
        required=True,
        help=f"one of the commands below; '{PROG} COMMAND --help' tells more",
    )
    summaries: dict[str, str] = {}

    def add(name: str, summary: str, epilog: str, run: Run, **kwargs: Any) -> Parser:
        summaries[name] = summary
        sub: Parser = commands.add_parser(
            name,
            description=summary,
            epilog="examples:\n" + epilog,
            parents=[journal_options],
            formatter_class=argparse.RawDescriptionHelpFormatter,
            **kwargs,
        )
        # The command's own parser, to name a flag in an error found after parsing.
        sub.set_defaults(run=run, command_parser=sub)
        return sub

    for module in modules:
        importlib.import_module(f"server.cli.{module}").register(add)
    parser.epilog = _command_list(summaries) + "\n" + _MAIN_EPILOG
    return parser


def _command_list(summaries: dict[str, str]) -> str:
    """The commands under their groups' headings, each with its summary."""
    lines: list[str] = []
    for title, names in _COMMANDS:
        listed = [name for name in names if name in summaries]
        if not listed:
            continue
        if lines:
            lines.append("")
        lines.append(f"{title}:")
        for name in listed:
            lines.extend(
                textwrap.wrap(
                    summaries[name],
                    _LIST_WIDTH,
                    initial_indent=f"    {name:<{_NAME_WIDTH}}",
                    subsequent_indent=" " * (4 + _NAME_WIDTH),
                )
            )
    return "\n".join(lines) + "\n"


def run(arguments: list[str]) -> int:
    """Run one command; return its exit status (see ``task-journal --help``)."""
    try:
        args = _parse(arguments)
    except SystemExit as exit_:
        # --help, --version and usage errors: argparse has printed what it had to.
        return exit_.code if isinstance(exit_.code, int) else EXIT_REFUSED
    command: Run = args.run
    if getattr(args, "library_warnings", True):
        show_library_warnings()
    try:
        check_utf8_arguments(args.command_parser, args)
        status = command(args)
        sys.stdout.flush()  # here, so that a closed pipe is seen below and not at exit
    except JournalError as err:
        from server.cli.words import error_text

        note(f"error: {error_text(err, getattr(args, 'field_flags', None))}")
        if isinstance(err, JournalDurabilityUnknown):
            return EXIT_DURABILITY_UNKNOWN
        return EXIT_JOURNAL if isinstance(err, JOURNAL_FAILURES) else EXIT_REFUSED
    except BrokenPipeError:
        # The reader of stdout went away (`task-journal read | head -1`): stop quietly,
        # with the status of a program killed by SIGPIPE, and keep Python from failing
        # again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return status


def _parse(arguments: list[str]) -> argparse.Namespace:
    """The arguments parsed by a parser of the named command's module alone, if it can
    settle them (what it accepts, the whole parser accepts alike), else by the whole one."""
    module = _MODULE_OF.get(_command_word(arguments) or "")
    try:
        return build_parser([module] if module else [], top=_FirstTry).parse_args(arguments)
    except _Unsettled:
        return build_parser().parse_args(arguments)


def _command_word(arguments: Sequence[str]) -> str | None:
    """The first argument that is neither an option nor a global option's value: the
    command, most likely (the parse that follows decides)."""
    value_next = False
    for word in arguments:
        if value_next:
            value_next = False
        elif word.startswith("-"):
            value_next = word in _VALUED_OPTIONS
        else:
            return word
    return None
