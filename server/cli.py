"""The ``task-journal`` command line: the journal of SPEC §5 for people, scripts and hooks.

Each command parses its flags, resolves the journal the way the MCP server does
(``Settings.from_env``), makes one call into journal_core and prints the result. A
``JournalError`` (or an OS error on the journal file) becomes one line on stderr and an
exit status; nothing else is translated.

This module must stay cheap to import: a hook runs ``task-journal append`` on every turn,
and importing ``mcp`` alone costs most of a second. Only ``serve`` loads it, through the
server's ``main``.
"""

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from journal_core import (
    AUTHORS,
    DURABILITY_MODES,
    EVENT_TYPES,
    EVIDENCE_STRENGTHS,
    SOURCES,
    STATUSES,
    InvalidEvent,
    Journal,
    JournalBusy,
    JournalError,
    JournalUnavailable,
    JournalWriteFailed,
    Settings,
    new_event,
)
from server import VersionAction
from server import main as serve_main
from server.cli_output import (
    ProgressBar,
    event_lines,
    json_text,
    size_text,
    task_lines,
    verify_lines,
)

__all__ = [
    "EXIT_BAD_LINES",
    "EXIT_BROKEN_PIPE",
    "EXIT_INTERRUPTED",
    "EXIT_JOURNAL",
    "EXIT_OK",
    "EXIT_REFUSED",
    "VERIFY_PROGRESS_MIN_BYTES",
    "build_parser",
    "main",
]

PROG = "task-journal"
EXIT_OK = 0
EXIT_BAD_LINES = 1
EXIT_REFUSED = 2
EXIT_JOURNAL = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as for any program whose reader went away
VERIFY_PROGRESS_MIN_BYTES = 8 * 1024 * 1024
"""verify draws a progress bar (on a terminal) only for journals at least this big."""

# Errors of the journal itself (as opposed to the request): exit 3. Any other
# JournalError refused the input or the configuration: exit 2, like a usage error.
_JOURNAL_FAILURES = (JournalBusy, JournalUnavailable, JournalWriteFailed)

# What `serve` hands on to task-journal-mcp, which resolves and checks them itself.
_SERVE_OPTIONS = (
    "journal",
    "project_dir",
    "durability",
    "transport",
    "host",
    "port",
    "auth_token",
    "log_level",
)

_Command = Callable[[argparse.Namespace], int]

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
  130, 141  interrupted (Ctrl-C); stdout closed early (as by `| head`)
serve exits as task-journal-mcp does, in the same classes: 3 also when it cannot
serve (the HTTP port is in use).

Errors are one line on stderr: "{PROG}: error: <message>". stdout carries results only
(with --json one JSON document), so it is empty when a command fails.

examples:
  {PROG} append open "Fix the flaky upload test" --title "Flaky upload test"
  {PROG} append finding "Fails only when run after test_auth" --task tj-8f3k2m9q1z
  {PROG} read --task tj-8f3k2m9q1z --oldest
  {PROG} tasks --status any --query upload --json
  {PROG} verify
"""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_REFUSED, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


def _add_journal_options(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--journal", metavar="PATH", default=default, help="the journal file (overrides all else)"
    )
    parser.add_argument(
        "--project-dir",
        metavar="DIR",
        default=default,
        help="find the per-project journal from DIR instead of the working directory",
    )
    parser.add_argument(
        "--durability",
        metavar="MODE",
        default=default,
        help=f"{' or '.join(DURABILITY_MODES)} (default: always: fsync before answering)",
    )


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: global journal options, then one subcommand."""
    parser = _Parser(
        prog=PROG,
        description="Append to and read the durable task journal that agents, people "
        "and hooks share.",
        epilog=_MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=VersionAction)
    _add_journal_options(parser, default=None)
    # The same options after the subcommand; SUPPRESS keeps an absent one from
    # overwriting a value given before the subcommand.
    journal_options = _Parser(add_help=False)
    _add_journal_options(journal_options, default=argparse.SUPPRESS)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    def command(name: str, summary: str, epilog: str, run: _Command, **kwargs: Any) -> _Parser:
        sub: _Parser = commands.add_parser(
            name,
            help=summary,
            description=summary,
            epilog="examples:\n" + epilog,
            parents=[journal_options],
            formatter_class=argparse.RawDescriptionHelpFormatter,
            **kwargs,
        )
        sub.set_defaults(run=run)
        return sub

    _add_append_options(
        command(
            "append",
            "Append one event to the journal.",
            f"""\
  {PROG} append open "Port the importer to msgspec" --title "msgspec importer"
  {PROG} append decision "Keep the sidecar lock" --task tj-8f3k2m9q1z --ref-file writer.py
  git log -1 --format=%B | {PROG} event finding - --task tj-8f3k2m9q1z --author hook
  {PROG} append close "Merged" --task tj-8f3k2m9q1z --meta '{{"outcome_tag": "done"}}'

Prints "<event id> <task id>", or the whole result with --json. Repeating an append
with the same --idempotency-key writes nothing and prints the first event's ids.
"event" is another name for "append".""",
            _append,
            aliases=["event"],
        )
    )

    read = command(
        "read",
        "Read events, newest first: one line each (timestamp, task, type, text).",
        f"""\
  {PROG} read --task tj-8f3k2m9q1z --oldest
  {PROG} read --type decision --type rejection --since 2026-11-01T00:00:00Z
  {PROG} read --limit 500 --json | jq -r '.events[].text'

When there is more, the next page's --cursor is printed on stderr (next_cursor with --json).""",
        _read,
    )
    read.add_argument("--task", metavar="TASK_ID", help="only this task's events")
    read.add_argument(
        "--type",
        dest="types",
        metavar="TYPE",
        action="append",
        help="only events of this type (repeatable)",
    )
    read.add_argument("--since", metavar="TIME", help="from this RFC 3339 time (inclusive)")
    read.add_argument("--until", metavar="TIME", help="before this RFC 3339 time (exclusive)")
    read.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    read.add_argument("--cursor", help="go on from where a previous page stopped")
    read.add_argument(
        "--oldest",
        dest="order",
        action="store_const",
        const="oldest",
        default="newest",
        help="oldest first",
    )
    _add_json(read)

    tasks = command(
        "tasks",
        "List tasks: id, status, event count, last event time, title.",
        f"""\
  {PROG} tasks
  {PROG} tasks --status any --query importer
  {PROG} tasks --json | jq -r '.tasks[].task_id'""",
        _tasks,
    )
    tasks.add_argument("--status", default="open", help="open (default), closed or any")
    tasks.add_argument("--query", help="only tasks whose title holds this (any case)")
    tasks.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    tasks.add_argument("--cursor", help="go on from where a previous page stopped")
    _add_json(tasks)

    flush = command(
        "flush",
        "Make everything written to the journal so far durable (fsync); print its path and size.",
        f"""\
  {PROG} --durability flush append finding "cheap, not yet synced" --task tj-8f3k2m9q1z
  {PROG} flush""",
        _flush,
    )
    _add_json(flush)

    verify = command(
        "verify",
        "Scan the whole journal and name every bad line (exit 1 if there is one).",
        f"""\
  {PROG} verify
  {PROG} verify --json | jq '.bad_lines'

Each bad line is printed as "line N (byte OFFSET): reason", then a summary. On a
terminal, a progress bar shows on stderr for journals over {VERIFY_PROGRESS_MIN_BYTES >> 20} MiB.
Readers skip bad lines; verify only reports them.""",
        _verify,
    )
    _add_json(verify)

    path = command(
        "path",
        "Print the journal file these options and this folder resolve to.",
        f"""\
  {PROG} path
  {PROG} --project-dir ~/src/myproject path""",
        _path,
    )
    _add_json(path)

    serve = command(
        "serve",
        "Run the MCP server on this journal (the same as task-journal-mcp).",
        f"""\
  {PROG} serve
  {PROG} --journal /srv/journal.jsonl serve --transport streamable-http --port 8765""",
        _serve,
    )
    serve.add_argument("--transport", help="stdio (default) or streamable-http")
    serve.add_argument("--host", help="address to bind for streamable-http (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port for streamable-http")
    serve.add_argument(
        "--auth-token",
        metavar="TOKEN",
        help="bearer token HTTP clients must send (default $TASK_JOURNAL_TOKEN)",
    )
    serve.add_argument("--log-level", help="DEBUG, INFO, WARNING (default) or ERROR")
    return parser


def _add_append_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("type", metavar="TYPE", help=f"one of: {' '.join(EVENT_TYPES)}")
    parser.add_argument("text", metavar="TEXT", help='what happened; "-" reads it from stdin')
    parser.add_argument(
        "--task", metavar="TASK_ID", help="the task (leave out with TYPE open for a new one)"
    )
    parser.add_argument("--title", help="the task's title (with open)")
    parser.add_argument("--author", default="agent", help=f"{', '.join(AUTHORS)} (default: agent)")
    parser.add_argument("--source", default="cli", help=f"{', '.join(SOURCES)} (default: cli)")
    for kind, what in (("file", "a file"), ("commit", "a commit"), ("event", "an event id")):
        parser.add_argument(
            f"--ref-{kind}",
            dest=f"ref_{kind}s",
            metavar=kind.upper(),
            action="append",
            help=f"{what} this event refers to (repeatable)",
        )
    parser.add_argument("--meta", metavar="JSON", help="a JSON object of extra fields")
    parser.add_argument("--corrects", metavar="EVENT_ID", help="the event this one corrects")
    parser.add_argument("--supersedes", metavar="EVENT_ID", help="the event this one replaces")
    parser.add_argument("--confidence", metavar="0..1", type=float, help="0.0 to 1.0")
    parser.add_argument(
        "--evidence-strength", metavar="STRENGTH", help=", ".join(EVIDENCE_STRENGTHS)
    )
    parser.add_argument(
        "--status", default="confirmed", help=f"{', '.join(STATUSES)} (default: confirmed)"
    )
    parser.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="appending again with this key writes nothing and returns the first event",
    )
    _add_json(parser)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        journal=args.journal, project_dir=args.project_dir, durability=args.durability
    )


@contextmanager
def _journal(settings: Settings, *, create: bool = False) -> Iterator[Journal]:
    """The journal for one command, closed after it.

    Only writing commands create the file: reading a journal that does not exist yet
    finds nothing, and verify reports it missing.
    """
    journal = Journal(settings)
    try:
        if create:
            journal.open()
        yield journal
    finally:
        journal.close()


def _print(text: str) -> None:
    sys.stdout.write(text + "\n")


def _note(text: str) -> None:
    sys.stderr.write(f"{PROG}: {text}\n")


def _note_rest(note: str | None, next_cursor: str | None, items: str) -> None:
    """Say on stderr why a page stopped early and how to go on, keeping stdout to the items."""
    if note:
        _note(note)
    if next_cursor:
        _note(f"more {items}: add --cursor {next_cursor}")


def _event_text(text: str) -> str:
    if text != "-":
        return text
    try:
        # A trailing newline is how echo and heredocs end text, not part of it.
        return sys.stdin.buffer.read().decode("utf-8").rstrip("\n")
    except UnicodeDecodeError as err:
        raise InvalidEvent("text", f"stdin is not valid UTF-8 ({err.reason})") from err


def _meta(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidEvent("meta", f"--meta is not valid JSON: {err}") from err
    if not isinstance(meta, dict):
        raise InvalidEvent("meta", 'must be a JSON object, like \'{"reason": "..."}\'')
    return meta


def _append(args: argparse.Namespace) -> int:
    settings = _settings(args)
    refs = {
        key: values
        for key, values in (
            ("files", args.ref_files),
            ("commits", args.ref_commits),
            ("events", args.ref_events),
        )
        if values
    }
    event = new_event(
        type=args.type,
        text=_event_text(args.text),
        task_id=args.task,
        title=args.title,
        author=args.author,
        source=args.source,
        refs=refs or None,
        meta=_meta(args.meta),
        corrects=args.corrects,
        supersedes=args.supersedes,
        confidence=args.confidence,
        evidence_strength=args.evidence_strength,
        status=args.status,
        idempotency_key=args.idempotency_key,
        limits=settings.limits,
    )
    with _journal(settings, create=True) as journal:
        result = journal.append(event)
    if args.json:
        _print(json_text(result))
    else:
        _print(f"{result.event_id} {result.task_id}")
        if result.duplicate:
            _note(
                "idempotency key already used: nothing was written; these are the first event's ids"
            )
    return EXIT_OK


def _read(args: argparse.Namespace) -> int:
    with _journal(_settings(args)) as journal:
        page = journal.read_events(
            task_id=args.task,
            types=args.types,
            since=args.since,
            until=args.until,
            limit=args.limit,
            cursor=args.cursor,
            order=args.order,
        )
    if args.json:
        _print(json_text(page))
        return EXIT_OK
    for line in event_lines(page.events):
        _print(line)
    _note_rest(page.note, page.next_cursor, "events")
    return EXIT_OK


def _tasks(args: argparse.Namespace) -> int:
    with _journal(_settings(args)) as journal:
        page = journal.list_tasks(
            status=args.status, query=args.query, limit=args.limit, cursor=args.cursor
        )
    if args.json:
        _print(json_text(page))
        return EXIT_OK
    for line in task_lines(page.tasks):
        _print(line)
    _note_rest(page.note, page.next_cursor, "tasks")
    return EXIT_OK


def _flush(args: argparse.Namespace) -> int:
    with _journal(_settings(args), create=True) as journal:
        result = journal.flush()
    _print(json_text(result) if args.json else f"{result.path} {size_text(result.size_bytes)}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    progress = (
        ProgressBar(sys.stderr, "verifying", VERIFY_PROGRESS_MIN_BYTES)
        if sys.stderr.isatty()
        else None
    )
    try:
        with _journal(_settings(args)) as journal:
            report = journal.verify(progress=progress)
    finally:
        if progress is not None:
            progress.close()
    _print(json_text(report) if args.json else "\n".join(verify_lines(report)))
    return EXIT_BAD_LINES if report.bad_lines else EXIT_OK


def _path(args: argparse.Namespace) -> int:
    path = str(_settings(args).journal_path)
    _print(json_text({"path": path}) if args.json else path)
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    # serve_main imports mcp only now, when it is about to serve.
    argv = [
        f"--{name.replace('_', '-')}={value}"
        for name in _SERVE_OPTIONS
        if (value := getattr(args, name)) is not None
    ]
    try:
        return serve_main(argv)
    except SystemExit as exit_:
        # The server's own parser refusing a value (--log-level LOUD): its status, not an
        # exception out of main().
        return exit_.code if isinstance(exit_.code, int) else EXIT_REFUSED


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status (see ``task-journal --help``)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        # --help, --version and usage errors: argparse has printed what it had to.
        return exit_.code if isinstance(exit_.code, int) else EXIT_REFUSED
    run: _Command = args.run
    try:
        status = run(args)
        sys.stdout.flush()  # here, so that a closed pipe is seen below and not at exit
    except JournalError as err:
        _note(f"error: {err}")
        return EXIT_JOURNAL if isinstance(err, _JOURNAL_FAILURES) else EXIT_REFUSED
    except BrokenPipeError:
        # The reader of stdout went away (`task-journal read | head -1`): stop quietly,
        # with the status of a program killed by SIGPIPE, and keep Python from failing
        # again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return status
