"""Search across journals, in pages (SPEC §7): for a search checked already
(``journal_core.filters.SearchFilter``), each journal's index asked for its best hits,
the hits merged, given snippets and cut into a page with a cursor. The ranking and the
query language are in ``journal_core.search``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Final

import msgspec

from journal_core.cursor import (
    CURSOR_VERSION,
    CursorState,
    decode_cursor,
    encode_cursor,
    filters_digest,
)
from journal_core.filters import SearchFilter
from journal_core.fold import Standing
from journal_core.index.results import PAGE_BYTES, TRUNCATED_NOTE, Hit
from journal_core.index.store import JournalStore
from journal_core.location import data_dir
from journal_core.search import SearchHit, SearchPage, document, snippet

# The largest position a search cursor may hold (how many hits were given so far).
_MAX_SKIP: Final = 1 << 31


def search_page(
    path: Path,
    index: JournalStore,
    reading: Callable[[], AbstractContextManager[None]],
    search: SearchFilter,
) -> SearchPage:
    """A page of the hits ``search`` asks for in the journal at ``path`` (through
    ``index``), or in every journal of the data folder, best first; ``reading`` reports a
    file that cannot be read as the library's error."""
    parsed, events, limit, cursor = search.query, search.events, search.limit, search.cursor
    all_projects, task_id = search.all_projects, events.task_id
    # The parsed query, not the text: it holds no lone surrogates, which the digest's
    # encoder refuses, and texts that parse alike search alike.
    digest = filters_digest(
        msgspec.to_builtins(parsed),
        search.rejected,
        search.keep,
        None if task_id is None else task_id.encode("utf-8", "surrogatepass"),
        sorted(events.types or ()),
        events.since,
        events.until,
        all_projects,
    )
    identity = index.identity()
    skip = 0
    if cursor is not None:
        # The position of a search cursor is how many hits were given already.
        skip = decode_cursor(
            cursor,
            kind="search",
            order="best",
            filters=digest,
            identity=identity,
            size=_MAX_SKIP,
        )
    stores = [(path, index)]
    if all_projects:
        stores += [(path, JournalStore(path)) for path in _other_journals(path)]
    found: list[tuple[Hit, Path]] = []
    broad = False
    try:
        with reading():
            for path, store in stores:
                result = store.search_hits(
                    search,
                    count=limit + 1 if not all_projects else skip + limit + 1,
                    skip=skip if not all_projects else 0,
                )
                found += [(hit, path) for hit in result.hits]
                broad = broad or result.broad
    finally:
        for _, store in stores[1:]:
            store.close()
    if all_projects:
        found.sort(key=lambda pair: (-pair[0].score, -pair[0].offset))
        found = found[skip:]
    page: list[SearchHit] = []
    used = 0
    for hit, path in found[:limit]:
        standing = hit.standing or Standing()
        shown = SearchHit(
            event_id=hit.event["event_id"],
            type=hit.event["type"],
            task_id=hit.event["task_id"],
            timestamp=hit.event["timestamp"],
            title=hit.title,
            snippet=snippet(document(hit.event), parsed),
            score=round(hit.score, 6),
            standing=standing.standing,
            standing_by=standing.standing_by,
            correction=standing.correction,
            event=hit.event if search.full else None,
            journal=str(path) if all_projects else None,
        )
        size = len(msgspec.json.encode(shown))
        if page and used + size > PAGE_BYTES:
            break
        used += size
        page.append(shown)
    truncated = len(page) < len(found[:limit])
    next_cursor = None
    if len(page) < len(found) and identity is not None:
        next_cursor = encode_cursor(
            CursorState(CURSOR_VERSION, "search", "best", skip + len(page), digest, *identity)
        )
    return SearchPage(
        hits=page,
        order="newest" if broad else "best",
        next_cursor=next_cursor,
        truncated=truncated,
        note=TRUNCATED_NOTE if truncated else None,
    )


def _other_journals(path: Path) -> list[Path]:
    """The journals in the data folder's ``events/``, other than ``path``."""
    folder = data_dir(os.environ) / "events"
    try:
        found = sorted(folder.glob("*.jsonl"))
    except OSError:
        return []
    return [other for other in found if other.resolve() != path.resolve() and other.is_file()]
