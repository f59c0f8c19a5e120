"""How fast Claude Code's hooks answer on a big journal, how well recall picks, and how
many bytes the tool list costs every session: one table.

The journal is bench/find.py's (1,000,000 events across 10,000 tasks, generated once and
cached under ``bench/data/``), copied, its index brought up to date, and the labelled
recall set of ``bench/recall_set.py`` appended. Each hook runs as Claude Code runs it:
a fresh ``task-journal hook ...`` process, the event's JSON on stdin; the median of
``--runs`` runs is shown, in wall time and in the CPU time the process used (which a
loaded machine inflates less than the wall time). ``stop`` flushes a spool of 200
records each time (a new session's). Recall's precision and recall are measured on
the labelled set alone, in a journal of its own, since the generated texts share no
words with the prompts.

Run: ``python bench/hooks.py [--events 1000000] [--runs 20]``.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import find
import recall_set

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "task-journal")
SERVER = str(Path(sys.executable).parent / "task-journal-mcp")


# CPU time of each run (user + system, ms), beside its wall time: on a loaded machine
# the wall time mostly measures the queue for a CPU.
CPU: dict[str, list[float]] = {}


def timed(argv: list[str], stdin: bytes, env: dict[str, str], cwd: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, input=stdin, capture_output=True, env=env, cwd=cwd, check=True)
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    CPU.setdefault(" ".join(argv[1:]), []).append(used)
    if done.stderr:
        raise SystemExit(f"{argv[1:]} warned: {done.stderr.decode()}")
    return wall


def payload(event: str, cwd: Path, session: str, **fields: object) -> bytes:
    common = {
        "session_id": session,
        "transcript_path": str(cwd / f"{session}.jsonl"),
        "cwd": str(cwd),
        "hook_event_name": event,
    }
    return json.dumps({**common, **fields}).encode()


def spool_records(journal: Path, session: str, count: int) -> None:
    """A spool as a long session leaves it: files, commits and test runs."""
    folder = journal.with_name(journal.name + ".capture")
    folder.mkdir(mode=0o700, exist_ok=True)
    lines = []
    for n in range(count):
        if n % 10 == 0:
            lines.append({"commit": f"{n:040x}"})
        elif n % 10 == 1:
            lines.append({"test": "passed", "summary": f"{n} passed in 1.2s"})
        else:
            lines.append({"file": f"src/module_{n % 37}.py"})
    (folder / f"{session}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))


def tools_list_bytes() -> int:
    """The bytes of the ``tools`` array a ``tools/list`` answer carries."""
    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "TASK_JOURNAL_PATH": str(Path(folder) / "j.jsonl")}
        with subprocess.Popen(
            [SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        ) as server:
            assert server.stdin is not None
            assert server.stdout is not None
            for request in requests:
                server.stdin.write(json.dumps(request).encode() + b"\n")
                server.stdin.flush()
            while True:
                answer = json.loads(server.stdout.readline())
                if answer.get("id") == 2:
                    break
            server.stdin.close()
            server.wait(timeout=30)
    return len(json.dumps(answer["result"]["tools"], separators=(",", ":")).encode())


def recall_quality() -> tuple[float, float]:
    from journal_core import Journal, Settings

    with tempfile.TemporaryDirectory() as folder:
        journal = Journal(Settings(journal_path=Path(folder) / "set.jsonl", durability="flush"))
        try:
            precision, recall, wrong = recall_set.measure(journal, recall_set.build(journal))
        finally:
            journal.close()
    for line in wrong:
        print(f"  recall missed or added: {line}", file=sys.stderr)
    return precision, recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    find.DATA.mkdir(exist_ok=True)
    source = find.DATA / f"find-v{find.GENERATOR_VERSION}-{args.events}-{args.tasks}.jsonl"
    if not source.exists():
        find.generate(source, args.events, args.tasks)
    for package in ("journal_core", "server"):
        compileall.compile_dir(ROOT / package, quiet=1)
    work = find.DATA / "hooks-work.jsonl"
    find.drop_index(work)
    shutil.rmtree(work.with_name(work.name + ".capture"), ignore_errors=True)
    shutil.copyfile(source, work)

    from journal_core import Journal, Settings

    journal = Journal(Settings(journal_path=work, durability="flush"))
    try:
        journal.build_index()
        recall_set.build(journal)  # realistic rejections and decisions, newest tasks
    finally:
        journal.close()

    project = Path(tempfile.mkdtemp(prefix="hooks-bench-"))
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    env = {**os.environ, "TASK_JOURNAL_PATH": str(work)}
    prompts = [prompt for prompt, keys in recall_set.PROMPTS if keys]

    def hook(name: str, stdin: bytes) -> float:
        return timed([CLI, "hook", name], stdin, env, project)

    written = payload(
        "PostToolUse",
        project,
        "bench-post",
        tool_name="Write",
        tool_input={"file_path": str(project / "src" / "app.py"), "content": "x = 1\n"},
        tool_response={"type": "create", "filePath": str(project / "src" / "app.py")},
    )
    post = [hook("post-tool-use", written) for _ in range(args.runs)]
    prompt = [
        hook(
            "user-prompt-submit",
            payload("UserPromptSubmit", project, "bench", prompt=prompts[n % len(prompts)]),
        )
        for n in range(args.runs)
    ]
    start = [
        hook("session-start", payload("SessionStart", project, "bench", source="startup"))
        for _ in range(args.runs)
    ]
    stops = []
    for n in range(args.runs):
        session = f"bench-stop-{n}"
        spool_records(work, session, 200)
        stops.append(hook("stop", payload("Stop", project, session, stop_hook_active=False)))
    bare = statistics.median(
        timed([sys.executable, "-c", "pass"], b"", env, project) for _ in range(args.runs)
    )
    precision, recall = recall_quality()
    tools_bytes = tools_list_bytes()
    shutil.rmtree(project)

    print(
        f"journal: {args.events:,} events, {args.tasks:,} tasks, index up to date; "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}; fresh processes, median of {args.runs} runs"
    )

    def cpu(name: str) -> str:
        return f"{statistics.median(CPU[name]):,.0f} ms"

    rows = [
        ("hook post-tool-use", f"{statistics.median(post):,.0f} ms", cpu("hook post-tool-use"),
         "< 60 ms"),
        ("hook user-prompt-submit (recall)", f"{statistics.median(prompt):,.0f} ms",
         cpu("hook user-prompt-submit"), "< 150 ms"),
        ("hook session-start", f"{statistics.median(start):,.0f} ms", cpu("hook session-start"),
         "< 200 ms"),
        ("hook stop (flush of a 200-record spool)", f"{statistics.median(stops):,.0f} ms",
         cpu("hook stop"), "< 250 ms"),
        ("  a bare `python -c pass`, for scale", f"{bare:,.0f} ms", cpu("-c pass"), ""),
        (f"recall precision / recall ({len(recall_set.PROMPTS)} labelled prompts)",
         f"{precision:.2f} / {recall:.2f}", "", ">= 0.9 / >= 0.6"),
        ("tools/list bytes", f"{tools_bytes:,}", "", "< 10,000"),
    ]  # fmt: skip
    header = ("measure", "wall", "cpu", "target")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
