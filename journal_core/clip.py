"""Cutting what is too large for one tool result down to size, visibly.

A page is sized to stay under about 20,000 tokens (``PAGE_BYTES`` of JSON), but
it holds at least one event, and one event can be larger than that: our own lines
go up to ``Limits.max_line_bytes``, and a line from another writer (the Rust
tool) may be of any size. Such an event is given back cut to fit: small fields
whole, the largest strings shortened and ended by a marker that says how much is
missing, long lists and objects without their tail and with one marker item
instead, and ``"cut": true`` on the event. Nothing is lost: the command line
reads events whole (``task-journal read --json``).

Sizes are those of the JSON that a front end sends, as msgspec encodes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

import msgspec

from journal_core.index.results import PAGE_BYTES, EventPage, TaskPage, TaskSummary
from journal_core.search import SearchPage

WHOLE: Final = "task-journal read --json shows it whole"
CUT_NOTE: Final = (
    "An event or task too large for one answer was cut where marked '[cut: ...]' "
    '(events cut carry "cut": true); `task-journal read --json` shows them whole.'
)
# Below this a value is left out rather than cut: its marker would not fit.
_MIN_ROOM: Final = 96
_OBJECT_MARKER_KEY: Final = "…"

_encoder: Final = msgspec.json.Encoder()
_Page = TypeVar("_Page", EventPage, TaskPage, SearchPage)


def size_of(value: Any) -> int:
    """The bytes of ``value``'s JSON."""
    return len(_encoder.encode(value))


def clip_event(event: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """``event`` itself if its JSON fits in ``max_bytes``, else a copy cut to fit,
    marked ``"cut": true``. ``max_bytes`` should leave room for the markers (a few
    hundred bytes)."""
    if size_of(event) <= max_bytes:
        return event
    flag_bytes = size_of({"cut": True})  # what the flag adds to the object, about
    fitted = _fit(event, max_bytes - flag_bytes)
    result = dict(fitted) if isinstance(fitted, dict) else {}
    result["cut"] = True
    return result


def clip_page(page: _Page, max_bytes: int = PAGE_BYTES) -> _Page:
    """``page`` itself if its JSON fits in ``max_bytes``, else the page with the
    largest events (or tasks, or the events of search hits) cut so that it does, and
    ``CUT_NOTE`` in its note.

    Use it where a result must stay small (the MCP tools); a page the index sizes
    is over only when one item alone is (or when a line's numbers encode longer
    than they were written, ``1e5`` as ``100000.0``).
    """
    if size_of(page) <= max_bytes:
        return page
    note = CUT_NOTE if page.note is None else f"{page.note} {CUT_NOTE}"
    if isinstance(page, EventPage):
        frame = size_of(msgspec.structs.replace(page, events=[], note=note))
        events = _share(page.events, max_bytes - frame, clip_event)
        return msgspec.structs.replace(page, events=events, note=note)
    if isinstance(page, SearchPage):
        # A hit's title and snippet are bounded; only its event (``full``) can be large.
        frame = size_of(msgspec.structs.replace(page, note=note)) - sum(
            size_of(hit.event or {}) for hit in page.hits
        )
        events = _share([hit.event or {} for hit in page.hits], max_bytes - frame, clip_event)
        hits = [
            msgspec.structs.replace(hit, event=event if hit.event is not None else None)
            for hit, event in zip(page.hits, events, strict=True)
        ]
        return msgspec.structs.replace(page, hits=hits, note=note)
    frame = size_of(msgspec.structs.replace(page, tasks=[], note=note))
    summaries = _share([msgspec.to_builtins(task) for task in page.tasks], max_bytes - frame, _fit)
    # The smallest fields (the count, the status) always keep their room; only a
    # long string can be left out, and then its marker stands in for it.
    tasks = [
        TaskSummary(**{name: summary.get(name, "…") for name in TaskSummary.__struct_fields__})
        for summary in summaries
    ]
    return msgspec.structs.replace(page, tasks=tasks, note=note)


def _share(items: list[Any], room: int, fit: Callable[[Any, int], Any]) -> list[Any]:
    """Each of ``items`` fitted into its share of ``room`` (their JSON list, commas
    included): the smaller ones whole, the larger ones cut to equal shares."""
    sizes = [size_of(item) for item in items]
    room -= len(items) + 1  # brackets and commas
    shares = [0] * len(items)
    for left, index in enumerate(sorted(range(len(items)), key=sizes.__getitem__)):
        shares[index] = min(sizes[index], room // (len(items) - left))
        room -= shares[index]
    return [
        item if size <= share else fit(item, share)
        for item, size, share in zip(items, sizes, shares, strict=True)
    ]


def _fit(value: Any, budget: int) -> Any:
    """``value`` if its JSON fits in ``budget`` bytes, else a stand-in that does."""
    size = size_of(value)
    if size <= budget:
        return value
    if isinstance(value, str):
        return _cut_string(value, size, budget)
    if isinstance(value, list):
        return _fit_list(value, budget)
    if isinstance(value, dict):
        return _fit_object(value, budget)
    return f"… [cut: a {size}-byte value; {WHOLE}]"  # a number thousands of digits long


def _cut_string(text: str, size: int, budget: int) -> str:
    # The marker is sized for the most bytes it could report, so the cut text fits.
    target = budget - len(f"… [cut: {size} bytes more; {WHOLE}]".encode())
    low, high = 0, max(0, min(len(text), target))
    while low < high:  # the longest prefix whose JSON fits in target
        middle = (low + high + 1) // 2
        if size_of(text[:middle]) <= target:
            low = middle
        else:
            high = middle - 1
    head = text[:low]
    return f"{head}… [cut: {size - size_of(head)} bytes more; {WHOLE}]"


def _fit_list(items: list[Any], budget: int) -> list[Any]:
    marker_bytes = size_of(f"… [cut: {len(items)} more items; {WHOLE}]") + 1
    kept: list[Any] = []
    used = 2  # the brackets
    for item in items:
        room = budget - used - marker_bytes - 1
        if room < _MIN_ROOM:
            break
        fitted = _fit(item, room)
        kept.append(fitted)
        used += size_of(fitted) + 1
        if fitted is not item:
            break  # it was cut: what follows would read as if it came whole
    if len(kept) < len(items):
        kept.append(f"… [cut: {len(items) - len(kept)} more items; {WHOLE}]")
    return kept


def _fit_object(fields: dict[str, Any], budget: int) -> dict[str, Any]:
    """The fields shared out as in ``_share``, keys kept whole; a field whose share
    is too small for even a marker is left out, and one marker field counts them."""
    marker_bytes = size_of({_OBJECT_MARKER_KEY: f"[cut: {len(fields)} more fields; {WHOLE}]"})
    room = budget - marker_bytes
    sizes = {key: size_of(key) + 1 + size_of(value) + 1 for key, value in fields.items()}
    shares: dict[str, int] = {}
    for left, key in enumerate(sorted(fields, key=sizes.__getitem__)):
        share = room // (len(fields) - left)
        if share < sizes[key] and share - size_of(key) - 2 < _MIN_ROOM:
            # Too many fields for each to have a say: keep whole the ones that
            # still fit, smallest first, and count the others out.
            share = sizes[key] if sizes[key] <= room else 0
        shares[key] = min(sizes[key], share)
        room -= shares[key]
    kept: dict[str, Any] = {}
    for key, value in fields.items():
        room = shares[key] - size_of(key) - 2
        if sizes[key] <= shares[key]:
            kept[key] = value
        elif room >= _MIN_ROOM:
            kept[key] = _fit(value, room)
    if len(kept) < len(fields):
        kept[_OBJECT_MARKER_KEY] = f"[cut: {len(fields) - len(kept)} more fields; {WHOLE}]"
    return kept
