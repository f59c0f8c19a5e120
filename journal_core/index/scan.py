"""A journal's tasks folded from a scan of its lines, without the index (SPEC §6, first use).

``tasks`` on a big journal with no index would wait for the index's structural part
(about 20 s at a million events), though it needs only each task's state. The scan folds
each task's events as they come (``TaskState.take``), decoding a line whole only where
the fold reads more of it than its key (``TaskState.reads_key_only``), and folds a task
whose lines come out of canonical order again from all of them (``fold_task``), as the
index does. The states go into a table of tasks in memory, which the index's own query
pages through: the same page and the same cursor as from the index.
"""

from __future__ import annotations

import os
from typing import Any, Final

import msgspec

from journal_core.fold import TaskState, decode_fold_event, fold_task
from journal_core.index import catch_up, queries, sql
from journal_core.index.catch_up import TaskRow
from journal_core.index.queries import IndexView
from journal_core.index.results import TaskPage
from journal_core.index.store import JournalStore, empty_view
from journal_core.journal_file import complete_end, open_journal_file
from journal_core.query import DEFAULT_LIMIT
from journal_core.reader import (
    decode_spans,
    gc_paused,
    read_float,
)


class _Key(msgspec.Struct, gc=False):
    """What the scan reads of every line: the rest only where the fold asks for it."""

    event_id: Any = None
    task_id: Any = None
    type: Any = None
    timestamp: Any = None


_key_decoder: Final = msgspec.json.Decoder(_Key, float_hook=read_float)


# A line's place as one int in a task's list: ``offset << _SPAN_BITS | length``.
_SPAN_BITS: Final = 40
_LENGTH: Final = (1 << _SPAN_BITS) - 1


class _Scanned:
    """A task as the scan finds it: its state, where its lines are, whether they came in
    canonical order."""

    __slots__ = ("spans", "state", "tangled")

    def __init__(self, task_id: str) -> None:
        self.state = TaskState(task_id=task_id)
        self.spans: list[int] = []
        self.tangled = False


class TaskScan:
    """The tasks of a journal from one scan, paged as ``JournalStore.list_tasks`` pages
    them; closed after use."""

    def __init__(self, store: JournalStore) -> None:
        self._fd = open_journal_file(store.path)
        try:
            self._view = tasks_view(store, self._fd)
        except BaseException:
            os.close(self._fd)
            raise

    def list_tasks(
        self,
        *,
        status: str = "open",
        query: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> TaskPage:
        status, needle, limit, digest = queries.tasks_query(status, query, limit)
        return queries.tasks_page(self._view, status, needle, cursor, limit, digest)

    def close(self) -> None:
        self._view.release()
        os.close(self._fd)


def tasks_view(store: JournalStore, fd: int) -> IndexView:
    """A view of an index in memory that holds the tasks of the journal open as ``fd``
    (no events), for ``queries.tasks_page``. It has the journal's identity: a cursor
    given here pages on through the index later."""
    view = empty_view(store, fd)
    rows = scan_tasks(fd, complete_end(fd, os.fstat(fd).st_size))
    view.conn.executemany(sql.WRITE_TASK, [row.row() for row in rows])
    catch_up.add_indexes(view.conn)
    return view


@gc_paused()
def scan_tasks(fd: int, stop: int) -> list[TaskRow]:
    """The row of each task of the complete lines before ``stop``, as the index folds it."""
    tasks: dict[str, _Scanned] = {}
    decode_whole = catch_up.line_decoder.decode
    for offset, length, raw, line in catch_up.event_lines(fd, 0, stop, _key_decoder.decode):
        task_id = line.task_id
        task = tasks.get(task_id)
        if task is None:
            task = tasks[task_id] = _Scanned(task_id)
        task.spans.append(offset << _SPAN_BITS | length)
        if not task.tangled:
            key = (line.timestamp, line.event_id)
            taken = task.state.take_key(line.type, key)
            if taken is None:
                task.state.add(decode_whole(raw), key)
            elif not taken:
                task.tangled = True
    rows = []
    for number, task in enumerate(tasks.values(), start=1):
        if task.tangled:  # folded again from all its lines, as the index does
            spans = [(span >> _SPAN_BITS, span & _LENGTH) for span in task.spans]
            decoded = decode_spans(fd, spans, decode_fold_event)
            events = [event for event in decoded if event is not None]
            task.state = fold_task(task.state.task_id, events).state
        row = TaskRow(number, task.state)
        row.last_offset = task.spans[-1] >> _SPAN_BITS
        rows.append(row)
    return rows
