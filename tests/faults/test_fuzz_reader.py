"""The reader over hostile files: random bytes and good journals mutated with garbage.

Its documented behaviour for bad content is to report, never to raise: every scan
finishes, forward and backward scans agree, and no good line is ever dropped.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal_core import Journal, Settings, event_to_dict, new_event
from journal_core.reader import BadLine, Record, iter_backward, iter_forward, verify

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text as JSON carries it: any code point but a lone surrogate (the writer refuses those).
texts = st.text(st.characters(codec="utf-8"), min_size=1, max_size=200).filter(
    lambda text: bool(text.strip())
)


def good_line(text: str) -> tuple[dict[str, Any], bytes]:
    event = event_to_dict(new_event(type="open", text=text))
    return event, json.dumps(event, ensure_ascii=False).encode() + b"\n"


# Lines no decoder may see as they are: nested past any recursion limit, or numbers
# past a double (each inside an otherwise good event, or alone).
hostile_values = st.one_of(
    st.integers(100, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(100, 3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.integers(1, 5).map(lambda n: b"9" * (4300 * n)),
    st.sampled_from([b"1e400", b"-1e999", b"1" + b"0" * 400 + b".5"]),
)
hostile_lines = st.tuples(texts, hostile_values, st.booleans()).map(
    lambda parts: (
        (good_line(parts[0])[1][:-2] + b',"x":' + parts[1] + b"}\n")
        if parts[2]
        else parts[1] + b"\n"
    )
)
garbage_lines = st.one_of(
    st.binary(max_size=300).map(lambda raw: raw.replace(b"\n", b"") + b"\n"), hostile_lines
)

# A journal: good lines (None: the next one) and garbage lines in any order, perhaps ended
# by an unterminated tail such as a crash leaves.
layouts = st.tuples(
    st.lists(st.one_of(st.none(), garbage_lines), max_size=40),
    st.binary(max_size=100).map(lambda raw: raw.replace(b"\n", b"")),
)


def scan_everything(path: Path) -> tuple[list[Record], list[Record]]:
    """Every way the library reads a file; returns the forward and backward records."""
    forward = list(iter_forward(path))
    backward = list(iter_backward(path))
    for item in (*forward, *backward):
        assert isinstance(item, Record | BadLine)
        if isinstance(item, BadLine):
            assert item.reason
    forward_records = [item for item in forward if isinstance(item, Record)]
    backward_records = [item for item in backward if isinstance(item, Record)]
    assert [(r.offset, r.event) for r in forward_records] == [
        (r.offset, r.event) for r in reversed(backward_records)
    ]
    assert verify(path).events == len(forward_records)
    return forward_records, backward_records


def read_all_through_the_journal(path: Path) -> Iterator[dict[str, Any]]:
    journal = Journal(Settings(journal_path=path))
    try:
        cursor = None
        count = 0
        while True:
            page = journal.read_events(limit=500, order="oldest", cursor=cursor)
            yield from page.events
            count += len(page.events)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        # The index (behind list_tasks) counts the events the scans read, no more, no less.
        tasks = journal.list_tasks(status="any", limit=500).tasks
        assert sum(task.event_count for task in tasks) == count
    finally:
        journal.close()


@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes_are_read_without_raising(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_bytes(data)
        forward, _ = scan_everything(path)
        assert len(list(read_all_through_the_journal(path))) == len(forward)


@FUZZ
@given(good_texts=st.lists(texts, min_size=40, max_size=40), layout=layouts)
def test_garbage_among_good_lines_never_costs_a_good_line(
    good_texts: list[str], layout: tuple[list[bytes | None], bytes]
) -> None:
    items, tail = layout
    goods = iter(good_line(text) for text in good_texts)
    lines = [next(goods) if item is None else (None, item) for item in items]
    expected = [event for event, _ in lines if event is not None]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_bytes(b"".join(raw for _, raw in lines) + tail)
        forward, backward = scan_everything(path)
        through_journal = list(read_all_through_the_journal(path))

    for read in (
        [record.event for record in forward],
        [record.event for record in reversed(backward)],
        through_journal,
    ):
        assert [event for event in read if event in expected] == expected
