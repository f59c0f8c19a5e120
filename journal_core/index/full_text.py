"""Running a search on the index: FTS5 where SQLite has it, else a scan of the
events that pass the filters, matched in Python (SPEC §7's ranking is in
``journal_core.search``).

The cost follows the page: a query matching more than ``BROAD_MATCHES`` events is
not ranked (BM25 in FTS5 costs in proportion to the matches, and counts each
phrase's documents first), its hits come newest first, in the engine's own rowid
order, which stops at the page.
"""

from __future__ import annotations

import heapq
import logging
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from journal_core.index import sql
from journal_core.index.catch_up import TYPE_CODES
from journal_core.index.queries import IndexView, type_mask
from journal_core.index.results import Found, Hit
from journal_core.index.state import NO_END

if TYPE_CHECKING:
    from journal_core.search import Query

log = logging.getLogger(__name__)

_SQLITE_ERROR: Final = 1  # what a malformed MATCH expression gives
# Past this many matches a query is broad: ranking them all by BM25 would cost in
# proportion to the matches, not to the page, so its hits come newest first.
BROAD_MATCHES: Final = 1000


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
) -> Found:
    # Search is imported here, not by every reader of the index (a status line).
    from journal_core.search import COLUMNS, EXACT_WINDOW, WEIGHTS, plain_words, to_fts

    task = None
    if task_id is not None:
        row = view.conn.execute(sql.TASK_STATE, (task_id,)).fetchone()
        if row is None:
            return Found(hits=[], broad=False)
        task = row[0]
    if not view.fts:
        return _scan_search(view, query, rejected, task_id, types, since, until, count, skip)
    arguments: dict[str, Any] = {
        "task": task,
        "mask": type_mask(types),
        "since": since,
        "until": until,
        **{f"w_{name}": weight for name, weight in zip(COLUMNS, WEIGHTS, strict=True)},
    }
    if rejected:
        statement = sql.SEARCH_REJECTED
        arguments.update(rejection=TYPE_CODES["rejection"], decision=TYPE_CODES["decision"])
    else:
        statement = sql.SEARCH
    # Our expressions are well-formed by construction; should the engine still
    # refuse one, the words are searched plainly, and then nothing is found.
    for attempt in (query, plain_words(query)):
        arguments["match"] = to_fts(attempt)
        arguments["match_rejected"] = to_fts(attempt, "rejected")
        try:
            newest = _newest(view, rejected, arguments, BROAD_MATCHES + 1)
            if len(newest) > BROAD_MATCHES:
                if skip + count > len(newest):
                    newest = _newest(view, rejected, arguments, skip + count)
                return Found(hits=_hits(view, newest[skip : skip + count]), broad=True)
            arguments.update(limit=max(EXACT_WINDOW, skip + count), skip=0)
            ranked = view.conn.execute(statement, arguments).fetchall()
            break
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", 0) != _SQLITE_ERROR:
                raise  # busy, I/O: the index's trouble, not the query's
            log.warning("the search engine refused %r (%s)", arguments["match"], error)
    else:
        return Found(hits=[], broad=False)
    return Found(hits=_ranked(view, query, ranked, count, skip), broad=False)


def _newest(view: IndexView, rejected: bool, arguments: dict[str, Any], limit: int) -> list[Any]:
    """(offset, length) of the newest ``limit`` matches, newest first."""
    if not rejected:
        return view.conn.execute(sql.SEARCH_NEWEST, {**arguments, "limit": limit}).fetchall()
    # Rejections that match anywhere, and decisions whose rejected alternatives
    # match: two walks from the end, merged.
    runs = [
        view.conn.execute(
            sql.SEARCH_NEWEST,
            {**arguments, "match": match, "mask": 1 << TYPE_CODES[kind], "limit": limit},
        ).fetchall()
        for match, kind in (
            (arguments["match"], "rejection"),
            (arguments["match_rejected"], "decision"),
        )
    ]
    merged = heapq.merge(*runs, key=lambda row: row[0], reverse=True)
    return [row for _, row in zip(range(limit), merged, strict=False)]


def _hits(view: IndexView, rows: Sequence[tuple[int, int]]) -> list[Hit]:
    return [
        Hit(score=0.0, offset=offset, event=view.line(offset, length), title=_title(view, offset))
        for offset, length in rows
    ]


def _ranked(
    view: IndexView, query: Query, rows: Sequence[tuple[int, int, float]], count: int, skip: int
) -> list[Hit]:
    """The page ``[skip, skip + count)`` of BM25-ordered ``rows``, exact matches first."""
    from journal_core.search import document, rank

    hits = [
        Hit(score=-score, offset=offset, event=view.line(offset, length), title="")
        for offset, length, score in rows
    ]
    return _titled(view, rank(query, hits, lambda hit: document(hit.event))[skip : skip + count])


def _titled(view: IndexView, hits: Sequence[Hit]) -> list[Hit]:
    return [
        Hit(score=hit.score, offset=hit.offset, event=hit.event, title=_title(view, hit.offset))
        for hit in hits
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
) -> Found:
    """Search without FTS5: every event that passes the filters, matched in Python."""
    from journal_core.search import document, matches, rank, scan_score

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
    page = rank(query, found, lambda hit: document(hit.event))[skip : skip + count]
    return Found(hits=_titled(view, page), broad=False)
