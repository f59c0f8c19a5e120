"""Faults: an unreachable remote, a refused push, two syncs at once, a rewritten ref,
and a sync killed at any moment: nothing lost or doubled, the next sync completes."""

from __future__ import annotations

import fcntl
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from journal_core.sync.replica import Replica
from tests.sync.conftest import Member, Team, git, remote_lines, replica_ids, rewrite_ref


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("task-journal: error: sync failed: ")
    return lines[0]


def test_an_unreachable_remote_is_one_line_and_exit_1(team: Team, tmp_path: Path) -> None:
    a = team.members[0]
    a.open_task("Written before the remote went away")
    done = a.cli("sync", "--remote", str(tmp_path / "gone.git"))
    _one_error_line(done)
    assert a.cli("sync").returncode == 0
    assert len(remote_lines(team.remote, replica_ids(team.remote)[0])) == 1


def test_a_missing_remote_name_says_how_to_add_one(team: Team) -> None:
    line = _one_error_line(team.members[0].cli("sync", "--remote", "upstream"))
    assert "git remote add" in line


def test_a_refused_push_fails_and_the_next_sync_completes(team: Team) -> None:
    a, b, _ = team.members
    hook = team.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'refs are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    a.open_task("Kept while the remote refuses")
    _one_error_line(a.cli("sync"))
    hook.unlink()
    assert a.cli("sync").returncode == 0
    b.sync()
    assert set(b.lines()) == set(a.lines())


def test_a_sync_waits_for_another_of_the_same_journal(team: Team) -> None:
    a = team.members[0]
    a.open_task("Two syncs at once")
    replica = Replica(a.journal_path)
    replica.folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(replica.folder / "lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        line = _one_error_line(a.cli("sync", "--timeout", "1"))
        assert "another sync" in line
    finally:
        os.close(fd)
    assert a.cli("sync").returncode == 0


def test_a_rewritten_ref_of_another_replica_loses_and_doubles_nothing(team: Team) -> None:
    a, b, c = team.members
    task = a.open_task("Rewritten upstream")
    a.append(task, "first finding")
    a_id = a.sync().replica_id
    b.sync()
    # Someone replaces a's ref with a history of one line, unrelated to the first.
    rewrite_ref(team.remote, a_id, remote_lines(team.remote, a_id)[:1])
    b.append(task, "b adds to it")
    b.sync()  # reads the rewritten ref again: nothing new, nothing doubled
    a.sync()  # a finds its own ref rewritten: it publishes its lines again
    b.sync()
    c.sync()
    assert len(remote_lines(team.remote, a_id)) == 2
    for member in (a, b, c):
        assert max(member.ids().values()) == 1
        assert len(member.lines()) == 3


@pytest.mark.slow
def test_a_sync_killed_at_any_moment_then_run_again_loses_and_doubles_nothing(
    team: Team,
) -> None:
    a, b, _ = team.members
    pick = random.Random(20)  # noqa: S311  # seeded kill times, not a secret
    task_a = a.open_task("a under kills")
    task_b = b.open_task("b under kills")
    for round_ in range(6):
        for member, task in ((a, task_a), (b, task_b)):
            for number in range(pick.randint(1, 30)):
                member.append(task, f"round {round_} line {number}")
        victim = pick.choice((a, b))
        process = victim.start_sync()
        time.sleep(pick.uniform(0.05, 1.5))
        os.killpg(process.pid, signal.SIGKILL)  # the sync and any git it runs
        process.wait()
    for member in (a, b, a, b):
        assert member.cli("sync").returncode == 0
    assert set(a.lines()) == set(b.lines())
    for member in (a, b):
        assert max(member.ids().values()) == 1
    published = [
        line for rid in replica_ids(team.remote) for line in remote_lines(team.remote, rid)
    ]
    assert len(published) == len(set(published)) == len(a.lines())


def _snapshot(member: Member) -> dict[str, bytes]:
    return {
        str(path.relative_to(member.root)): path.read_bytes()
        for path in sorted(member.root.rglob("*"))
        if path.is_file()
    }


def test_the_users_repository_is_byte_for_byte_the_same_after_sync(team: Team) -> None:
    a, b, _ = team.members
    (a.root / "wip.txt").write_text("work in progress\n")
    git(a.root, "add", "wip.txt")
    (a.root / "README").write_text("edited, not staged\n")
    git(a.root, "tag", "v1")
    git(a.root, "branch", "feature")
    (a.root / "stashed").write_text("x\n")
    git(a.root, "stash", "push", "--quiet", "--include-untracked", "--", "stashed")
    task = a.open_task("Leaves the repository alone")
    assert a.journal_path.exists()  # the repository names its journal (.git/task-journal)
    before = _snapshot(a)
    b.open_task("From b")
    b.sync()
    a.sync()
    a.append(task, "again")
    a.sync()
    assert _snapshot(a) == before


def test_lock_files_left_by_a_killed_git_do_not_stop_the_next_sync(team: Team) -> None:
    a, b, _ = team.members
    task = a.open_task("Fetched after a kill")
    a_id = a.sync().replica_id
    b.sync()
    a.append(task, "new since")
    a.sync()
    private = Replica(b.journal_path).git_dir
    (private / "refs" / "task-journal" / f"{a_id}.lock").write_text("")
    (private / "packed-refs.lock").write_text("")
    b.sync()
    assert set(b.lines()) == set(a.lines())


def test_two_syncs_of_one_journal_at_once_take_turns(team: Team) -> None:
    a, b, _ = team.members
    task = b.open_task("Sent to a")
    b.append(task, "twice over")
    b.sync()
    a.open_task("From a")
    running = [a.start_sync() for _ in range(2)]
    assert [process.wait(timeout=120) for process in running] == [0, 0]
    assert max(a.ids().values()) == 1
    assert len(a.lines()) == 3


def test_a_sync_file_that_cannot_be_used_is_one_line_and_exit_1(team: Team) -> None:
    a = team.members[0]
    a.open_task("Its sync state is broken")
    a.sync()
    state = Replica(a.journal_path).folder / "state.json"
    state.unlink()
    state.mkdir()  # in the way of the state file, even for root
    line = _one_error_line(a.cli("sync"))
    assert "state.json" in line
