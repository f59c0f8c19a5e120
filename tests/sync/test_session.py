"""What a person and a session see of sync: the status line's and doctor's counts of
unsent events, and the session hooks' sync, bounded and never failing."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.conftest import Team, git


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
