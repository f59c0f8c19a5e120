"""The reader: forward and backward scans, bad-line reports, verify."""

from __future__ import annotations

import os
import random
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal_core import JournalUnavailable, reader
from journal_core.reader import BadLine, Record, iter_backward, iter_forward, verify
from tests.core.journal_lines import event, line, write

RUST_LINE = (
    b'{"event_id":"01KMZ3T4J8Q7W2E5R6T7Y8V9H0","schema_version":"1.0",'
    b'"task_id":"tj-8f3k2m9q1z","type":"decision","timestamp":"2026-11-25T17:03:09.412Z",'
    b'"author":"agent","source":"chat","confidence":0.8,"evidence_strength":"strong",'
    b'"text":"Use filelock\'s sidecar lock, not flock on the data file",'
    b'"refs":{"files":["journal_core/writer.py"]},"status":"confirmed","meta":{}}\n'
)


def events_of(items: list[Record | BadLine]) -> list[dict[str, object]]:
    return [item.event for item in items if isinstance(item, Record)]


def bad_of(items: list[Record | BadLine]) -> list[BadLine]:
    return [item for item in items if isinstance(item, BadLine)]


def test_forward_reads_events_in_file_order_with_offsets_and_line_numbers(
    journal_path: Path,
) -> None:
    first, second = write(journal_path, event(text="one"), event(text="two"))
    records = list(iter_forward(journal_path))
    assert events_of(records) == [first, second]
    second_offset = len(msgspec.json.encode(first)) + 1
    assert [(r.offset, r.line) for r in records if isinstance(r, Record)] == [
        (0, 1),
        (second_offset, 2),
    ]


def test_offsets_point_at_the_start_of_each_line(journal_path: Path) -> None:
    write(journal_path, event(text="one"), b"\n", event(text="two"), b"junk\n", event())
    data = journal_path.read_bytes()
    starts = [0] + [n + 1 for n, byte in enumerate(data) if byte == ord("\n")]
    # Lines 1, 3, 4 and 5 hold something; line 2 is blank.
    assert [item.offset for item in iter_forward(journal_path)] == [starts[i] for i in (0, 2, 3, 4)]


def test_blank_lines_are_skipped_without_a_report(journal_path: Path) -> None:
    (only,) = write(journal_path, b"\n", b"   \n", event(), b"\r\n")
    assert list(iter_forward(journal_path)) == [Record(offset=5, line=3, event=only)]
    assert verify(journal_path).bad_lines == []


def line_with(extra: bytes) -> bytes:
    """A good event line with one more field, ``"extra"``, holding ``extra`` as it is."""
    return line()[:-2] + b', "extra": ' + extra + b"}\n"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param(b"not json at all\n", "not valid JSON", id="not-json"),
        pytest.param(b'{"event_id": "\xff\xfe"}\n', "not valid UTF-8", id="bad-utf8"),
        pytest.param(line_with(b'"\xc3\x28"'), "not valid UTF-8", id="bad-utf8-unknown-field"),
        # A surrogate written as UTF-8 bytes (CESU-8), and as a lone JSON escape.
        pytest.param(line_with(b'"\xed\xa0\x80"'), "not valid UTF-8", id="surrogate-bytes"),
        pytest.param(line_with(b'"\\ud800"'), "not valid JSON", id="lone-surrogate-escape"),
        pytest.param(b"[" * 1000 + b"\n", "nested too deeply (over 128 levels)", id="deep-list"),
        pytest.param(
            b'{"a":' * 1000 + b"1" + b"}" * 1000 + b"\n",
            "nested too deeply (over 128 levels)",
            id="deep-object",
        ),
        pytest.param(
            line_with(b"[" * 500 + b"]" * 500),
            "nested too deeply (over 128 levels)",
            id="deep-unknown-field",
        ),
        pytest.param(line_with(b"9" * 5000), "holds an integer too long to read", id="huge-int"),
        pytest.param(b"[1, 2, 3]\n", "not an event: a JSON list, not an object", id="array"),
        pytest.param(b'"text"\n', "not an event: a JSON str, not an object", id="string"),
        pytest.param(
            msgspec.json.encode({k: v for k, v in event().items() if k != "task_id"}) + b"\n",
            "not an event: 'task_id' is missing or not a string",
            id="no-task-id",
        ),
        pytest.param(
            line(timestamp=12),
            "not an event: 'timestamp' is missing or not a string",
            id="int-time",
        ),
        pytest.param(line()[:-2] + b"\n", "not valid JSON", id="cut-short"),
        # Brackets inside a string are not nesting, even in one never closed.
        pytest.param(
            b'{"a": "' + b'\\"' * 50 + b"[" * 200 + b"\n",
            "not valid JSON",
            id="brackets-in-an-unterminated-string",
        ),
    ],
)
def test_a_bad_line_is_reported_with_our_reason_and_the_scan_goes_on(
    journal_path: Path, raw: bytes, reason: str
) -> None:
    before, after = event(text="before"), event(text="after")
    write(journal_path, before, raw, after)
    offset = len(msgspec.json.encode(before)) + 1
    forward = list(iter_forward(journal_path))
    assert events_of(forward) == [before, after]
    assert bad_of(forward) == [BadLine(line=2, offset=offset, reason=reason)]
    assert bad_of(list(iter_backward(journal_path))) == [
        BadLine(line=None, offset=offset, reason=reason)
    ]
    assert verify(journal_path).bad_lines == [BadLine(line=2, offset=offset, reason=reason)]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(line_with(b"[" * 126 + b"]" * 126), id="nested-128-levels"),
        pytest.param(line(text="[" * 1000 + "{" * 1000), id="brackets-in-a-string"),
        pytest.param(line_with(b'"\\"' + b"[" * 500 + b'"'), id="brackets-after-an-escaped-quote"),
        pytest.param(line_with(b"9" * 4000), id="long-int"),
        pytest.param(line_with(b"1" + b"0" * 308 + b".0"), id="largest-float"),
        pytest.param(line_with(b"[1e308, 1e-400, 12345678901234567890123]"), id="odd-numbers"),
        pytest.param(line_with(b"9" * 4300), id="int-of-4300-digits"),
    ],
)
def test_a_line_near_the_bounds_is_an_event_on_every_path(journal_path: Path, raw: bytes) -> None:
    write(journal_path, raw)
    (record,) = iter_forward(journal_path)
    assert isinstance(record, Record)
    assert record.event == msgspec.json.decode(raw)
    assert verify(journal_path).events == 1


@pytest.mark.parametrize("literal", ["1e400", "-1e999", "1" + "0" * 400 + ".5"])
def test_a_float_past_the_largest_double_is_kept_as_its_literal(
    journal_path: Path, literal: str
) -> None:
    # JSON has no infinity to give it back as, and a reader must not drop the line.
    write(journal_path, line_with(literal.encode()))
    (record,) = iter_forward(journal_path)
    assert isinstance(record, Record)
    assert record.event["extra"] == literal
    assert verify(journal_path).events == 1


def test_unknown_fields_and_enum_values_are_kept(journal_path: Path) -> None:
    newer = event(type="milestone", author="robot", status="draft", colour="blue")
    write(journal_path, newer)
    assert events_of(list(iter_forward(journal_path))) == [newer]


def test_a_rust_tool_line_reads_as_is(journal_path: Path) -> None:
    write(journal_path, RUST_LINE)
    (record,) = iter_forward(journal_path)
    assert isinstance(record, Record)
    assert record.event == msgspec.json.decode(RUST_LINE)
    assert record.event["confidence"] == 0.8


def test_an_unterminated_last_line_is_not_an_event(journal_path: Path) -> None:
    (whole,) = write(journal_path, event(text="whole"), line(text="torn")[:-1])
    assert events_of(list(iter_forward(journal_path))) == [whole]
    assert events_of(list(iter_backward(journal_path))) == [whole]


def test_an_unterminated_line_longer_than_a_chunk_is_skipped_backward(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "FIRST_CHUNK_BYTES", 16)
    (whole,) = write(journal_path, event(text="whole"), b'{"torn": "' + b"x" * 5000)
    assert events_of(list(iter_backward(journal_path))) == [whole]


def test_backward_reads_newest_first(journal_path: Path) -> None:
    written = write(journal_path, *(event(text=f"n{n}") for n in range(5)))
    assert events_of(list(iter_backward(journal_path))) == written[::-1]


def test_backward_from_an_offset_reads_what_lies_before_it(journal_path: Path) -> None:
    written = write(journal_path, *(event(text=f"n{n}") for n in range(4)))
    third = next(r for r in iter_forward(journal_path) if r.line == 3)
    assert events_of(list(iter_backward(journal_path, third.offset))) == written[1::-1]


def test_forward_from_an_offset_reads_from_there_without_line_numbers(journal_path: Path) -> None:
    written = write(journal_path, *(event(text=f"n{n}") for n in range(4)))
    third = next(r for r in iter_forward(journal_path) if r.line == 3)
    items = list(iter_forward(journal_path, third.offset))
    assert events_of(items) == written[2:]
    assert {item.line for item in items} == {None}


def test_forward_stops_at_the_given_offset(journal_path: Path) -> None:
    written = write(journal_path, *(event(text=f"n{n}") for n in range(4)))
    third = next(r for r in iter_forward(journal_path) if r.line == 3)
    assert events_of(list(iter_forward(journal_path, 0, third.offset))) == written[:2]


# Lines of every kind, including ones longer than the tiny chunks used below.
_line_kinds = st.one_of(
    st.builds(lambda text: line(text=text), st.text(min_size=1, max_size=300)),
    st.sampled_from([b"\n", b"  \n", b"garbage\n", b"[]\n", b"\xff\n"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(_line_kinds, max_size=30),
    tail=st.sampled_from([b"", b'{"torn": tru']),
    chunk=st.sampled_from([1, 7, 64, 4096]),
)
def test_backward_is_forward_reversed_whatever_the_chunk_size(
    tmp_path: Path, lines: list[bytes], tail: bytes, chunk: int
) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b"".join(lines) + tail)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "FIRST_CHUNK_BYTES", chunk)
        patch.setattr(reader, "CHUNK_BYTES", max(chunk, 64))
        forward = [msgspec.structs.replace(i, line=None) for i in iter_forward(path)]
        backward = list(iter_backward(path))
    assert backward == forward[::-1]
    assert len(forward) == sum(1 for raw in lines if raw.strip())


def test_verify_counts_lines_and_events_and_reports_bad_lines(journal_path: Path) -> None:
    write(journal_path, event(), b"\n", b"oops\n", event(), b'{"half": ')
    report = verify(journal_path)
    assert (report.lines, report.events) == (4, 2)
    assert [(bad.line, bad.reason) for bad in report.bad_lines] == [
        (3, bad_of(list(iter_forward(journal_path)))[0].reason),
        (5, reader.UNTERMINATED_REASON),
    ]
    assert report.size_bytes == journal_path.stat().st_size
    assert report.bad_lines[1].offset == journal_path.read_bytes().rindex(b"\n") + 1


def test_verify_reports_progress_up_to_the_whole_size(journal_path: Path) -> None:
    write(journal_path, *(event() for _ in range(10)), b"torn")
    seen: list[tuple[int, int]] = []
    verify(journal_path, lambda done, total: seen.append((done, total)))
    size = journal_path.stat().st_size
    assert seen[-1] == (size, size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_verify_of_a_missing_journal_says_it_is_unavailable(journal_path: Path) -> None:
    with pytest.raises(JournalUnavailable, match="No such file"):
        verify(journal_path)


def test_verify_of_an_empty_journal_finds_nothing(journal_path: Path) -> None:
    write(journal_path, b"")
    report = verify(journal_path)
    assert (report.lines, report.events, report.bad_lines) == (0, 0, [])


@given(
    st.lists(st.integers(1, 40_000), min_size=1, max_size=30),
    st.integers(0, 2**32),
    st.integers(0, 3),
)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_spans_read_together_are_the_bytes_each_read_alone_gives(
    tmp_path: Path, lengths: list[int], seed: int, cut: int
) -> None:
    """Lines near each other share a read (``decode_spans``); far apart, or past the end of
    a file cut since, each span still gets exactly the bytes a read of its own gives."""
    rng = random.Random(seed)  # noqa: S311  # the bytes and spans, from one drawn number
    path = tmp_path / "spans"
    data = rng.randbytes(sum(lengths))
    path.write_bytes(data[: len(data) - cut])  # the last bytes cut off, as a file truncated
    spans, offset = [], 0
    for length in lengths:
        spans.append((offset, length))
        offset += length
    wanted = rng.sample(spans, rng.randint(1, len(spans)))
    fd = os.open(path, os.O_RDONLY)
    try:
        alone = [os.pread(fd, length, offset) for offset, length in wanted]
        assert reader.decode_spans(fd, wanted, bytes) == alone
        in_file_order = sorted(wanted)  # as a task's lines mostly come
        assert reader.decode_spans(fd, in_file_order, bytes) == [
            os.pread(fd, length, offset) for offset, length in in_file_order
        ]
        # Decoded as they are cut out: the same bytes, in the same places.
        assert reader.decode_spans(fd, wanted, bytes.hex) == [raw.hex() for raw in alone]
    finally:
        os.close(fd)
