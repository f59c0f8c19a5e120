"""An append waits for a lock held by another process, then fails busy, writing nothing."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from journal_core import Journal, JournalBusy, Settings, new_event
from tests.core import lock_holder

LOCK_TIMEOUT = 0.5
# Before the fix each left a thread and a descriptor waiting in flock.
BUSY_APPENDS = 200


@pytest.fixture
def journal(journal_path: Path) -> Iterator[Journal]:
    j = Journal(Settings(journal_path=journal_path, lock_timeout=LOCK_TIMEOUT))
    j.open()
    yield j
    j.close()


@pytest.mark.parametrize(
    ("kind", "suffix"),
    [
        pytest.param("filelock", ".lock", id="sidecar-filelock"),
        pytest.param("flock", "", id="flock-on-journal"),
    ],
)
def test_lock_held_by_another_process_makes_append_busy_then_free(
    journal: Journal, task_id: str, kind: str, suffix: str
) -> None:
    before = journal.path.read_bytes()
    holder = lock_holder.start(kind, Path(f"{journal.path}{suffix}"))
    try:
        with pytest.raises(JournalBusy) as refused:
            journal.append(new_event(type="finding", text="blocked", task_id=task_id))
    finally:
        lock_holder.release(holder)
    assert refused.value.timeout == LOCK_TIMEOUT
    assert refused.value.path == journal.path
    assert "busy" in str(refused.value)
    assert journal.path.read_bytes() == before
    event = new_event(type="finding", text="through", task_id=task_id)
    assert journal.append(event).event_id == event.event_id


def test_appends_timing_out_on_a_held_lock_leave_no_thread_or_descriptor_behind(
    journal_path: Path,
) -> None:
    journal = Journal(Settings(journal_path=journal_path, lock_timeout=0.002))
    journal.open()
    task_id = journal.append(new_event(type="open", text="before the hold")).task_id
    holder = lock_holder.start("filelock", Path(f"{journal_path}.lock"))
    try:
        threads, descriptors = threading.active_count(), len(os.listdir("/proc/self/fd"))
        event = new_event(type="finding", text="blocked", task_id=task_id)
        for _ in range(BUSY_APPENDS):
            with pytest.raises(JournalBusy):
                journal.append(event)
        # One thread waits in the kernel's lock queue for all of them, on one descriptor.
        assert threading.active_count() == threads + 1
        assert len(os.listdir("/proc/self/fd")) == descriptors + 1
    finally:
        lock_holder.release(holder)
        journal.close()


@pytest.mark.parametrize(
    ("kind", "suffix"),
    [
        pytest.param("filelock", ".lock", id="sidecar-filelock"),
        pytest.param("flock", "", id="flock-on-journal"),
    ],
)
def test_try_append_on_a_held_lock_does_nothing_and_says_so(
    journal: Journal, task_id: str, kind: str, suffix: str
) -> None:
    before = journal.path.read_bytes()
    holder = lock_holder.start(kind, Path(f"{journal.path}{suffix}"))
    try:
        tried = journal.try_append(new_event(type="finding", text="not now", task_id=task_id))
    finally:
        lock_holder.release(holder)
    assert tried is None
    assert journal.path.read_bytes() == before
    event = new_event(type="finding", text="now", task_id=task_id)
    appended = journal.try_append(event)
    assert appended is not None
    assert appended.event_id == event.event_id


def test_a_hung_process_holding_the_sync_record_does_not_stop_durable_appends(
    journal_path: Path,
) -> None:
    journal = Journal(Settings(journal_path=journal_path, durability="always"))
    journal.open()
    task_id = journal.append(new_event(type="open", text="before the hang")).task_id
    holder = lock_holder.start("sync-record", Path(f"{journal_path}.lock"))
    try:
        before = journal.stats().fsyncs
        result = journal.append(new_event(type="finding", text="synced alone", task_id=task_id))
        assert result.durable is True
        assert journal.stats().fsyncs == before + 1
    finally:
        holder.kill()  # a hung process is killed, and its lock dies with it
        holder.communicate()
        journal.close()
