"""The journal under load: every acknowledged event on disk, whole, exactly once.

For ``--seconds`` (default 60) it runs, on one fresh journal, 4 ``task-journal-mcp``
servers (stdio) each appending events as fast as it answers, 2 command-line loops each
running ``task-journal append`` again and again, and a ``task-journal rebuild-state``
every 0.5 s. Then it reads the file and checks each acknowledged event: lost (not in
the file), duplicated (more than once) and torn (lines that are not whole JSON), and
that a scan and the index agree (``verify``). Prints one table.

Run: ``python bench/load.py [--seconds 60]``.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent
SERVERS = 4
CLI_LOOPS = 2
REBUILD_EVERY_S = 0.5


def cli(journal: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "task-journal"), "--journal", str(journal), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class Tally:
    """What each writer had acknowledged, and how often things failed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acknowledged: dict[str, list[str]] = collections.defaultdict(list)
        self.failures: collections.Counter[str] = collections.Counter()

    def ack(self, writer: str, event_id: str) -> None:
        with self.lock:
            self.acknowledged[writer].append(event_id)

    def fail(self, writer: str) -> None:
        with self.lock:
            self.failures[writer] += 1


class Server:
    """A task-journal-mcp child spoken to in JSON-RPC lines, initialized."""

    def __init__(self, journal: Path) -> None:
        self.child = subprocess.Popen(
            [str(BIN / "task-journal-mcp"), "--journal", str(journal)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.ask(
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "load", "version": "0"},
                },
            }
        )
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message: dict[str, object]) -> None:
        assert self.child.stdin is not None
        self.child.stdin.write(json.dumps(message).encode() + b"\n")
        self.child.stdin.flush()

    def ask(self, message: dict[str, object]) -> dict[str, object]:
        assert self.child.stdout is not None
        self.send(message)
        while True:
            reply: dict[str, object] = json.loads(self.child.stdout.readline())
            if reply.get("id") == message["id"]:
                return reply

    def stop(self) -> None:
        assert self.child.stdin is not None
        self.child.stdin.close()
        self.child.wait(60)


def server_loop(server: Server, task: str, name: str, stop: threading.Event, tally: Tally) -> None:
    number = 0
    while not stop.is_set():
        number += 1
        arguments = {"type": "finding", "task_id": task, "text": f"{name} {number}"}
        reply = server.ask(
            {
                "jsonrpc": "2.0",
                "id": number,
                "method": "tools/call",
                "params": {"name": "append_event", "arguments": arguments},
            }
        )
        result = reply.get("result")
        if isinstance(result, dict) and not result.get("isError"):
            tally.ack(name, result["structuredContent"]["event_id"])
        else:
            tally.fail(name)
    server.stop()


def cli_loop(journal: Path, task: str, name: str, stop: threading.Event, tally: Tally) -> None:
    number = 0
    while not stop.is_set():
        number += 1
        done = cli(journal, "append", "finding", f"{name} {number}", "--task", task, "--json")
        if done.returncode == 0:
            tally.ack(name, json.loads(done.stdout)["event_id"])
        else:
            tally.fail(name)


def rebuild_loop(journal: Path, stop: threading.Event, tally: Tally) -> None:
    while not stop.wait(REBUILD_EVERY_S):
        done = cli(journal, "rebuild-state")
        tally.ack("rebuild-state", "") if done.returncode == 0 else tally.fail("rebuild-state")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    seconds = parser.parse_args().seconds
    with tempfile.TemporaryDirectory() as folder:
        journal = Path(folder) / "load.jsonl"
        task = cli(journal, "create", "Under load").stdout.strip()
        stop, tally = threading.Event(), Tally()
        # Started one after another here: children spawned from several threads at once
        # can hold each other's pipe ends.
        servers = [Server(journal) for _ in range(SERVERS)]
        threads = [
            *(
                threading.Thread(
                    target=server_loop, args=(server, task, f"server {n}", stop, tally)
                )
                for n, server in enumerate(servers, start=1)
            ),
            *(
                threading.Thread(target=cli_loop, args=(journal, task, f"cli {n}", stop, tally))
                for n in range(1, CLI_LOOPS + 1)
            ),
            threading.Thread(target=rebuild_loop, args=(journal, stop, tally)),
        ]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join()
        lines = journal.read_bytes().split(b"\n")
        torn, counts = 0, collections.Counter[str]()
        for line in lines[:-1]:
            try:
                counts[json.loads(line)["event_id"]] += 1
            except (ValueError, KeyError):
                torn += 1
        torn += lines[-1] != b""  # an unterminated last line
        verified = cli(journal, "verify")
    print(
        f"load: {seconds:g} s, {SERVERS} servers, {CLI_LOOPS} CLI loops, rebuild-state "
        f"every {REBUILD_EVERY_S:g} s, one journal\n"
    )
    print(f"{'writer':<14} {'acknowledged':>12} {'failed':>7} {'lost':>5} {'duplicated':>10}")
    total = lost_all = doubled_all = 0
    for writer in sorted(tally.acknowledged.keys() | tally.failures.keys()):
        ids = [event_id for event_id in tally.acknowledged[writer] if event_id]
        lost = sum(counts[event_id] == 0 for event_id in ids)
        doubled = sum(counts[event_id] > 1 for event_id in ids)
        shown = len(tally.acknowledged[writer])
        if writer != "rebuild-state":
            total, lost_all, doubled_all = total + shown, lost_all + lost, doubled_all + doubled
        print(f"{writer:<14} {shown:>12} {tally.failures[writer]:>7} {lost:>5} {doubled:>10}")
    print(f"{'all appends':<14} {total:>12} {'':>7} {lost_all:>5} {doubled_all:>10}")
    print(
        f"\nlines in the file: {len(lines) - 1}, torn: {torn}, verify exit status: "
        f"{verified.returncode} ({verified.stdout.strip().splitlines()[-1]})"
    )


if __name__ == "__main__":
    main()
