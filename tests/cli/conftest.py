"""Running ``task-journal``: the installed console script as a real process, or main() in process.

Every test gets an environment of its own: TASK_JOURNAL_PATH names a fresh journal and
TASK_JOURNAL_DATA_DIR a temporary folder, so nothing reads or writes the real home.
"""

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.cli import main

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
