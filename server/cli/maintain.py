"""``flush``, ``verify`` and ``path``: the journal file itself, not its events."""

import argparse
import sys

from server.cli.command import (
    EXIT_BAD_LINES,
    EXIT_OK,
    PROG,
    AddCommand,
    add_json,
    emit,
    open_journal,
    say_if_no_journal,
    settings_of,
)
from server.cli.render import ProgressBar, json_text, size_text, verify_lines, visible

VERIFY_PROGRESS_MIN_BYTES = 8 * 1024 * 1024
"""verify draws a progress bar (on a terminal) only for journals at least this big."""


def register(add: AddCommand) -> None:
    add_json(
        add(
            "flush",
            "Make everything written to the journal so far durable (fsync); print its path "
            "and size.",
            f"""\
  {PROG} --durability flush append finding "cheap, not yet synced" --task tj-8f3k2m9q1z
  {PROG} flush""",
            _flush,
        )
    )
    add_json(
        add(
            "verify",
            "Scan the whole journal and name every bad line (exit 1 if there is one).",
            f"""\
  {PROG} verify
  {PROG} verify --json | jq '.bad_lines'

Each bad line is printed as "line N (byte OFFSET): reason", then a summary. On a
terminal, a progress bar shows on stderr for journals over {VERIFY_PROGRESS_MIN_BYTES >> 20} MiB.
Readers skip bad lines; verify only reports them. It also compares the derived index
with what a scan of the journal gives, and says what differs (rebuild-state mends it).""",
            _verify,
        )
    )
    add_json(
        add(
            "path",
            "Print the journal file these options and this folder resolve to.",
            f"""\
  {PROG} path
  {PROG} --project-dir ~/src/myproject path""",
            _path,
        )
    )


def _flush(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if say_if_no_journal(args, settings):
        if args.json:
            # Nothing was written, so all of it is durable; and nothing is created.
            from journal_core import FlushResult

            emit(json_text(FlushResult(path=str(settings.journal_path), size_bytes=0)))
        return EXIT_OK
    with open_journal(settings) as journal:
        result = journal.flush()
    human = f"{visible(result.path)} {size_text(result.size_bytes)}"
    emit(json_text(result) if args.json else human)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from journal_core import VerifyReport

    settings = settings_of(args)
    if say_if_no_journal(args, settings):
        if args.json:
            path = str(settings.journal_path)
            emit(json_text(VerifyReport(path=path, size_bytes=0, lines=0, events=0, bad_lines=[])))
        return EXIT_OK
    progress = (
        ProgressBar(sys.stderr, "verifying", VERIFY_PROGRESS_MIN_BYTES)
        if sys.stderr.isatty()
        else None
    )
    try:
        with open_journal(settings) as journal:
            report = journal.verify(progress=progress)
    finally:
        if progress is not None:
            progress.close()
    emit(json_text(report) if args.json else "\n".join(verify_lines(report)))
    return EXIT_BAD_LINES if report.bad_lines or report.index_differences else EXIT_OK


def _path(args: argparse.Namespace) -> int:
    path = str(settings_of(args).journal_path)
    emit(json_text({"path": path}) if args.json else path)
    return EXIT_OK
