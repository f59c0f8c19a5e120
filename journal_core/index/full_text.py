"""Running a search on the index: FTS5 where SQLite has it, else a scan of the
events that pass the filters, matched in Python (SPEC §7's ranking is in
``journal_core.search``)."""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING, Any, Final

from journal_core.index import sql
from journal_core.index.catch_up import TYPE_CODES
from journal_core.index.queries import IndexView, type_mask
from journal_core.index.results import Hit
from journal_core.index.state import NO_END

if TYPE_CHECKING:
    from journal_core.search import Query

log = logging.getLogger(__name__)

_SQLITE_ERROR: Final = 1  # what a malformed MATCH expression gives


def search(
    view: IndexView,
    query: Query,
    rejected: bool,
    task_id: str | None,
    types: frozenset[str] | None,
    since: float | None,
    until: float | None,
    count: int,
    skip: int,
) -> list[Hit]:
    # Search is imported here, not by every reader of the index (a status line).
    from journal_core.search import COLUMNS, WEIGHTS, plain_words, to_fts

    task = None
    if task_id is not None:
        row = view.conn.execute(sql.TASK_STATE, (task_id,)).fetchone()
        if row is None:
            return []
        task = row[0]
    if not view.fts:
        return _scan_search(view, query, rejected, task_id, types, since, until, count, skip)
    arguments: dict[str, Any] = {
        "task": task,
        "mask": type_mask(types),
        "since": since,
        "until": until,
        "limit": count,
        "skip": skip,
        **{f"w_{name}": weight for name, weight in zip(COLUMNS, WEIGHTS, strict=True)},
    }
    if rejected:
        statement = sql.SEARCH_REJECTED
        arguments.update(rejection=TYPE_CODES["rejection"], decision=TYPE_CODES["decision"])
    else:
        statement = sql.SEARCH
    rows: list[tuple[int, int, float]] = []
    # Our expressions are well-formed by construction; should the engine still
    # refuse one, the words are searched plainly, and then nothing is found.
    for attempt in (query, plain_words(query)):
        arguments["match"] = to_fts(attempt)
        arguments["match_rejected"] = to_fts(attempt, "rejected")
        try:
            rows = view.conn.execute(statement, arguments).fetchall()
            break
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", 0) != _SQLITE_ERROR:
                raise  # busy, I/O: the index's trouble, not the query's
            log.warning("the search engine refused %r (%s)", arguments["match"], error)
    return [
        Hit(
            score=-score,
            offset=offset,
            event=view.line(offset, length),
            title=_title(view, offset),
        )
        for offset, length, score in rows
    ]


def _title(view: IndexView, offset: int) -> str:
    row = view.conn.execute(sql.TASK_TITLES, (offset,)).fetchone()
    return "" if row is None else str(row[0])


def _scan_search(
    view: IndexView,
    query: Query,
    rejected: bool,
    task_id: str | None,
    types: frozenset[str] | None,
    since: float | None,
    until: float | None,
    count: int,
    skip: int,
) -> list[Hit]:
    """Search without FTS5: every event that passes the filters, matched in Python."""
    from journal_core.search import document, matches, scan_score

    if not view.store._warned_scan:
        view.store._warned_scan = True
        log.warning(
            "full-text search is not available here (no FTS5 in SQLite, or the index "
            "is in memory); searching %s by scanning it",
            view.store.path,
        )
    found: list[Hit] = []
    for offset, length in view.select(task_id, types, since, until, None, "newest", NO_END):
        event = view.line(offset, length)
        columns = document(event)
        if rejected:
            kind = event.get("type")
            hit = (kind == "rejection" and matches(query, columns)) or (
                kind == "decision" and matches(query, columns, only="rejected")
            )
        else:
            hit = matches(query, columns)
        if hit:
            score = scan_score(query, columns)
            found.append(Hit(score=score, offset=offset, event=event, title=""))
    found.sort(key=lambda hit: (-hit.score, -hit.offset))
    return [
        Hit(score=hit.score, offset=hit.offset, event=hit.event, title=_title(view, hit.offset))
        for hit in found[skip : skip + count]
    ]
