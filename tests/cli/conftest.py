"""Running ``task-journal``: the installed console script as a real process, or main() in process.

Every test gets an environment of its own: TASK_JOURNAL_PATH names a fresh journal and
TASK_JOURNAL_DATA_DIR a temporary folder, so nothing reads or writes the real home.
"""

import datetime as dt
import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from server.cli import main, render

CLI = Path(sys.executable).with_name("task-journal")


@dataclass(frozen=True)
class Outcome:
    """What a run of the command line left: its exit status and its two streams."""

    status: int
    stdout: str
    stderr: str


def run_cli(
    *args: str,
    stdin: bytes = b"",
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Outcome:
    """Run the installed ``task-journal`` script as a subprocess."""
    done = subprocess.run(
        [str(CLI), *args],
        input=stdin,
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )
    return Outcome(done.returncode, done.stdout.decode(), done.stderr.decode())


CallMain = Callable[..., Outcome]


@pytest.fixture
def call_main(capsys: pytest.CaptureFixture[str]) -> CallMain:
    """Run ``main(argv)`` in this process (fast) and capture what it printed."""

    def call(*args: str) -> Outcome:
        status = main(list(args))
        out, err = capsys.readouterr()
        return Outcome(status, out, err)

    return call


@pytest.fixture(autouse=True)
def private_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No TASK_JOURNAL_* of the caller, and a data dir in tmp: no test touches the real home."""
    for name in list(os.environ):
        if name.startswith(("TASK_JOURNAL_", "XDG_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TASK_JOURNAL_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def journal(journal_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The journal every command uses by default (via TASK_JOURNAL_PATH); not created yet."""
    monkeypatch.setenv("TASK_JOURNAL_PATH", str(journal_path))
    return journal_path


@pytest.fixture
def task_id(journal: Path, call_main: CallMain) -> str:
    """A task opened in the journal; its id."""
    outcome = call_main("append", "open", "Fix the flaky upload test", "--title", "Flaky upload")
    assert outcome.status == 0, outcome.stderr
    return outcome.stdout.split()[1]


@pytest.fixture
def zone() -> Iterator[Callable[[str], None]]:
    """Set this process's local time zone (``zone("Asia/Kolkata")``); put back after."""
    before = os.environ.get("TZ")

    def set_zone(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield set_zone
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


NOW = dt.datetime(2026, 12, 2, 15, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """Make "now", which human output counts "3 hours ago" from, 2026-12-02 15:00 UTC."""
    monkeypatch.setattr(render, "now", lambda: NOW.astimezone())
    return NOW


def event_line(**fields: Any) -> dict[str, Any]:
    """A whole event as a journal line holds it: these fields over sound defaults."""
    event: dict[str, Any] = {
        "event_id": "01KMZ3T4J8Q7W2E5R6T7Y8V9H0",
        "schema_version": "1.0",
        "task_id": "tj-8f3k2m9q1z",
        "type": "finding",
        "timestamp": "2026-12-02T12:00:00.000Z",
        "author": "agent",
        "source": "chat",
        "text": "Fails only after test_auth",
        "refs": {},
        "status": "confirmed",
        "meta": {},
    }
    event.update(fields)
    return event


def write_events(journal: Path, *events: dict[str, Any]) -> None:
    """Append these events to the journal file as lines, as any writer would have."""
    journal.parent.mkdir(parents=True, exist_ok=True)
    with journal.open("ab") as file:
        for event in events:
            file.write(json.dumps(event).encode() + b"\n")


def run_in_terminal(*args: str, env: dict[str, str] | None = None, columns: int = 100) -> Outcome:
    """Run the installed ``task-journal`` with stdout and stderr on a pseudo-terminal
    ``columns`` wide, as a person at a terminal would; what it wrote, both streams
    together, with the terminal's line ends made plain ``\\n``."""
    environ = {**os.environ, "TERM": "xterm-256color", **(env or {})}
    environ.pop("COLUMNS", None)
    if env is not None and "NO_COLOR" not in env:
        environ.pop("NO_COLOR", None)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    with subprocess.Popen(
        [str(CLI), *args], stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=environ
    ) as child:
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            output += chunk
        status = child.wait(timeout=60)
    os.close(leader)
    return Outcome(status, output.decode().replace("\r\n", "\n"), "")
