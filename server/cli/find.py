"""``search``, ``rejected`` and ``rebuild-state``: finding earlier work, and the index it uses."""

import argparse
import datetime as dt
from pathlib import Path

from journal_core import EVENT_TYPES, SearchPage, format_timestamp
from server.cli.command import (
    EXIT_OK,
    PROG,
    AddCommand,
    add_json,
    emit,
    note_rest,
    open_journal,
    say_if_no_journal,
    settings_of,
)
from server.cli.ids import resolve_task
from server.cli.render import count_text, event_lines, json_text, size_text
from server.cli.when import TIME_HELP, time_argument

# Past this, a count of days reaches before year 1.
_MAX_DAYS = 700_000


def register(add: AddCommand) -> None:
    search = add(
        "search",
        "Find events by their words, best match first: one line each, matches in bold.",
        f"""\
  {PROG} search "token refresh"
  {PROG} search 'refresh.rs -flaky' --type decision --type rejection
  {PROG} search '"sidecar lock" OR flock' --all-projects --json

Words must all match; "a phrase", prefix*, a OR b and -word (exclude) work as
expected. Text, task titles, goals and refs (files, commits) are searched; paths
and identifiers match by their parts (src/auth, test_token_refresh).""",
        _search,
    )
    search.add_argument("query", metavar="QUERY", help="what to look for")
    _add_common(search)
    search.add_argument("--task", metavar="TASK_ID", help="only this task's events")
    search.add_argument(
        "--type",
        dest="types",
        metavar="TYPE",
        action="append",
        help=f"only events of this type (repeatable): {' '.join(EVENT_TYPES)}",
    )

    rejected = add(
        "rejected",
        "What was already tried and turned down about a topic: rejections, and the "
        "alternatives decisions passed over.",
        f"""\
  {PROG} rejected "retry loop"
  {PROG} rejected cache --since 30 --all-projects
  {PROG} rejected "retry loop" --since 2w""",
        _rejected,
    )
    rejected.add_argument("topic", metavar="TOPIC", help="what to look for")
    _add_common(rejected)
    rejected.add_argument(
        "--since",
        metavar="DAYS",
        type=_days_or_time,
        help=f"only events of the last DAYS days (a number, as the Rust tool takes it); "
        f"or a TIME as read --since takes it: {TIME_HELP}",
    )

    add_json(
        add(
            "rebuild-state",
            "Build the journal's derived index (search, tasks, keys) again from the journal.",
            f"""\
  {PROG} rebuild-state

The index (<journal>.index.sqlite) is rebuilt by itself whenever it does not match
the journal; this forces it, after a restore from backup, say. Nothing in the
journal changes.""",
            _rebuild,
        )
    )


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--all-projects",
        action="store_true",
        help="search every project's journal in the data folder, not just this one",
    )
    parser.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")
    parser.add_argument("--cursor", help="go on from where a previous page stopped")
    add_json(parser)


def _search(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if not args.all_projects and say_if_no_journal(args, settings):
        return _no_hits(args)
    with open_journal(settings) as journal:
        page = journal.search(
            args.query,
            task_id=None if args.task is None else resolve_task(journal, args.task),
            types=args.types,
            all_projects=args.all_projects,
            limit=args.limit,
            cursor=args.cursor,
        )
    return _show(page, args)


def _days_or_time(text: str) -> str:
    """argparse ``type`` for rejected's ``--since``: a bare number is days back from now
    (the Rust tool's form), anything else a time as every other ``--since`` takes it."""
    try:
        days = float(text)
    except ValueError:
        return time_argument(text)
    if not 0 < days < _MAX_DAYS:
        raise argparse.ArgumentTypeError(f"must be a positive number of days, got {text}")
    return format_timestamp(dt.datetime.now(dt.UTC) - dt.timedelta(days=days))


def _rejected(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if not args.all_projects and say_if_no_journal(args, settings):
        return _no_hits(args)
    with open_journal(settings) as journal:
        page = journal.rejected(
            args.topic,
            since=args.since,
            all_projects=args.all_projects,
            limit=args.limit,
            cursor=args.cursor,
        )
    return _show(page, args)


def _no_hits(args: argparse.Namespace) -> int:
    """With no journal yet: an empty page for a script, nothing for a person."""
    if args.json:
        emit(json_text(SearchPage(hits=[], next_cursor=None)))
    return EXIT_OK


def _show(page: SearchPage, args: argparse.Namespace) -> int:
    if args.json:
        emit(json_text(page))
        return EXIT_OK
    # The event lines of ``read``, with the snippet in place of the whole text.
    shown = [{**hit.event, "text": hit.snippet} for hit in page.hits]
    for hit, line in zip(page.hits, event_lines(shown, marked=True), strict=True):
        emit(line if hit.journal is None else f"{Path(hit.journal).stem}  {line}")
    note_rest(page.note, page.next_cursor, "hits", has_all=False)
    return EXIT_OK


def _rebuild(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if say_if_no_journal(args, settings):
        return EXIT_OK
    with open_journal(settings) as journal:
        journal.rebuild_index()
        status = journal.index_status()
    if args.json:
        emit(json_text(status))
    else:
        state = "" if status.ok else f" (not usable, kept in memory: {status.problem})"
        emit(
            f"{status.path}: {count_text(status.events_indexed, 'event')} from "
            f"{size_text(status.bytes_indexed)} of the journal{state}"
        )
    return EXIT_OK
