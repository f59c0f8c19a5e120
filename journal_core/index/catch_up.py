"""Catching up: the one path from new journal lines to the index's rows.

Each complete line after the index's end becomes a row of ``events`` (where the line
is, its type code, time, task and id), a full-text document, an idempotency key and
a change to its task's row; the time bounds of its block of ``_BLOCK`` events are
brought up to date (see ``journal_core.index.store`` for why blocks).
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from collections.abc import Sequence
from typing import Any, Final

from journal_core.events import EVENT_TYPES
from journal_core.index import sql
from journal_core.index.state import IndexState, made_from, tail_digest
from journal_core.reader import decode_line, forward_chunks

TITLE_CHARS: Final = 200
_BLOCK = 64  # events per pair of time bounds (tests make it smaller)
TYPE_CODES: Final = {name: code for code, name in enumerate(EVENT_TYPES)}
_UNKNOWN_TYPE: Final = 255  # a newer writer's type: kept, never matched by a filter
_STATE_TYPES: Final = frozenset({"open", "reopen", "close", "rename", "redirect"})


class TaskRow:
    """A task's row, loaded and changed while catching up."""

    __slots__ = (
        "created_at",
        "event_count",
        "folded_title",
        "goal",
        "last_event_at",
        "last_offset",
        "number",
        "opened",
        "parent_id",
        "status",
        "task_id",
        "title",
    )

    def __init__(self, number: int, task_id: str) -> None:
        self.number = number
        self.task_id = task_id
        self.title = ""
        self.folded_title = ""
        self.status = "open"
        self.opened = False
        self.last_offset = 0
        self.created_at = ""
        self.last_event_at = ""
        self.event_count = 0
        self.parent_id: str | None = None
        self.goal: str | None = None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> TaskRow:
        task = cls(row[0], row[1])
        (
            task.title,
            task.folded_title,
            task.status,
            opened,
            task.last_offset,
            task.created_at,
            task.last_event_at,
            task.event_count,
            task.parent_id,
            task.goal,
        ) = row[2:]
        task.opened = bool(opened)
        return task

    def row(self) -> tuple[Any, ...]:
        return (
            self.number,
            self.task_id,
            self.title,
            self.folded_title,
            self.status,
            int(self.opened),
            self.last_offset,
            self.created_at,
            self.last_event_at,
            self.event_count,
            self.parent_id,
            self.goal,
        )

    def set_title(self, title: object) -> None:
        if isinstance(title, str) and title.strip():
            title = title.strip()
            if len(title) > TITLE_CHARS:
                title = title[: TITLE_CHARS - 1] + "…"
            self.title = title
            self.folded_title = title.casefold()


def index_lines(
    conn: sqlite3.Connection,
    fd: int,
    state: IndexState,
    stop: int,
    tasks: dict[str, TaskRow],
    fts: bool,
) -> None:
    """Add the complete lines between ``state.end`` and ``stop``; advance ``state``."""
    from journal_core.search import document_row

    events: list[tuple[Any, ...]] = []
    documents: list[tuple[Any, ...]] = []
    keys: list[tuple[str, int]] = []
    touched: dict[str, TaskRow] = {}
    next_number = conn.execute(sql.LAST_TASK_NUMBER).fetchone()[0] + 1
    type_code = TYPE_CODES.get
    first_new = None
    for base, block in forward_chunks(fd, state.end, stop):
        offset = base
        for raw in block.split(b"\n"):
            length = len(raw) + 1
            # The reader's classification decides what is an event, as for every reader
            # (a blank line is not one either).
            event = decode_line(raw) if raw else None
            if event is None or isinstance(event, str):
                offset += length
                continue
            task_id, kind, stamp = event["task_id"], event["type"], event["timestamp"]
            meta = event.get("meta")
            if not isinstance(meta, dict):
                meta = {}
            task = tasks.get(task_id)
            if task is None:
                row = conn.execute(sql.READ_TASK, (task_id,)).fetchone()
                if row is None:
                    task = TaskRow(next_number, task_id)
                    next_number += 1
                    task.created_at = stamp
                    if kind != "open":
                        task.set_title(event.get("text"))  # a stand-in until an open names it
                else:
                    task = TaskRow.from_row(row)
                tasks[task_id] = task
            touched[task_id] = task
            task.event_count += 1
            task.last_offset = offset
            task.last_event_at = stamp
            if kind in _STATE_TYPES:
                _apply(task, kind, meta, event)
            if first_new is None:
                first_new = offset
            events.append(
                (
                    offset,
                    length,
                    type_code(kind, _UNKNOWN_TYPE),
                    _seconds(stamp),
                    task.number,
                    event["event_id"],
                )
            )
            if fts:
                documents.append((offset, *document_row(event)))
            key = meta.get("idempotency_key")
            if isinstance(key, str):
                keys.append((key, offset))
            offset += length
    conn.executemany(sql.INSERT_EVENT, events)
    if documents:
        conn.executemany(sql.INSERT_FTS, documents)
    conn.executemany(sql.INSERT_KEY, keys)
    conn.executemany(sql.WRITE_TASK, [task.row() for task in touched.values()])
    if first_new is not None:
        _extend_blocks(conn, state.events, first_new)
    state.events += len(events)
    state.end = stop
    state.tail = tail_digest(fd, stop)


def _apply(task: TaskRow, kind: str, meta: dict[str, Any], event: dict[str, Any]) -> None:
    """What an open, reopen, close, rename or redirect event changes in its task."""
    if kind == "close":
        task.status = "closed"
        return
    goal = meta.get("goal")
    if kind in ("open", "redirect") and isinstance(goal, str) and goal.strip():
        task.goal = goal.strip()
    if kind == "redirect":
        return
    if kind == "open":
        parent = meta.get("parent_id")
        if not task.opened and isinstance(parent, str):
            task.parent_id = parent
        task.opened = True
    if kind in ("open", "reopen"):
        task.status = "open"
    if kind in ("open", "rename"):
        # The title is meta.title, else the event's text.
        title = meta.get("title")
        task.set_title(title if isinstance(title, str) and title.strip() else event.get("text"))


def _extend_blocks(conn: sqlite3.Connection, events_before: int, first_new: int) -> None:
    """Bring the time bounds up to date with the events indexed from ``first_new`` on.

    The block that was partly filled and those after it are computed again. A NULL
    time (not RFC 3339) is left out of both bounds.
    """
    block = _BLOCK
    number = events_before // block
    start = first_new
    greatest = -math.inf
    if number > 0:
        greatest = conn.execute(sql.BLOCK, (number - 1,)).fetchone()[1]
    if events_before % block:
        start = conn.execute(sql.BLOCK, (number,)).fetchone()[0]
    rows = conn.execute(sql.TIMES_FROM, (start,)).fetchall()
    groups = [rows[at : at + block] for at in range(0, len(rows), block)]
    new_blocks: list[list[Any]] = []
    for step, group in enumerate(groups):
        greatest = max([greatest, *(time for _, time in group if time is not None)])
        new_blocks.append([number + step, group[0][0], greatest, math.inf])
    least = math.inf
    for entry, group in zip(reversed(new_blocks), reversed(groups), strict=True):
        least = min([least, *(time for _, time in group if time is not None)])
        entry[3] = least
    # The earlier blocks' suffixes now reach over the new events too: lower those
    # above the least new time. With times that mostly grow, few or none.
    conn.execute(sql.LOWER_MIN_FROM, {"least": least, "before": number})
    conn.executemany(sql.WRITE_BLOCK, new_blocks)


def reset(conn: sqlite3.Connection, fts: bool) -> None:
    for statement in (*sql.DROP, *sql.CREATE):
        conn.execute(statement)
    if fts:
        conn.execute(sql.CREATE_FTS)


def trusted(state: IndexState, fd: int, identity: tuple[int, int], fts: bool) -> bool:
    """Whether the index was made from this file (``made_from``), with full-text search
    if this process has it."""
    return made_from(state, fd, identity) and state.fts == fts


def write_state(conn: sqlite3.Connection, state: IndexState) -> None:
    conn.execute(
        sql.WRITE_STATE,
        {
            "schema": state.schema,
            "device": state.device,
            "inode": state.inode,
            "end_offset": state.end,
            "tail": state.tail,
            "events": state.events,
            "fts": int(state.fts),
        },
    )


def empty_state(identity: tuple[int, int], fts: bool) -> IndexState:
    return IndexState(
        fts=fts,
        schema=sql.SCHEMA_VERSION,
        device=identity[0],
        inode=identity[1],
        end=0,
        tail=tail_digest(-1, 0),
        events=0,
    )


def _seconds(timestamp: str) -> float | None:
    """POSIX seconds of an RFC 3339 timestamp; ``None`` when it is not one."""
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    return None if moment.tzinfo is None else moment.timestamp()
