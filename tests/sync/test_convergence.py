"""Every journal holds the same events once every replica has synced twice."""

from __future__ import annotations

import json
import random

import msgspec
import pytest

from journal_core import new_event
from tests.sync.conftest import Member, Team, remote_lines, replica_ids


def _work(member: Member, name: str, count: int) -> str:
    task = member.open_task(f"{name} retries the upload")
    for number in range(count):
        member.append(task, f"{name} finding {number} about retry backoff")
    return task


@pytest.mark.parametrize("seed", [1, 2])
def test_two_rounds_in_any_order_give_every_journal_the_same_events(team: Team, seed: int) -> None:
    order = random.Random(seed)  # noqa: S311  # a seeded order, not a secret
    for member, name in zip(team.members, "abc", strict=True):
        _work(member, name, order.randint(1, 4))
    for _ in range(2):
        for member in order.sample(team.members, len(team.members)):
            member.sync()
    sets = [set(member.lines()) for member in team.members]
    assert sets[0] == sets[1] == sets[2]
    for member in team.members:
        assert max(member.ids().values()) == 1  # no event twice


def test_concurrent_syncs_of_three_processes_converge(team: Team) -> None:
    for member, name in zip(team.members, "abc", strict=True):
        _work(member, name, 2)
    for _ in range(2):
        running = [member.start_sync() for member in team.members]
        for process in running:
            process.wait(timeout=120)
    # A push may have lost its race to another's (each ref has one writer, but the
    # fetch they all read from moved): a third round settles what a second started.
    for member in team.members:
        assert member.cli("sync").returncode == 0
    sets = [set(member.lines()) for member in team.members]
    assert sets[0] == sets[1] == sets[2]
    assert len(sets[0]) == 9


def test_reads_agree_across_the_replicas(team: Team) -> None:
    tasks = [_work(member, name, 3) for member, name in zip(team.members, "abc", strict=True)]
    for _ in range(2):
        for member in team.members:
            member.sync()

    def reads(member: Member) -> tuple[object, ...]:
        journal = member.journal()
        try:
            listed = journal.list_tasks(status="any").tasks
            found = journal.search("retry backoff", limit=100).hits
            return (
                sorted(msgspec.json.encode(task) for task in listed),
                sorted(msgspec.json.encode(hit) for hit in found),
                {task: msgspec.json.encode(journal.task_pack(task)) for task in tasks},
            )
        finally:
            journal.close()

    assert reads(team.members[0]) == reads(team.members[1]) == reads(team.members[2])


def test_received_lines_are_kept_byte_for_byte(team: Team) -> None:
    a, b, _ = team.members
    task = a.open_task("Lines of another writer")
    # A newer writer's line: its own field order, a field we do not know.
    event = msgspec.json.decode(
        msgspec.json.encode(new_event(type="finding", text="odd but valid", task_id=task))
    )
    line = json.dumps({"zz_future": [1], **dict(reversed(list(event.items())))}).encode() + b"\n"
    with a.journal_path.open("ab") as file:
        file.write(line)
    a.sync()
    b.sync()
    assert line in b.lines()


def test_a_replica_publishes_only_its_own_events(team: Team) -> None:
    a, b, c = team.members
    _work(a, "a", 2)
    _work(b, "b", 1)
    for member in (a, b, c, a, b, c):
        member.sync()
    own = {member.sync().replica_id: set(member.lines()) for member in (a, b)}
    assert set(replica_ids(team.remote)) == set(own)  # c wrote nothing: no ref
    a_id, b_id = own
    assert set(remote_lines(team.remote, a_id)).isdisjoint(remote_lines(team.remote, b_id))
    assert len(remote_lines(team.remote, a_id)) == 3
    assert len(remote_lines(team.remote, b_id)) == 2


def test_a_fresh_clone_gets_the_team_events_with_one_sync(team: Team, tmp_path: object) -> None:
    a, b, _ = team.members
    _work(a, "a", 2)
    a.sync()
    assert b.cli("sync").returncode == 0
    assert set(b.lines()) == set(a.lines())


def test_a_push_sends_only_the_new_bytes_of_a_segment(team: Team) -> None:
    a = team.members[0]
    task = _work(a, "a", 1)
    replica = a.sync().replica_id
    before = b"".join(remote_lines(team.remote, replica))
    a.append(task, "one more")
    a.sync()
    after = b"".join(remote_lines(team.remote, replica))
    assert after.startswith(before)
    assert len(after) > len(before)


def test_a_dry_run_writes_and_pushes_nothing(team: Team) -> None:
    a, b, _ = team.members
    _work(a, "a", 2)
    a.sync()
    _work(b, "b", 1)
    before = (b.lines(), replica_ids(team.remote))
    report = b.sync(dry_run=True)
    assert (report.received, report.sent, report.pushed) == (3, 2, False)
    assert (b.lines(), replica_ids(team.remote)) == before
