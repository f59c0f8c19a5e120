"""A process that takes the journal's lock and hangs: appends fail with "journal busy"
after the lock timeout, writing nothing, while the read tools keep answering."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core import lock_holder
from tests.faults.stdio_server import StdioServer, error_text, journal_lines

# Long enough that the reads sent after the append are surely answered while it waits.
LOCK_TIMEOUT = "2"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "suffix"),
    [
        pytest.param("filelock", ".lock", id="sidecar-lock-of-a-python-writer"),
        pytest.param("flock", "", id="flock-of-a-rust-writer"),
    ],
)
def test_hung_lock_holder_makes_appends_busy_while_reads_answer(
    journal_path: Path, kind: str, suffix: str
) -> None:
    with StdioServer(journal_path, env={"TASK_JOURNAL_LOCK_TIMEOUT": LOCK_TIMEOUT}) as server:
        task_id = server.append(type="open", text="before the hang")["task_id"]
        before = journal_path.read_bytes()
        holder = lock_holder.start(kind, Path(f"{journal_path}{suffix}"))
        try:
            append = server.send_call(
                "append_event", {"type": "finding", "task_id": task_id, "text": "blocked"}
            )
            read = server.send_call("read_events", {"task_id": task_id})
            tasks = server.send_call("list_tasks", {})
            replies = [server.reply() for _ in range(3)]
            during = journal_path.read_bytes()
        finally:
            holder.kill()  # a hung process is killed, and its lock dies with it
            holder.communicate()
        after = server.append(type="finding", task_id=task_id, text="after the kill")

    # Both reads are answered while the append still waits for the lock; the two
    # reads run in worker threads side by side, so either may answer first.
    answered = [reply["id"] for reply in replies]
    assert answered[2] == append
    assert set(answered[:2]) == {read, tasks}
    results = {reply["id"]: reply["result"] for reply in replies}
    read_result, tasks_result, append_result = results[read], results[tasks], results[append]
    assert not read_result.get("isError")
    assert len(read_result["structuredContent"]["events"]) == 1
    assert not tasks_result.get("isError")
    assert [t["task_id"] for t in tasks_result["structuredContent"]["tasks"]] == [task_id]
    assert "journal busy" in error_text(append_result)
    assert during == before
    assert [event["event_id"] for event in journal_lines(journal_path)][1:] == [after["event_id"]]
