"""A full disk (ENOSPC): the append fails with a clear error, no partial line is left,
the server keeps serving, and appends work again once there is space.

Two disks, each named in the test id: a real 64 KiB tmpfs where this process may mount
(root with CAP_SYS_ADMIN), and everywhere a child whose os.write to the journal runs out
of a byte budget the way a real disk does (tests/faults/full_disk_child.py).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from tests.faults.stdio_server import StdioServer, error_text, journal_lines

# Bigger than a page, so it cannot fit in the space left in the journal's last page.
BIG_TEXT = "the disk is full " * 500


class FullDisk(Protocol):
    journal: Path

    def server(self) -> StdioServer: ...
    def fill(self) -> None: ...
    def free(self) -> None: ...


class Tmpfs:
    """A 64 KiB tmpfs mounted for the test; filled by a filler file."""

    def __init__(self, mountpoint: Path) -> None:
        self.mountpoint = mountpoint
        self.journal = mountpoint / "events.jsonl"
        self._filler = mountpoint / "filler"

    def server(self) -> StdioServer:
        return StdioServer(self.journal)

    def fill(self) -> None:
        with self._filler.open("wb", buffering=0) as filler:
            filler.write(bytes(64 * 1024))  # as big as the disk: a short write takes what is left
            with pytest.raises(OSError, match="No space left on device"):
                filler.write(b"\0")

    def free(self) -> None:
        self._filler.unlink()


class InjectedEnospc:
    """A real journal on the real disk, whose writes run out of a byte budget in the child."""

    def __init__(self, folder: Path) -> None:
        self.journal = folder / "journal" / "events.jsonl"
        self._budget = folder / "free-bytes"
        self.free()

    def server(self) -> StdioServer:
        return StdioServer(
            self.journal,
            env={"FULL_DISK_FREE_FILE": str(self._budget)},
            argv=(sys.executable, "-m", "tests.faults.full_disk_child"),
        )

    def fill(self) -> None:
        self._budget.write_text("100")  # room for part of a line: a short write, then ENOSPC

    def free(self) -> None:
        self._budget.write_text(str(1 << 40))


@pytest.fixture(params=["tmpfs", "injected-enospc"])
def full_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FullDisk]:
    if request.param == "injected-enospc":
        yield InjectedEnospc(tmp_path)
        return
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mount.stderr.strip()}); injected-enospc ran")
    try:
        yield Tmpfs(mountpoint)
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


@pytest.mark.slow
def test_full_disk_refuses_the_append_cleanly_and_the_server_keeps_serving(
    full_disk: FullDisk,
) -> None:
    with full_disk.server() as server:
        task_id = server.append(type="open", text="before the disk fills")["task_id"]
        before = full_disk.journal.read_bytes()
        full_disk.fill()
        refused = server.call(
            "append_event", {"type": "finding", "task_id": task_id, "text": BIG_TEXT}
        )
        on_the_full_disk = full_disk.journal.read_bytes()
        listed = server.call("list_tasks", {})
        full_disk.free()
        after = server.append(type="finding", task_id=task_id, text="after space was freed")

    assert "No space left on device" in error_text(refused)
    assert on_the_full_disk == before
    assert not listed.get("isError")
    assert [t["task_id"] for t in listed["structuredContent"]["tasks"]] == [task_id]
    assert [e["event_id"] for e in journal_lines(full_disk.journal)][1:] == [after["event_id"]]
