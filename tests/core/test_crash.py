"""A writer killed at any moment loses at most its torn last line, never an acknowledged event."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from journal_core import Journal, Settings, event_to_dict, new_event
from tests.core import appender

ROUNDS = 50
# The longest a child appends before its kill: some 100 events.
MAX_LIFE_S = 0.03


def _acknowledged(child: subprocess.Popen[str], first: str) -> list[str]:
    """The ids a killed child printed in full (a cut-off last id counts as not printed)."""
    rest, _ = child.communicate()
    return (first + rest).split("\n")[:-1]


class JournalAudit:
    """What the file must look like, kept in step with it between kills.

    ``settled`` is the file up to its last ``\\n`` when last looked at, every line of it
    checked; ``tail`` is what followed (a torn line, or nothing).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.settled = path.read_bytes()
        self.tail = b""
        self.ids = {json.loads(line)["event_id"] for line in self.settled.splitlines()}
        self.torn_lines = 0

    def check_next_append_kept_everything(self) -> None:
        """After an append, the file still starts with all it had, a torn tail now ended."""
        repaired = self.settled + (self.tail + b"\n" if self.tail else b"")
        assert self.path.read_bytes().startswith(repaired)

    def check_new_lines(self, acknowledged: list[str]) -> None:
        """Since the last look: a torn tail was ended, every other whole line is an event
        with an id not seen before, and every acknowledged id is in the file."""
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        fresh = data[len(self.settled) : end]
        if self.tail:
            assert fresh.startswith(self.tail + b"\n")
            fresh = fresh[len(self.tail) + 1 :]
            # A kill between a line's last brace and its "\n" leaves a whole event.
            try:
                self.ids.add(json.loads(self.tail)["event_id"])
            except ValueError:
                self.torn_lines += 1
        for line in fresh.splitlines():
            event_id = json.loads(line)["event_id"]
            assert event_id not in self.ids
            self.ids.add(event_id)
        assert set(acknowledged) <= self.ids
        self.settled, self.tail = data[:end], data[end:]


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_no_acknowledged_event(journal_path: Path) -> None:
    rng = random.Random()  # noqa: S311 - kill moments, not secrets
    journal = Journal(Settings(journal_path=journal_path))
    journal.open()
    task_id = journal.append(new_event(type="open", text="crash target")).task_id
    audit = JournalAudit(journal_path)
    for round_number in range(ROUNDS):
        # A process crash loses nothing acknowledged in either mode: only a machine crash
        # can undo a `flush`-mode answer.
        durability = ("always", "flush")[round_number % 2]
        child = appender.start(
            "loop", journal_path, "--task", task_id, "--durability", durability, "--threads", "2"
        )
        try:
            assert child.stdout is not None
            first = child.stdout.readline()
            assert first, "the child died before its first append"
            audit.check_next_append_kept_everything()
            time.sleep(rng.uniform(0, MAX_LIFE_S))
        finally:
            child.kill()
        acknowledged = _acknowledged(child, first)
        audit.check_new_lines(acknowledged)

    last = new_event(type="finding", text="after the last kill", task_id=task_id)
    journal.append(last)
    audit.check_next_append_kept_everything()
    audit.check_new_lines([last.event_id])
    assert json.loads(journal_path.read_bytes().splitlines()[-1]) == event_to_dict(last)
    report = journal.verify()
    journal.close()
    assert len(report.bad_lines) == audit.torn_lines
    assert report.events == len(audit.ids)


def test_process_killed_mid_write_loses_only_its_torn_line(journal_path: Path) -> None:
    journal = Journal(Settings(journal_path=journal_path))
    journal.open()
    task_id = journal.append(new_event(type="open", text="size-capped")).task_id
    before = journal_path.read_bytes()
    # The first write stops 100 bytes in at the size limit; the next one draws SIGXFSZ.
    child = appender.start(
        "fsize", journal_path, "--task", task_id, "--headroom", "100", "--die-at-limit"
    )
    out, _ = child.communicate(timeout=60)
    assert (child.returncode, out) == (-signal.SIGXFSZ, "")
    torn = journal_path.read_bytes()[len(before) :]
    assert torn
    assert b"\n" not in torn
    event = new_event(type="finding", text="after the kill", task_id=task_id)
    journal.append(event)
    after = journal_path.read_bytes()
    journal.close()
    repaired = before + (torn + b"\n" if torn else b"")
    assert after.startswith(repaired)
    assert json.loads(after[len(repaired) :]) == event_to_dict(event)
