"""A Ctrl-C while an append waits for the journal's lock ends it at once (exit 130), on
whichever thread the kernel hands the signal to: only the waiting caller's thread can
take it, since Python runs signal handlers in the main thread alone."""

from __future__ import annotations

import fcntl
import os
import signal
import threading
import time
from pathlib import Path

from journal_core.sidecar import Sidecar


def _blocked_signals(thread: threading.Thread) -> int:
    status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("SigBlk:"))[7:], 16)


def test_the_thread_queued_for_the_lock_leaves_ctrl_c_to_the_waiting_caller(
    tmp_path: Path,
) -> None:
    lock = tmp_path / "events.jsonl.lock"
    held = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)  # another writer's
    sidecar = Sidecar(lock)
    waiter = threading.Thread(target=sidecar.acquire, args=(time.monotonic() + 10,))
    waiter.start()
    try:
        blocked = 0
        for _ in range(200):
            queue = [
                thread
                for thread in threading.enumerate()
                if thread.name == "journal-lock-queue" and thread.native_id is not None
            ]
            if queue and (blocked := _blocked_signals(queue[0])):
                break
            time.sleep(0.01)
        assert blocked & (1 << (signal.SIGINT - 1))
        assert blocked & (1 << (signal.SIGTERM - 1))
    finally:
        fcntl.flock(held, fcntl.LOCK_UN)
        os.close(held)
        waiter.join()
        sidecar.release()
        sidecar.close()
