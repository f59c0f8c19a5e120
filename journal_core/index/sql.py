"""Every SQL statement of the derived index (SPEC §6), named, with parameters.

The schema is versioned by ``SCHEMA_VERSION`` in the ``state`` row: an index
made by another version is dropped and built again, never read. Events are
keyed by the byte offset of their line, and read in canonical order (SPEC §6):
by the text of their timestamp (``ts``), then their id, then (only where a
broken journal repeats both) the offset. Times are POSIX seconds (NULL when a
timestamp is not RFC 3339, so that it matches no time filter). ``types`` filters
are a bit mask over the type codes, so one statement serves any set of types.
Statements are written out whole, never assembled from strings.
"""

from __future__ import annotations

from typing import Final

# 2: events_by_task holds each line's length, so a task's lines are found by index alone.
# 3: the state row holds the rules (``journal_core.rules``); tasks hold the fold's whole
#    state, events their standing; a duplicate line has no row.
# 4: the full-text index stems English words (FTS5's porter over unicode61).
# 5: the state row says how far the full-text part is built (``text_end``): it may
#    follow the rest, which reads by task, type and time need alone.
# 6: events hold their timestamp's text (``ts``) and are read in canonical order,
#    ``(ts, event_id)``, through indexes in that order; no blocks of time bounds.
# 7: events_by_task holds each line's offset and length again: a task's lines are read
#    in canonical order by the index alone.
# 8: no index of every event in canonical order: a read of any type merges the walks of
#    the type index, one per type (the index was as big as the table, and no faster).
# 9: the events the fold marked have an index of their own, by task, with their standing:
#    a pack reads its task's standings from it instead of folding the task again.
SCHEMA_VERSION: Final = 9

# Tables of every schema version so far, dropped when the index is built again.
DROP: Final = (
    "DROP TABLE IF EXISTS state",
    "DROP TABLE IF EXISTS tasks",
    "DROP TABLE IF EXISTS events",
    "DROP TABLE IF EXISTS keys",
    "DROP TABLE IF EXISTS blocks",  # schema 5 and before
    "DROP TABLE IF EXISTS fts",
)

CREATE: Final = (
    # One row: which file was indexed, how far, and the digest of the bytes just before.
    """CREATE TABLE state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        schema INTEGER NOT NULL,
        device INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        end_offset INTEGER NOT NULL,
        tail BLOB NOT NULL,
        events INTEGER NOT NULL,
        fts INTEGER NOT NULL,
        rules TEXT NOT NULL,
        -- The full-text documents are in for the events before this offset (at most
        -- end_offset): a first build leaves them for later, reads need none.
        text_end INTEGER NOT NULL
    )""",
    """CREATE TABLE tasks (
        id INTEGER PRIMARY KEY,
        task_id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        folded_title TEXT NOT NULL,
        status TEXT NOT NULL,
        opened INTEGER NOT NULL,
        last_offset INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        last_event_at TEXT NOT NULL,
        event_count INTEGER NOT NULL,
        parent_id TEXT,
        goal TEXT,
        titled INTEGER NOT NULL,
        outcome TEXT,
        outcome_tag TEXT,
        opened_at TEXT,
        opened_by TEXT,
        last_event_id TEXT NOT NULL,
        first_event_id TEXT NOT NULL
    )""",
    """CREATE TABLE events (
        offset INTEGER PRIMARY KEY,
        length INTEGER NOT NULL,
        type INTEGER NOT NULL,
        time REAL,
        task INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        -- Where the event stands (journal_core.fold): its mark's position in fold.MARKS,
        -- the event that gave it, and the newest correction of it.
        standing INTEGER NOT NULL DEFAULT 0,
        standing_by TEXT,
        amended_by TEXT,
        -- The timestamp as written: canonical order is by its text, not by ``time``.
        ts TEXT NOT NULL
    )""",
    "CREATE INDEX events_by_id ON events (event_id)",
    # The offset of the first event that carried each idempotency key.
    "CREATE TABLE keys (key TEXT PRIMARY KEY, offset INTEGER NOT NULL) WITHOUT ROWID",
)

# Made once a catch-up has taken in its lines (``catch_up.add_indexes``), or before a step
# needs them: a build from scratch sorts each once instead of inserting into it line by
# line, all over it (a task's row is written at every step of a long build: with its
# listing indexes, that cost a tenth of the build). Reads come after a catch-up, so they
# find them. Each walks in canonical order (the offset, the table's key, ends every
# index entry of events).
LATE_INDEXES: Final = (
    # Tasks are listed by their last event in canonical order (SPEC §6), not by the
    # place of its line: two journals with the same events list them alike.
    "CREATE INDEX IF NOT EXISTS tasks_by_last ON tasks (last_event_at, last_event_id)",
    "CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (status, last_event_at, last_event_id)",
    "CREATE INDEX IF NOT EXISTS tasks_by_parent ON tasks (parent_id) WHERE parent_id IS NOT NULL",
    # With each line's offset and length: a task's lines (a pack, an export) are read
    # from the index alone, not by a lookup in the table for each.
    "CREATE INDEX IF NOT EXISTS events_by_task ON events (task, ts, event_id, offset, length)",
    "CREATE INDEX IF NOT EXISTS events_by_type ON events (type, ts, event_id)",
    # The events the fold marked (withdrawn, answered or amended: a few of most tasks),
    # with their standing: a task's are read without a look at each of its events.
    """CREATE INDEX IF NOT EXISTS events_standing ON events
    (task, event_id, standing, standing_by, amended_by)
    WHERE standing + (amended_by IS NOT NULL) > 0""",
    # The events whose time is written other than in UTC as ``YYYY-MM-DDTHH:MM:SS...``:
    # while there are none, a time window is a range of texts to the second
    # (``queries.text_bounds``). Mostly empty: it costs a pass over the rows.
    """CREATE INDEX IF NOT EXISTS events_zoned ON events (ts) WHERE time IS NOT NULL
    AND NOT (substr(ts, 11, 1) = 'T' AND substr(ts, 17, 1) = ':'
    AND (substr(ts, -1) = 'Z' OR substr(ts, -6) IN ('+00:00', '-00:00')))""",
)

# Contentless: the text stays in the journal (snippets are made from the line), so
# the index holds only the tokens. unicode61 with accents folded, each token stemmed
# by porter; see search.py and stem.py.
CREATE_FTS: Final = """CREATE VIRTUAL TABLE fts USING fts5 (
    text, title, goal, refs, rejected,
    content = '', tokenize = 'porter unicode61 remove_diacritics 2'
)"""

FTS5_AVAILABLE: Final = "SELECT sqlite_compileoption_used('ENABLE_FTS5')"

# --- state --------------------------------------------------------------------------

READ_STATE: Final = """SELECT schema, device, inode, end_offset, tail, events, fts, rules,
    text_end FROM state WHERE id = 1"""
WRITE_STATE: Final = """INSERT OR REPLACE INTO state
    (id, schema, device, inode, end_offset, tail, events, fts, rules, text_end)
    VALUES (1, :schema, :device, :inode, :end_offset, :tail, :events, :fts, :rules,
    :text_end)"""

# --- catching up ----------------------------------------------------------------------

LAST_TASK_NUMBER: Final = "SELECT coalesce(max(id), 0) FROM tasks"
READ_TASK: Final = """SELECT id, task_id, title, folded_title, status, opened, last_offset,
    created_at, last_event_at, event_count, parent_id, goal, titled, outcome, outcome_tag,
    opened_at, opened_by, last_event_id, first_event_id FROM tasks WHERE task_id = ?"""
# An update in place, not INSERT OR REPLACE (a delete and an insert, every index
# touched): a long catch-up writes every busy task's row at each step. A task's number
# and id never change, so its id's index is left alone.
WRITE_TASK: Final = """INSERT INTO tasks (id, task_id, title, folded_title, status,
    opened, last_offset, created_at, last_event_at, event_count, parent_id, goal, titled,
    outcome, outcome_tag, opened_at, opened_by, last_event_id, first_event_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET title = excluded.title,
    folded_title = excluded.folded_title, status = excluded.status,
    opened = excluded.opened, last_offset = excluded.last_offset,
    created_at = excluded.created_at, last_event_at = excluded.last_event_at,
    event_count = excluded.event_count, parent_id = excluded.parent_id,
    goal = excluded.goal, titled = excluded.titled, outcome = excluded.outcome,
    outcome_tag = excluded.outcome_tag, opened_at = excluded.opened_at,
    opened_by = excluded.opened_by, last_event_id = excluded.last_event_id,
    first_event_id = excluded.first_event_id"""
# A new line's standing is the columns' default (active); one that changes is set after.
INSERT_EVENT: Final = """INSERT INTO events (offset, length, type, time, task, event_id, ts)
    VALUES (?, ?, ?, ?, ?, ?, ?)"""
# What the fold needs of an earlier event of a task: its standing, and its line. Found
# by its id (``+task``: not by walking every event of the task, which the planner would
# otherwise choose; a late line of a long task asks this at every catch-up).
FOLD_EVENT: Final = """SELECT offset, length, type, standing, standing_by, amended_by, ts
    FROM events WHERE event_id = :event_id AND +task = :task"""
# By the task's events (``+type``: not by every event of the type in the journal).
FOLD_EVENTS_OF_TYPE: Final = """SELECT offset, length, event_id, standing, standing_by,
    amended_by FROM events WHERE +type = :type AND task = :task ORDER BY offset"""
STANDING_AT: Final = """SELECT task, standing, standing_by, amended_by FROM events
    WHERE offset = ?"""
SET_STANDING: Final = """UPDATE events SET standing = ?, standing_by = ?, amended_by = ?
    WHERE offset = ?"""
CLEAR_STANDINGS: Final = """UPDATE events SET standing = 0, standing_by = NULL,
    amended_by = NULL WHERE task = ? AND standing + (amended_by IS NOT NULL) > 0"""
INSERT_KEY: Final = "INSERT OR IGNORE INTO keys (key, offset) VALUES (?, ?)"
INSERT_FTS: Final = (
    "INSERT INTO fts (rowid, text, title, goal, refs, rejected) VALUES (?, ?, ?, ?, ?, ?)"
)

# --- the full text of a first build, made beside it (text_beside) ------------------

# The side file's own table: of which file (device, inode) and bytes (up to ``stop``,
# the digest of those before it) its documents are, and how many.
CREATE_SIDE: Final = """CREATE TABLE made (device INTEGER NOT NULL, inode INTEGER NOT NULL,
    stop INTEGER NOT NULL, tail BLOB NOT NULL, documents INTEGER NOT NULL)"""
WRITE_SIDE: Final = "INSERT INTO made (device, inode, stop, tail, documents) VALUES (?, ?, ?, ?, ?)"
ATTACH_SIDE: Final = "ATTACH DATABASE ? AS side"
DETACH_SIDE: Final = "DETACH DATABASE side"
READ_SIDE: Final = "SELECT device, inode, stop, tail, documents FROM side.made"
COUNT_EVENTS_BEFORE: Final = "SELECT count(*) FROM events WHERE offset < ?"
# FTS5 keeps a table in these (``fts_content`` too, where it holds the text: not ours).
COPY_SIDE_TEXT: Final = (
    "DELETE FROM main.fts_data",
    "INSERT INTO main.fts_data SELECT * FROM side.fts_data",
    "DELETE FROM main.fts_idx",
    "INSERT INTO main.fts_idx SELECT * FROM side.fts_idx",
    "DELETE FROM main.fts_docsize",
    "INSERT INTO main.fts_docsize SELECT * FROM side.fts_docsize",
    "DELETE FROM main.fts_config",
    "INSERT INTO main.fts_config SELECT * FROM side.fts_config",
)

# --- point queries ------------------------------------------------------------------

TASK_STATE: Final = "SELECT id, opened, status FROM tasks WHERE task_id = ?"
# A task's number and its version (``JournalStore.task_version``).
TASK_VERSION: Final = "SELECT id, event_count, last_event_id FROM tasks WHERE task_id = ?"
KEY_EVENT: Final = """SELECT events.offset, events.length FROM keys
    JOIN events ON events.offset = keys.offset WHERE keys.key = ?"""
HAS_EVENT: Final = "SELECT 1 FROM events WHERE event_id = ? LIMIT 1"
EVENT_LINE: Final = "SELECT offset, length FROM events WHERE event_id = ? ORDER BY offset LIMIT 1"
# The lines whose event id starts with ``:prefix`` (``:after`` is the first string past
# every such id), a walk of the id index; a few are enough to tell an ambiguous one.
EVENTS_WITH_ID_PREFIX: Final = """SELECT offset, length, event_id, ts FROM events
    WHERE event_id >= :prefix AND event_id < :after ORDER BY event_id, offset LIMIT 8"""
TASK_IDS_WITH_PREFIX: Final = """SELECT task_id FROM tasks
    WHERE task_id >= :prefix AND substr(task_id, 1, length(:prefix)) = :prefix
    ORDER BY task_id"""
# '~' sorts after every character an event id holds, so the range is the prefix's ids
# alone, read from the index however many others there are.
EVENT_IDS_WITH_PREFIX: Final = """SELECT DISTINCT events.event_id, tasks.task_id FROM events
    JOIN tasks ON tasks.id = events.task
    WHERE events.event_id >= :prefix AND events.event_id < :prefix || '~'
    ORDER BY events.event_id LIMIT :limit"""
# In the order of their first events in time, which is the order they were opened.
SUBTASKS: Final = """SELECT task_id, title, status, created_at, last_event_at, event_count
    FROM tasks WHERE parent_id = ? ORDER BY created_at, first_event_id"""
COUNT_TASKS: Final = "SELECT count(*) FROM tasks WHERE :status = 'any' OR status = :status"
# The task's events of one type that stand (the fold's mark 0, "active"). "+type" keeps
# the planner on the task's events: by type it would walk every hypothesis of the journal.
COUNT_ACTIVE: Final = """SELECT count(*) FROM events
    WHERE task = (SELECT id FROM tasks WHERE task_id = :task_id)
    AND +type = :type AND standing = 0"""

# --- reading events -----------------------------------------------------------------
# A page is the events strictly between two keys ``(ts, event_id, offset)`` in canonical
# order: ``:lo_*`` and ``:hi_*``, made of the cursor (the last key of the page before)
# and of text bounds around the time filters. A key of 0s is below every event's and one
# whose ``ts`` is a blob above (SQLite orders numbers before text, text before blobs).
# The time filters are NULL when not given. One statement per order: SQLite walks the
# index either way.

# Whether any event's time is written otherwise (``events_zoned``, same condition).
ANY_ZONED: Final = """SELECT 1 FROM events WHERE time IS NOT NULL
    AND NOT (substr(ts, 11, 1) = 'T' AND substr(ts, 17, 1) = ':'
    AND (substr(ts, -1) = 'Z' OR substr(ts, -6) IN ('+00:00', '-00:00'))) LIMIT 1"""
TASK_EVENTS_NEWEST: Final = """SELECT offset, length, ts, event_id FROM events
    WHERE task = :task AND (:mask IS NULL OR (:mask >> type) & 1)
    AND (ts, event_id, offset) > (:lo_ts, :lo_id, :lo_at)
    AND (ts, event_id, offset) < (:hi_ts, :hi_id, :hi_at)
    AND (:since IS NULL OR time >= :since) AND (:until IS NULL OR time < :until)
    ORDER BY ts DESC, event_id DESC, offset DESC LIMIT :limit"""
TASK_EVENTS_OLDEST: Final = """SELECT offset, length, ts, event_id FROM events
    WHERE task = :task AND (:mask IS NULL OR (:mask >> type) & 1)
    AND (ts, event_id, offset) > (:lo_ts, :lo_id, :lo_at)
    AND (ts, event_id, offset) < (:hi_ts, :hi_id, :hi_at)
    AND (:since IS NULL OR time >= :since) AND (:until IS NULL OR time < :until)
    ORDER BY ts, event_id, offset LIMIT :limit"""
TYPE_EVENTS_NEWEST: Final = """SELECT offset, length, ts, event_id FROM events
    WHERE type = :type
    AND (ts, event_id, offset) > (:lo_ts, :lo_id, :lo_at)
    AND (ts, event_id, offset) < (:hi_ts, :hi_id, :hi_at)
    AND (:since IS NULL OR time >= :since) AND (:until IS NULL OR time < :until)
    ORDER BY ts DESC, event_id DESC, offset DESC LIMIT :limit"""
TYPE_EVENTS_OLDEST: Final = """SELECT offset, length, ts, event_id FROM events
    WHERE type = :type
    AND (ts, event_id, offset) > (:lo_ts, :lo_id, :lo_at)
    AND (ts, event_id, offset) < (:hi_ts, :hi_id, :hi_at)
    AND (:since IS NULL OR time >= :since) AND (:until IS NULL OR time < :until)
    ORDER BY ts, event_id, offset LIMIT :limit"""
# The newest ``:each`` events of the types in ``:mask`` of each task named in ``:tasks``
# (a JSON array of task ids), newest first in canonical order: a briefing's notes. Each
# task's are found by walking ``events_by_task`` back from its newest event, stopping at
# the ``:each``-th of the types; numbering every event of the tasks read them all.
NEWEST_OF_TASKS: Final = """SELECT tasks.task_id, found.offset, found.length
    FROM tasks JOIN events AS found ON found.offset IN (
        SELECT own.offset FROM events AS own
        WHERE own.task = tasks.id AND (:mask >> own.type) & 1
        ORDER BY own.ts DESC, own.event_id DESC, own.offset DESC LIMIT :each
    )
    WHERE tasks.task_id IN (SELECT value FROM json_each(:tasks))
    ORDER BY tasks.task_id, found.ts DESC, found.event_id DESC, found.offset DESC"""
ALL_TASK_EVENTS: Final = """SELECT offset, length FROM events WHERE task = ?
    ORDER BY ts, event_id, offset"""
# The standing of each of a task's events that is not plainly active (``events_standing``).
TASK_STANDINGS: Final = """SELECT event_id, standing, standing_by, amended_by FROM events
    WHERE task = ? AND standing + (amended_by IS NOT NULL) > 0"""
# The indexed lines of a stretch of the file, for the full-text part that follows.
LINES_BETWEEN: Final = """SELECT offset, length FROM events WHERE offset >= ? AND offset < ?
    ORDER BY offset"""
TASK_LINES: Final = """SELECT offset, length, event_id FROM events WHERE task = ?
    ORDER BY ts, event_id, offset"""
# The lines of a task's events after a key in canonical order, a few at most.
TASK_LINES_AFTER: Final = """SELECT offset, length FROM events
    WHERE task = :task AND (ts, event_id) > (:ts, :event_id) ORDER BY ts, event_id LIMIT :most"""

# --- tasks ----------------------------------------------------------------------------

# ``:at`` and ``:id`` (NULL for the first page): the last event of the previous page's
# last task; the page goes on below it.
TASKS_ANY: Final = """SELECT task_id, title, status, created_at, last_event_at, event_count,
        last_event_id
    FROM tasks
    WHERE (:at IS NULL OR (last_event_at, last_event_id) < (:at, :id))
    AND (:needle IS NULL OR instr(folded_title, :needle) > 0)
    ORDER BY last_event_at DESC, last_event_id DESC LIMIT :limit"""
TASKS_WITH_STATUS: Final = """SELECT task_id, title, status, created_at, last_event_at,
        event_count, last_event_id
    FROM tasks
    WHERE status = :status AND (:at IS NULL OR (last_event_at, last_event_id) < (:at, :id))
    AND (:needle IS NULL OR instr(folded_title, :needle) > 0)
    ORDER BY last_event_at DESC, last_event_id DESC LIMIT :limit"""

# --- search ---------------------------------------------------------------------------
# The newest matches first, in the engine's own rowid order: the cost follows the
# LIMIT, however many events match (FTS5 walks its lists from the end, no ranking).
SEARCH_NEWEST: Final = """SELECT events.offset, events.length
    FROM fts JOIN events ON events.offset = fts.rowid
    WHERE fts MATCH :match
    AND (:task IS NULL OR events.task = :task) AND (:mask IS NULL OR (:mask >> events.type) & 1)
    AND (:since IS NULL OR events.time >= :since) AND (:until IS NULL OR events.time < :until)
    ORDER BY fts.rowid DESC LIMIT :limit"""
# Best first: bm25 is lower for better matches; the later line wins a tie.

SEARCH: Final = """SELECT events.offset, events.length,
        bm25(fts, :w_text, :w_title, :w_goal, :w_refs, :w_rejected) AS score
    FROM fts JOIN events ON events.offset = fts.rowid
    WHERE fts MATCH :match
    AND (:task IS NULL OR events.task = :task) AND (:mask IS NULL OR (:mask >> events.type) & 1)
    AND (:since IS NULL OR events.time >= :since) AND (:until IS NULL OR events.time < :until)
    ORDER BY score, events.offset DESC LIMIT :limit OFFSET :skip"""
# Rejections that match anywhere, and decisions whose rejected alternatives match.
SEARCH_REJECTED: Final = """SELECT offset, length, score FROM (
        SELECT events.offset, events.length,
            bm25(fts, :w_text, :w_title, :w_goal, :w_refs, :w_rejected) AS score
        FROM fts JOIN events ON events.offset = fts.rowid
        WHERE fts MATCH :match AND events.type = :rejection
        AND (:task IS NULL OR events.task = :task)
        AND (:since IS NULL OR events.time >= :since)
        AND (:until IS NULL OR events.time < :until)
        UNION ALL
        SELECT events.offset, events.length,
            bm25(fts, :w_text, :w_title, :w_goal, :w_refs, :w_rejected) AS score
        FROM fts JOIN events ON events.offset = fts.rowid
        WHERE fts MATCH :match_rejected AND events.type = :decision
        AND (:task IS NULL OR events.task = :task)
        AND (:since IS NULL OR events.time >= :since)
        AND (:until IS NULL OR events.time < :until)
    ) ORDER BY score, offset DESC LIMIT :limit OFFSET :skip"""
TASK_TITLES: Final = "SELECT title FROM tasks WHERE id = (SELECT task FROM events WHERE offset = ?)"
