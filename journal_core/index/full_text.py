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
import itertools
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

import msgspec

from journal_core.filters import ACTIVE_ONLY, ALL, EventFilter, SearchFilter
from journal_core.fold import ACTIVE, Standing, TaskFold, decode_fold_event, fold_task
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


def search(view: IndexView, search: SearchFilter, count: int, skip: int) -> Found:
    """The page ``[skip, skip + count)`` of the matches of ``search`` that its ``keep``
    keeps (``ALL``, ``HOLDING``: not withdrawn, ``ACTIVE_ONLY``), each with its standing."""
    query, rejected, keep, events = search.query, search.rejected, search.keep, search.events
    task_id, types, since, until = events.task_id, events.types, events.since, events.until
    # Search is imported here, not by every reader of the index (a status line).
    from journal_core.search import COLUMNS, EXACT_WINDOW, WEIGHTS, plain_words, to_fts

    task = None
    if task_id is not None:
        row = view.conn.execute(sql.TASK_STATE, (task_id,)).fetchone()
        if row is None:
            return Found(hits=[], broad=False)
        task = row[0]
    standings = _Standings(view, query, keep)
    if not view.fts:
        found = _scan_search(view, query, rejected, events)
        return Found(hits=_page(view, standings, iter(found), count, skip), broad=False)
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
                hits = _newest_hits(view, rejected, arguments, newest)
                return Found(hits=_page(view, standings, hits, count, skip), broad=True)
            # Every match when some may be left out, else enough for the page.
            limit = BROAD_MATCHES if keep != ALL else max(EXACT_WINDOW, skip + count)
            ranked = view.conn.execute(statement, {**arguments, "limit": limit, "skip": 0})
            rows = ranked.fetchall()
            break
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", 0) != _SQLITE_ERROR:
                raise  # busy, I/O: the index's trouble, not the query's
            log.warning("the search engine refused %r (%s)", arguments["match"], error)
    else:
        return Found(hits=[], broad=False)
    return Found(hits=_page(view, standings, _ranked(view, query, rows), count, skip), broad=False)


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


def _newest_hits(
    view: IndexView, rejected: bool, arguments: dict[str, Any], first: list[Any]
) -> Iterator[Hit]:
    """The matches newest first: the ``first`` run already read, then runs read from the
    engine four times longer each, while the page, after those left out, needs more."""
    given = 0
    limit = len(first)
    rows = first
    while True:
        for offset, length in rows[given:]:
            yield Hit(score=0.0, offset=offset, event=view.line(offset, length), title="")
        if len(rows) < limit:
            return
        given, limit = len(rows), limit * 4
        rows = _newest(view, rejected, arguments, limit)


def _ranked(view: IndexView, query: Query, rows: Sequence[tuple[int, int, float]]) -> Iterator[Hit]:
    """The BM25-ordered ``rows`` as hits, exact matches first in the window ``rank``
    reorders; the lines past it are read only if the page reaches them."""
    from journal_core.search import EXACT_WINDOW, document, rank

    window = [
        Hit(score=-score, offset=offset, event=view.line(offset, length), title="")
        for offset, length, score in rows[:EXACT_WINDOW]
    ]
    yield from rank(query, window, lambda hit: document(hit.event))
    for offset, length, score in rows[EXACT_WINDOW:]:
        yield Hit(score=-score, offset=offset, event=view.line(offset, length), title="")


def _page(
    view: IndexView, standings: _Standings, hits: Iterator[Hit], count: int, skip: int
) -> list[Hit]:
    """Hits ``[skip, skip + count)`` of those ``standings`` keeps, titled, with their
    standing."""
    kept = (hit for hit in hits if standings.keeps(hit))
    return [
        msgspec.structs.replace(hit, title=_title(view, hit.offset), standing=standings.of(hit))
        for hit in itertools.islice(kept, skip, skip + count)
    ]


class _Standings:
    """Where the hits' events stand, as the index stores it from the fold, and which of
    them a search keeps."""

    def __init__(self, view: IndexView, query: Query, keep: str) -> None:
        self._view = view
        self._query = query
        self._keep = keep
        self._folds: dict[str, TaskFold] = {}

    def of(self, hit: Hit) -> Standing:
        if hit.standing is not None:
            return hit.standing
        return self._view.standings([hit.offset])[0]

    def keeps(self, hit: Hit) -> bool:
        from journal_core.search import matches

        if self._keep == ALL:
            return True
        standing = self.of(hit)
        if self._keep == ACTIVE_ONLY:
            return standing.standing == ACTIVE
        if not standing.holds:
            return False
        event = hit.event
        if event.get("type") != "decision":
            return True
        # A decision found by its rejected alternatives: kept while one of those that
        # match still stands (no later decision chose it), which the task's fold says.
        task_id = event["task_id"]
        fold = self._folds.get(task_id)
        if fold is None:
            events = self._view.task_events(task_id, decode_fold_event)
            fold = self._folds[task_id] = fold_task(task_id, events)
        overturned = set(fold.overturned_options(event["event_id"]))
        return any(
            option not in overturned
            for option, words in _rejected_alternatives(event)
            if matches(self._query, {"rejected": words})
        )


def _rejected_alternatives(event: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(option, its searchable words) of each alternative the decision did not choose."""
    meta = event.get("meta")
    alternatives = meta.get("alternatives") if isinstance(meta, dict) else None
    for item in alternatives if isinstance(alternatives, list) else ():
        if isinstance(item, dict) and item.get("chosen") is False:
            option = item.get("option")
            if isinstance(option, str):
                rationale = item.get("rationale")
                yield option, f"{option} {rationale if isinstance(rationale, str) else ''}"


def _title(view: IndexView, offset: int) -> str:
    row = view.conn.execute(sql.TASK_TITLES, (offset,)).fetchone()
    return "" if row is None else str(row[0])


def _scan_search(view: IndexView, query: Query, rejected: bool, events: EventFilter) -> list[Hit]:
    """Search without FTS5: every event that passes the filters, matched in Python, in
    the order of ``search``."""
    from journal_core.search import document, matches, rank, scan_score

    if not view.store._warned_scan:
        view.store._warned_scan = True
        log.warning(
            "full-text search is not available here (no FTS5 in SQLite, or the index "
            "is in memory); searching %s by scanning it",
            view.store.path,
        )
    found: list[Hit] = []
    for offset, length, _, _ in view.select(events, None, "newest", NO_END):
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
    return rank(query, found, lambda hit: document(hit.event))
