"""An append waits for a lock held by another process, then fails busy, writing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from journal_core import Journal, JournalBusy, Settings, new_event
from tests.core import lock_holder

LOCK_TIMEOUT = 0.5


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
