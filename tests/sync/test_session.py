"""What a person and a session see of sync: the status line's and doctor's counts of
unsent events, and the session hooks' sync, bounded and never failing."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.conftest import Team, git, remote_lines, replica_ids, rewrite_ref


def test_the_status_line_counts_events_not_yet_sent(team: Team) -> None:
    a = team.members[0]
    task = a.open_task("Counted")
    assert "unsent" not in a.cli("statusline").stdout  # never synced: no count
    a.sync()
    a.append(task, "one")
    a.append(task, "two")
    assert a.cli("statusline").stdout.strip().endswith("· unsent: 2]")
    a.sync()
    assert "unsent" not in a.cli("statusline").stdout


def test_doctor_reports_the_replica_remote_last_sync_and_unsent(team: Team) -> None:
    a = team.members[0]
    task = a.open_task("Diagnosed")
    replica = a.sync().replica_id
    a.append(task, "not sent yet")
    checks = json.loads(a.cli("doctor", "--json").stdout)["checks"]
    sync = next(check for check in checks if check["name"] == "sync")
    assert replica in sync["detail"]
    assert str(team.remote) in sync["detail"]
    assert "1 events not sent" in sync["detail"]


@pytest.fixture
def silent_remote() -> Iterator[str]:
    """A URL whose server accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/team.git"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_a_session_hook_never_waits_long_and_warns_once(team: Team, silent_remote: str) -> None:
    a = team.members[0]
    a.open_task("A session on a train")
    git(a.root, "remote", "set-url", "origin", silent_remote)
    payload = json.dumps({"cwd": str(a.root), "hook_event_name": "SessionEnd"})
    first = a.cli_input(payload, "sync", "--hook", "--timeout", "1")
    assert first.returncode == 0
    assert first.stdout == ""
    assert first.stderr.count("warning: sync:") == 1
    second = a.cli_input(payload, "sync", "--hook", "--timeout", "1")
    assert (second.returncode, second.stdout, second.stderr) == (0, "", "")
    git(a.root, "remote", "set-url", "origin", str(team.remote))
    assert a.cli_input(payload, "sync", "--hook").returncode == 0
    assert len(team.members[1].sync().replica_id) == 16
    assert len(team.members[1].lines()) == 1


def test_a_session_hook_in_a_project_without_a_remote_says_nothing(tmp_path: Path) -> None:
    from tests.sync.conftest import Member

    root = tmp_path / "alone"
    root.mkdir()
    member = Member(root=root, data=tmp_path / "data")
    done = member.cli_input(json.dumps({"cwd": str(root)}), "sync", "--hook")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert not (tmp_path / "data").exists()


def test_a_pull_takes_in_the_others_events_and_sends_none(team: Team) -> None:
    a, b = team.members[:2]
    a.open_task("Shared")
    a.sync()
    mine = b.open_task("Not sent by a pull")

    pulled = b.sync(direction="pull")

    assert (pulled.received, pulled.sent, pulled.pushed) == (1, 0, False)
    assert len(b.lines()) == 2
    assert replica_ids(team.remote) == [a.sync().replica_id]
    assert mine not in {json.loads(line)["task_id"] for line in a.lines()}


def test_a_push_sends_ours_and_takes_in_nothing(team: Team) -> None:
    a, b = team.members[:2]
    a.open_task("Theirs")
    a.sync()
    b.open_task("Ours")

    pushed = b.sync(direction="push")

    assert (pushed.received, pushed.sent, pushed.pushed) == (0, 1, True)
    assert len(b.lines()) == 1
    assert remote_lines(team.remote, pushed.replica_id) == b.lines()


def test_a_push_keeps_what_someone_else_put_under_our_ref(team: Team) -> None:
    # A push leases our ref at what the remote holds; if someone else rewrote it, what it
    # holds that we lack is taken in, and our own lines are published again.
    a, b = team.members[:2]
    first = a.open_task("First")
    replica = a.sync().replica_id
    b.open_task("Slipped under a's ref")
    rewrite_ref(team.remote, replica, a.lines() + b.lines())
    a.append(first, "Written here")

    a.sync(direction="push")

    assert sorted(a.ids()) == sorted({*a.ids(), *b.ids()})
    assert len(a.lines()) == 3
    assert remote_lines(team.remote, replica) == [
        line for line in a.lines() if line not in b.lines()
    ]


def test_the_session_hooks_pull_at_start_and_push_at_end(team: Team) -> None:
    a, b = team.members[:2]
    a.open_task("From a")
    a.sync()
    b.open_task("From b")
    start = json.dumps({"cwd": str(b.root), "hook_event_name": "SessionStart"})

    assert b.cli_input(start, "sync", "--hook", "--pull").returncode == 0
    assert len(b.lines()) == 2
    assert "From b" not in str(a.sync())
    assert len(a.lines()) == 1

    end = json.dumps({"cwd": str(b.root), "hook_event_name": "SessionEnd"})
    assert b.cli_input(end, "sync", "--hook", "--push").returncode == 0
    assert a.sync().received == 1
    assert sorted(a.ids()) == sorted(b.ids())
