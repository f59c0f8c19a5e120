"""``search``, ``rejected`` and ``rebuild-state``: finding earlier work, and the index it uses."""

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from journal_core import EVENT_TYPES, SearchFilter, SearchHit, SearchPage, format_timestamp
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
from server.cli.render import count_text, event_lines, json_text, short_id, size_text
from server.cli.when import TIME_HELP, time_argument

# How much of a correction's text a search line shows.
_CORRECTION_CHARS = 80
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
    search.add_argument(
        "--current-only",
        action="store_true",
        help="only events that still stand: no superseded, corrected or answered ones",
    )
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
  {PROG} rejected "retry loop" --since 2w

Only what still stands is listed: a rejection superseded, corrected away, or
overturned by a later decision that chose that option is left out (--all shows
it, marked).""",
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
    rejected.add_argument(
        "--all",
        dest="withdrawn",
        action="store_true",
        help="also rejections withdrawn since (superseded, corrected away, or overturned "
        "by a later decision that chose that option)",
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
    parser.add_argument(
        "--full", action="store_true", help="with --json, each hit's whole event too"
    )
    add_json(parser)


def _search(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if not args.all_projects and say_if_no_journal(args, settings):
        return _no_hits(args)
    with open_journal(settings) as journal:
        task_id = None if args.task is None else resolve_task(journal, args.task)
        search = SearchFilter.of(
            args.query,
            current_only=args.current_only,
            task_id=task_id,
            types=args.types,
            **_page_arguments(args),
        )
        page = journal.find(search)
    return _show(page, args)


def _page_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """What ``search`` and ``rejected`` both take (see ``_add_common``)."""
    return {
        "all_projects": args.all_projects,
        "limit": args.limit,
        "cursor": args.cursor,
        "full": args.full,
    }


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
        search = SearchFilter.of(
            args.topic,
            rejected=True,
            current_only=not args.withdrawn,
            since=args.since,
            **_page_arguments(args),
        )
        page = journal.find(search)
    return _show(page, args)


def _no_hits(args: argparse.Namespace) -> int:
    """With no journal yet: an empty page for a script, nothing for a person."""
    if args.json:
        emit(json_text(SearchPage(hits=[], order="best", next_cursor=None)))
    return EXIT_OK


def _show(page: SearchPage, args: argparse.Namespace) -> int:
    if args.json:
        emit(json_text(page))
        return EXIT_OK
    # The event lines of ``read``, with the snippet in place of the whole text.
    shown = [
        {
            "event_id": hit.event_id,
            "timestamp": hit.timestamp,
            "task_id": hit.task_id,
            "type": hit.type,
            "text": _standing_mark(hit) + hit.snippet,
        }
        for hit in page.hits
    ]
    for hit, line in zip(page.hits, event_lines(shown, marked=True), strict=True):
        emit(line if hit.journal is None else f"{Path(hit.journal).stem}  {line}")
    note_rest(page.note, page.next_cursor, "hits", has_all=False)
    return EXIT_OK


def _standing_mark(hit: SearchHit) -> str:
    """``[superseded by 01M96P6M]``, ``[corrected: ...]``, ``[answered by ...]``, before
    the snippet, so that no one acts on a withdrawn event by mistake."""
    if hit.standing == "corrected" and hit.correction is not None:
        return f"[corrected: {_one_line(hit.correction, _CORRECTION_CHARS)}] "
    if hit.standing != "active" and hit.standing_by is not None:
        return f"[{hit.standing} by {short_id(hit.standing_by)}] "
    return "" if hit.standing == "active" else f"[{hit.standing}] "


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


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
