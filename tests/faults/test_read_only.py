"""The journal's folder turned read-only under a running server: appends fail with a
clear error and write nothing, reads keep answering, and appends work again once the
folder is writable.

Two ways, each named in the test id: `chmod -R a-w` on the folder, and a read-only bind
mount over it (where this process may mount). Root ignores file modes, so for the first,
when the tests run as root, the server runs without the capabilities that let it
(setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH): the modes it meets are then as
real as for any user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from tests.faults.stdio_server import PROGRAM, StdioServer, error_text, journal_lines


class ReadOnly(Protocol):
    argv: tuple[str, ...]
    error: str

    def apply(self) -> None: ...
    def undo(self) -> None: ...


class ModesReadOnly:
    """`chmod -R a-w` on the folder, and back to the modes the journal gives its files."""

    error = "Permission denied"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.argv: tuple[str, ...] = (str(PROGRAM),)
        if os.geteuid() == 0:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root, and setpriv (util-linux) is missing")
            self.argv = (setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *self.argv)

    def apply(self) -> None:
        self._chmod(0o500, 0o400)

    def undo(self) -> None:
        self._chmod(0o700, 0o600)

    def _chmod(self, folder_mode: int, file_mode: int) -> None:
        for path in self.folder.iterdir():
            path.chmod(file_mode)
        self.folder.chmod(folder_mode)


class MountReadOnly:
    """A read-only bind mount of the folder over itself; the server's open file stays open."""

    error = "Read-only file system"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.argv: tuple[str, ...] = (str(PROGRAM),)

    def apply(self) -> None:
        self._mount("--bind")
        self._mount("-o", "remount,bind,ro")

    def undo(self) -> None:
        subprocess.run(["umount", str(self.folder)], check=True)

    def _mount(self, *options: str) -> None:
        subprocess.run(["mount", *options, str(self.folder), str(self.folder)], check=True)


@pytest.fixture(params=["chmod", "read-only-mount"])
def read_only(request: pytest.FixtureRequest, journal_path: Path) -> Iterator[ReadOnly]:
    folder = journal_path.parent
    folder.mkdir(mode=0o700)
    if request.param == "chmod":
        yield ModesReadOnly(folder)
        return
    probe = subprocess.run(
        ["mount", "--bind", str(folder), str(folder)], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot bind-mount here ({probe.stderr.strip()}); the chmod case ran")
    subprocess.run(["umount", str(folder)], check=True)
    yield MountReadOnly(folder)


@pytest.mark.slow
def test_read_only_folder_refuses_appends_clearly_and_reads_answer(
    journal_path: Path, read_only: ReadOnly
) -> None:
    env = {"TASK_JOURNAL_LOCK_TIMEOUT": "2"}
    with StdioServer(journal_path, argv=read_only.argv, env=env) as server:
        task_id = server.append(type="open", text="before the folder turned read-only")["task_id"]
        before = journal_path.read_bytes()
        read_only.apply()
        try:
            refused = server.call(
                "append_event", {"type": "finding", "task_id": task_id, "text": "refused"}
            )
            read = server.call("read_events", {"task_id": task_id})
            during = journal_path.read_bytes()
        finally:
            read_only.undo()
        after = server.append(type="finding", task_id=task_id, text="writable again")

    message = error_text(refused)
    assert str(journal_path) in message
    assert read_only.error in message
    assert during == before
    assert not read.get("isError")
    assert [e["text"] for e in read["structuredContent"]["events"]] == [
        "before the folder turned read-only"
    ]
    assert [e["event_id"] for e in journal_lines(journal_path)][1:] == [after["event_id"]]
