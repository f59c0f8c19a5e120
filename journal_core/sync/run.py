"""One sync: fetch every replica's ref, take in their new lines, publish ours, push.
A session's start only pulls and its end only pushes (``direction``), so neither
waits for the other half.

Each step leaves what a kill at any moment can resume from (see ``replica.py``):
received events are appended through the journal's locked, durable write, each
once by id, after their ids are recorded as received; our own lines go to the
outbox, whose committed size is recorded with how far the journal was scanned;
the ref is pushed only if the remote still holds what was fetched
(``--force-with-lease``), so a push never drops a commit we did not see.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Final, Literal

import msgspec

from journal_core.errors import InvalidEvent, SyncFailed
from journal_core.events import format_timestamp
from journal_core.journal import Journal
from journal_core.sync.git import Git, remote_url
from journal_core.sync.publish import Held, scan_own
from journal_core.sync.receive import Received, Skipped, read_segment
from journal_core.sync.replica import REPLICA_ID, SEGMENT_NAME, Read, Replica, State, Theirs

REF_PREFIX: Final = "refs/task-journal/"
Direction = Literal["both", "pull", "push"]
# The largest blob read from another replica: ours are at most SEGMENT_BYTES.
_MAX_BLOB: Final = 64 * 1024 * 1024
# Received events are appended this many at a time: one lock hold and fsync each.
_IMPORT_BATCH: Final = 2000


class Conflict(msgspec.Struct, frozen=True, kw_only=True):
    """A received event whose id the journal holds with other content: the first kept."""

    event_id: str
    replica: str


class SyncReport(msgspec.Struct, kw_only=True):
    replica_id: str
    remote: str
    received: int = 0  # events appended from other replicas
    sent: int = 0  # of ours, newly published
    pushed: bool = False
    direction: Direction = "both"
    dry_run: bool = False
    held: Held | None = None  # ours, not sent: it holds a credential
    skipped: list[Skipped] = []
    conflicts: list[Conflict] = []


def sync(
    journal: Journal,
    *,
    project_dir: Path,
    remote: str = "origin",
    dry_run: bool = False,
    allow_secrets: bool = False,
    timeout: float = 600.0,
    direction: Direction = "both",
) -> SyncReport:
    """Exchange events with ``remote`` (a remote's name in the project's repository, or
    a URL): ``pull`` only takes in the others' events, ``push`` only publishes ours.
    Raises ``SyncFailed`` (one line) when it cannot; run it again to finish."""
    deadline = time.monotonic() + timeout
    url = remote_url(project_dir, remote)
    replica = Replica(journal.path)
    try:
        with replica.locked(deadline):
            return _exchange(journal, replica, deadline, url, direction, dry_run, allow_secrets)
    except OSError as error:
        # The sync's own files (a full disk, a folder made read-only): one line, as for
        # any failure; what was written before is kept and the next sync goes on.
        where = f" ({error.filename})" if error.filename else ""
        raise SyncFailed(f"{error.strerror or error}{where}") from None


def _exchange(
    journal: Journal,
    replica: Replica,
    deadline: float,
    url: str,
    direction: Direction,
    dry_run: bool,
    allow_secrets: bool,
) -> SyncReport:
    own = replica.replica_id()
    git = Git(replica.git_dir, deadline)
    git.init()
    report = SyncReport(replica_id=own, remote=url, direction=direction, dry_run=dry_run)
    state = replica.load()
    replica.restore_outbox(state)
    # A push needs only our own ref: the lease, and what someone else put there.
    wanted = REF_PREFIX + (own if direction == "push" else "")
    git.fetch(url, f"+{wanted}*:{wanted}*")
    fetched = git.refs(REF_PREFIX.rstrip("/"))
    if direction == "push":
        fetched = {ref: commit for ref, commit in fetched.items() if ref == wanted}
    _receive(journal, replica, git, state, fetched, own, report)
    if direction == "pull":
        if not dry_run:
            _finish(replica, git, state, url)
        return report
    if dry_run:
        scan = scan_own(
            journal.path,
            _scan_start(state, journal.path),
            replica.imported(),
            set(state.private),
            allow_secrets=allow_secrets,
        )
        report.sent = 0 if scan is None else len(scan.lines)
        report.held = None if scan is None else scan.held
        return report
    _collect_own(journal, replica, state, allow_secrets, report)
    _push(replica, git, state, url, REF_PREFIX + own, fetched.get(REF_PREFIX + own), report)
    _finish(replica, git, state, url)
    return report


def _finish(replica: Replica, git: Git, state: State, url: str) -> None:
    state.remote = url
    state.last_sync = format_timestamp(dt.datetime.now(dt.UTC))
    replica.save(state)
    git.tidy()


def _receive(
    journal: Journal,
    replica: Replica,
    git: Git,
    state: State,
    fetched: dict[str, str],
    own: str,
    report: SyncReport,
) -> None:
    """Take in the new lines of every other replica's ref (and of ours, if someone
    else moved it: what it holds that we lack is kept)."""
    limits = journal.settings.limits
    plans: list[tuple[str, str, str, int]] = []  # replica, segment, blob, start
    reads: dict[str, Theirs] = {}
    for ref, commit in sorted(fetched.items()):
        name = ref[len(REF_PREFIX) :]
        if not REPLICA_ID.fullmatch(name):
            report.skipped.append(Skipped(replica=name, where=ref, reason="not a replica id"))
            continue
        if name == own:
            if commit == state.published:
                continue
            before = Theirs(commit=commit)  # moved by someone else: read it whole
        else:
            known = state.theirs.get(name)
            if known is not None and known.commit == commit:
                continue
            if known is None or not git.is_ancestor(known.commit, commit):
                known = Theirs(commit=commit)  # new, or rewritten: read it whole again
            before = known
        after = reads[name] = Theirs(commit=commit)
        for mode, kind, blob, segment in git.tree_entries(commit):
            if mode != "100644" or kind != "blob" or not SEGMENT_NAME.fullmatch(segment):
                reason = f"not a segment file (mode {mode}, {kind})"
                report.skipped.append(Skipped(replica=name, where=segment, reason=reason))
                continue
            was = before.segments.get(segment)
            if was is not None and was.blob == blob:
                after.segments[segment] = was
                continue
            plans.append((name, segment, blob, 0 if was is None else was.size))
    contents = git.blobs(sorted({blob for _, _, blob, _ in plans}), _MAX_BLOB)
    received: list[Received] = []
    for name, segment, blob, start in plans:
        data = contents.get(blob)
        if data is None:
            reason = f"over {_MAX_BLOB >> 20} MiB, or missing"
            report.skipped.append(Skipped(replica=name, where=segment, reason=reason))
            reads[name].segments[segment] = Read(blob, start)
            continue
        if start > len(data):
            start = 0  # the segment was cut: read it again (ids keep it from doubling)
        lines, skipped, end = read_segment(name, segment, data, start, limits)
        received += lines
        report.skipped += skipped
        reads[name].segments[segment] = Read(blob, end)
    fresh = _new_events(journal, received, report)
    if not report.dry_run:
        replica.note_imported([item.event.event_id for item in fresh])
        for at in range(0, len(fresh), _IMPORT_BATCH):
            chunk = fresh[at : at + _IMPORT_BATCH]
            results = journal.import_lines([(item.event, item.line) for item in chunk])
            for item, result in zip(chunk, results, strict=True):
                if isinstance(result, InvalidEvent):
                    where = f"event {item.event.event_id}"
                    report.skipped.append(
                        Skipped(replica=item.replica, where=where, reason=str(result))
                    )
                else:
                    report.received += result
        for name, theirs in reads.items():
            if name != own:
                state.theirs[name] = theirs
        replica.save(state)
    else:
        report.received = len(fresh)


def _new_events(journal: Journal, received: list[Received], report: SyncReport) -> list[Received]:
    """The received events the journal lacks, in time order, each once; an id that
    comes with other content than the journal's (or a first sender's) is reported."""
    first: dict[str, Received] = {}
    for item in received:
        event_id = item.event.event_id
        seen = first.get(event_id)
        if seen is None:
            first[event_id] = item
        elif seen.line != item.line:
            report.conflicts.append(Conflict(event_id=event_id, replica=item.replica))
    held = journal.event_lines(list(first)) if first else {}
    fresh = []
    for event_id, item in first.items():
        line = held.get(event_id)
        if line is None:
            fresh.append(item)
        elif line != item.line:
            report.conflicts.append(Conflict(event_id=event_id, replica=item.replica))
    fresh.sort(key=lambda item: (item.event.timestamp, item.event.event_id))
    return fresh


def _scan_start(state: State, journal_path: Path) -> int:
    try:
        stat = journal_path.stat()
    except FileNotFoundError:
        return 0
    return state.scanned if state.journal == (stat.st_dev, stat.st_ino) else 0


def _collect_own(
    journal: Journal, replica: Replica, state: State, allow_secrets: bool, report: SyncReport
) -> None:
    """Move our new lines into the outbox, and record how far the journal was scanned."""
    start = _scan_start(state, journal.path)
    if start and journal.path.stat().st_size <= start:
        return  # nothing written since: the received ids need not even be read
    # A journal other than the one scanned (replaced, restored): scan it from its start,
    # leaving out what the outbox already holds.
    sent = _outbox_ids(replica, state) if start == 0 and state.scanned else None
    private = set(state.private)
    scan = scan_own(
        journal.path,
        start,
        replica.imported(),
        private,
        sent=sent,
        allow_secrets=allow_secrets,
    )
    if scan is None:
        return
    replica.add_to_outbox(state, scan.lines)
    state.journal, state.scanned = scan.identity, scan.end
    state.private = sorted(private)
    replica.save(state)
    report.sent = len(scan.lines)
    report.held = scan.held


def _outbox_ids(replica: Replica, state: State) -> set[str]:
    ids: set[str] = set()
    for name in replica.segments(state):
        for raw in (replica.outbox / name).read_bytes().split(b"\n"):
            event = msgspec.json.decode(raw) if raw else None
            if isinstance(event, dict) and isinstance(event.get("event_id"), str):
                ids.add(event["event_id"])
    return ids


def _push(
    replica: Replica,
    git: Git,
    state: State,
    url: str,
    ref: str,
    remote_has: str | None,
    report: SyncReport,
) -> None:
    """Commit the outbox as the tree of our ref and push it, unless the remote has it."""
    names = replica.segments(state)
    if not names:
        return
    changed = any(state.blobs.get(name, Read("", -1)).size != state.outbox[name] for name in names)
    if not changed and state.published is not None and remote_has == state.published:
        return
    blobs = dict(state.blobs)
    for name in names:
        if blobs.get(name, Read("", -1)).size != state.outbox[name]:
            blobs[name] = Read(git.hash_blob(replica.outbox / name), state.outbox[name])
    tree = git.make_tree([(name, blobs[name].blob) for name in names])
    # The last commit pushed, while this repository still has it.
    parent = state.published if state.published and git.has_commit(state.published) else None
    commit = git.commit(tree, parent, "task-journal events")
    git.push(url, commit, ref, remote_has)
    state.blobs, state.published = blobs, commit
    report.pushed = True


__all__ = ["Conflict", "SyncReport", "sync"]
