"""Capture (SPEC §9): what an agent did, recorded after each tool call, then turned into
one suggested ``finding`` per session.

Recording runs after every tool call, so it stays off the journal: a record is one
short JSON line appended (``O_APPEND``, one write) to a spool file per session beside
the journal, ``<journal>.capture/<session>.jsonl``; no SQLite, no index, no journal
lock. A record is one of::

    {"file": "src/app.py"}                        a file written or edited (relative)
    {"commit": "<40 hex>"}                        a commit made
    {"test": "passed", "summary": "12 passed"}    a test run and its summary line
    {"task": "tj-..."}                            the session wrote to this task

Flushing (Stop, SessionEnd, PreCompact) reads a spool and writes one finding for the
session that sums up all of it, on the task in hand; a later flush of the same session
writes a new finding that supersedes the earlier one, so one stands per session. A
spool whose session died without flushing is flushed by the next flush of any session
once it has been idle for ``STALE_SECONDS``. File contents and command output beyond a
test runner's summary line are never recorded.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from journal_core.journal import AppendResult, Journal

# A spool untouched this long belongs to a session that ended without flushing.
STALE_SECONDS = 30 * 60
# What one finding names at most in its text; refs carry up to the event limits.
_NAMED_FILES = 3
_MAX_REFS = 256
_SUMMARY_CHARS = 200
_MAX_RECORD_BYTES = 4096

_FILE_TOOLS = {"Edit": "file_path", "MultiEdit": "file_path", "Write": "file_path"}
_NOTEBOOK_TOOLS = {"NotebookEdit": "notebook_path"}
# The patterns are compiled on first use (re's cache keeps them): recording a file
# edit, as most tool calls do, compiles none of them.
_SESSION_NAME = r"[A-Za-z0-9_-]{1,64}"
_CONTROL = r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"

# `git commit` anywhere in a command line (after `&&`, with `-C dir` or `-c k=v`).
_GIT_COMMIT = r"(?:^|[;&|(\s])git(?:\s+-[Cc]\s+\S+)*\s+commit\b"
# What git prints for a commit made: "[main 1a2b3c4] subject", "[main (root-commit) 1a2b3c4]".
_COMMIT_LINE = r"(?m)^\[[^\]\n]*?\b([0-9a-f]{7,40})\]"
# Test runners, as the command's words name them.
_TEST_COMMAND = (
    r"(?:^|[;&|(\s/])(?:pytest|py\.test|tox|nox|jest|vitest|mocha|rspec|phpunit|ctest"
    r"|unittest|(?:npm|pnpm|yarn|bun|deno|cargo|go|dotnet|mvn|gradle|make|mix)\s+(?:run\s+)?test"
    r"|\./gradlew\s+test)\b"
)
# Runners' summary lines, most specific first; the last matching line of the output wins.
_SUMMARIES = (
    r"^=+ .*\b(?:passed|failed|error|errors|skipped|no tests ran)\b.* in [\d.]+m?s.*=+$",
    r"^test result: (?:ok|FAILED)\.",  # cargo
    r"^Tests?:\s+.*\b(?:passed|failed|total)\b",  # jest, vitest
    r"^(?:ok|FAIL)\s+\S+\s+[\d.]+s",  # go test, per package
    r"^(?:OK|FAILED)(?: \(.*\))?$",  # unittest
    r"^Ran \d+ tests? in ",  # unittest, when no OK/FAILED follows
    r"^\d+ (?:examples?|tests?), \d+ failures?",  # rspec, minitest
    r"^(?:FAIL|PASS)\b",
)
_FAILED = r"(?i)\b(?:[1-9]\d* (?:failed|failures?|errors?)|FAILED|FAIL|failed|error)\b"
_NOT_FAILED = r"(?i)\b0 (?:failed|failures?|errors?)\b"


def capture_dir(journal_path: Path) -> Path:
    """The folder beside the journal that holds the spools and the sessions' tasks."""
    return journal_path.with_name(journal_path.name + ".capture")


def session_name(session_id: str) -> str:
    """A file name for ``session_id``: itself when it is a plain id, else a digest."""
    if re.fullmatch(_SESSION_NAME, session_id):
        return session_id
    import hashlib

    return "s-" + hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --- records from Claude Code's PostToolUse ----------------------------------------------


def records_from_tool_use(payload: Mapping[str, Any], root: Path) -> list[dict[str, str]]:
    """What a PostToolUse payload says the agent did, as spool records (none for most).

    ``root`` is the project root: files are recorded relative to it, and files outside
    it are not recorded at all.
    """
    tool = payload.get("tool_name")
    tool_input = payload.get("tool_input")
    if not isinstance(tool, str) or not isinstance(tool_input, Mapping):
        return []
    response = payload.get("tool_response")
    if tool in _FILE_TOOLS or tool in _NOTEBOOK_TOOLS:
        key = _FILE_TOOLS.get(tool) or _NOTEBOOK_TOOLS[tool]
        relative = _relative(tool_input.get(key), root, payload.get("cwd"))
        return [{"file": relative}] if relative else []
    if tool == "Bash":
        return _bash_records(tool_input.get("command"), response, payload.get("cwd"))
    if tool.endswith("__append_event"):
        task = _task_written(response) or _task_id(tool_input.get("task_id"))
        return [{"task": task}] if task else []
    return []


def _relative(path: object, root: Path, cwd: object) -> str | None:
    if not isinstance(path, str) or not path or "\x00" in path:
        return None
    given = Path(path)
    if not given.is_absolute():
        given = Path(cwd if isinstance(cwd, str) else root) / given
    try:
        relative = Path(os.path.normpath(given)).relative_to(root)
    except ValueError:
        return None
    text = relative.as_posix()
    return text if text != "." and len(text.encode()) <= _MAX_RECORD_BYTES else None


def _bash_records(command: object, response: object, cwd: object) -> list[dict[str, str]]:
    if not isinstance(command, str):
        return []
    output = _output(response)
    records: list[dict[str, str]] = []
    if re.search(_GIT_COMMIT, command) and (made := re.search(_COMMIT_LINE, output)):
        full = _full_commit(made.group(1), cwd)
        if full:
            records.append({"commit": full})
    if re.search(_TEST_COMMAND, command):
        summary = test_summary(output)
        if summary is not None:
            records.append({"test": summary[0], "summary": summary[1]})
    return records


def _output(response: object) -> str:
    """The Bash tool's stdout and stderr (only searched, never recorded whole)."""
    if isinstance(response, str):
        return response
    if not isinstance(response, Mapping):
        return ""
    parts = [response.get("stdout"), response.get("stderr"), response.get("output")]
    return "\n".join(part for part in parts if isinstance(part, str))


def _full_commit(short: str, cwd: object) -> str | None:
    """The whole id of the commit git printed as ``short``, asked of the repository."""
    import subprocess

    if not isinstance(cwd, str):
        return short if len(short) == 40 else None
    try:
        done = subprocess.run(
            ["git", "-C", cwd, "rev-parse", "--verify", "--quiet", f"{short}^{{commit}}"],
            capture_output=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return short if len(short) == 40 else None
    full = done.stdout.decode("ascii", "replace").strip()
    if re.fullmatch(r"[0-9a-f]{40}(?:[0-9a-f]{24})?", full) and full.startswith(short):
        return full
    return short if len(short) == 40 else None


def test_summary(output: str) -> tuple[str, str] | None:
    """``("passed"|"failed", summary line)`` from a test runner's output, or None."""
    found: str | None = None
    for line in output.splitlines():
        line = line.strip()
        if line and any(re.search(pattern, line) for pattern in _SUMMARIES):
            found = line
    if found is None:
        return None
    summary = clean(found.strip("= "))[:_SUMMARY_CHARS]
    failed = bool(re.search(_FAILED, re.sub(_NOT_FAILED, "", summary)))
    return ("failed" if failed else "passed"), summary


def _task_written(response: object) -> str | None:
    """The ``task_id`` an append_event result names, in any of the shapes it arrives in."""
    if isinstance(response, str):
        try:
            response = json.loads(response)
        except ValueError:
            return None
    if isinstance(response, Mapping):
        for key in ("structuredContent", "structured_content"):
            if isinstance(inner := response.get(key), Mapping):
                response = inner
        found = _task_id(response.get("task_id"))
        if found:
            return found
        return _task_written(response.get("content"))
    if isinstance(response, list):
        for item in response:
            text = item.get("text") if isinstance(item, Mapping) else item
            if (found := _task_written(text)) is not None:
                return found
    return None


def _task_id(value: object) -> str | None:
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9:_.-]{1,64}", value):
        return value
    return None


def clean(text: str) -> str:
    """``text`` on one line, with control, C1 and bidi-override characters taken out."""
    return re.sub(_CONTROL, " ", text).strip()


# --- the spool ---------------------------------------------------------------------------


def spool_records(
    journal_path: Path, session_id: str, records: Sequence[Mapping[str, str]]
) -> None:
    """Append ``records`` to the session's spool in one write; remember a task written.

    Raises ``OSError`` when the spool cannot be written.
    """
    folder = capture_dir(journal_path)
    folder.mkdir(mode=0o700, exist_ok=True)
    name = session_name(session_id)
    data = b"".join(
        json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        for record in records
    )
    descriptor = os.open(folder / f"{name}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, data)
    finally:
        os.close(descriptor)
    for record in records:
        if "task" in record:
            _write_small(folder / f"{name}.task", record["task"])


def remember_branch_task(journal_path: Path, branch: str, task_id: str) -> None:
    """Note that this git ``branch`` last wrote to ``task_id``."""
    folder = capture_dir(journal_path)
    folder.mkdir(mode=0o700, exist_ok=True)
    _write_small(folder / _branch_file(branch), task_id)


def _branch_file(branch: str) -> str:
    import hashlib

    return "branch-" + hashlib.sha256(branch.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _write_small(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` at once, so a reader sees the old or the new."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _read_small(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def current_branch(cwd: Path) -> str | None:
    """The git branch checked out at ``cwd``, read from ``HEAD`` (no git process)."""
    for folder in (cwd, *cwd.parents):
        dot_git = folder / ".git"
        try:
            if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
                pointer = dot_git.read_text(encoding="utf-8").strip()
                if not pointer.startswith("gitdir:"):
                    return None
                dot_git = (folder / pointer[len("gitdir:") :].strip()).resolve()
            elif not dot_git.is_dir():
                continue
            head = (dot_git / "HEAD").read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        prefix = "ref: refs/heads/"
        return head[len(prefix) :] if head.startswith(prefix) else None
    return None


# --- the task in hand --------------------------------------------------------------------


def task_in_hand(journal: Journal, *, session_id: str | None, branch: str | None) -> str | None:
    """The open task this session is on (SPEC §8): the one this session, else this git
    branch, last wrote to, else the most recently active; None with no open task."""
    from journal_core.query import MAX_LIMIT

    open_tasks = [task.task_id for task in journal.list_tasks(limit=MAX_LIMIT).tasks]
    if not open_tasks:
        return None
    folder = capture_dir(journal.path)
    candidates = []
    if session_id:
        candidates.append(folder / f"{session_name(session_id)}.task")
    if branch:
        candidates.append(folder / _branch_file(branch))
    for path in candidates:
        task = _read_small(path)
        if task in open_tasks:
            return task
    return open_tasks[0]


# --- flushing ----------------------------------------------------------------------------


class _Spool:
    """One session's spool, locked while it is flushed, with what was flushed before."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name.removesuffix(".jsonl")
        self.state_path = path.with_name(self.name + ".flushed")

    def records(self, data: bytes) -> list[dict[str, str]]:
        found = []
        for line in data.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line torn by a killed hook: the others still count
            if isinstance(record, dict):
                found.append({k: v for k, v in record.items() if isinstance(v, str)})
        return found

    def state(self) -> dict[str, Any]:
        text = _read_small(self.state_path)
        try:
            state = json.loads(text) if text else {}
        except ValueError:
            state = {}
        return state if isinstance(state, dict) else {}


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[bytes | None]:
    """The spool's bytes, under an exclusive lock (None when another flush holds it)."""
    try:
        descriptor = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        yield None
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        chunks = []
        while chunk := os.read(descriptor, 1 << 20):
            chunks.append(chunk)
        yield b"".join(chunks)
    finally:
        os.close(descriptor)


def flush_spools(
    journal: Journal,
    *,
    session_id: str,
    branch: str | None,
    ended: bool,
    now: float | None = None,
) -> list[AppendResult]:
    """Turn this session's spool, and any spool left by a dead session, into findings.

    Writes at most one finding per session, on its task in hand, superseding the one
    an earlier flush of the same session wrote. ``ended``: this session is over, so its
    spool goes. Nothing is written where there is no open task; the spool then stays.
    Raises the journal's errors (busy, unavailable); the spool is then kept for the
    next flush, so nothing is lost.
    """
    folder = capture_dir(journal.path)
    try:
        paths = sorted(folder.glob("*.jsonl"))
    except OSError:
        return []
    own = session_name(session_id)
    moment = time.time() if now is None else now
    written: list[AppendResult] = []
    for path in paths:
        mine = path.name == f"{own}.jsonl"
        if not mine:
            try:
                if moment - path.stat().st_mtime < STALE_SECONDS:
                    continue  # a live session's: its own flush will come
            except FileNotFoundError:
                continue
        result = _flush_one(
            journal,
            _Spool(path),
            session_id=session_id if mine else None,
            branch=branch if mine else None,
            ended=ended or not mine,
        )
        if result is not None:
            written.append(result)
    return written


def _flush_one(
    journal: Journal, spool_: _Spool, *, session_id: str | None, branch: str | None, ended: bool
) -> AppendResult | None:
    from journal_core.errors import IdempotencyKeyReused
    from journal_core.events import new_event

    with _locked(spool_.path) as data:
        if data is None:
            return None
        records = spool_.records(data)
        state = spool_.state()
        session = session_id or state.get("session_id") or spool_.name
        result = None
        done = True
        if len(records) > state.get("records", 0) and _worth_telling(records):
            task = task_in_hand(journal, session_id=session, branch=branch)
            if task is None:
                done = False  # nothing to hang it on yet: kept for a later flush
            else:
                text, refs = summarize(records)
                earlier = state.get("event_id") if state.get("task_id") == task else None
                key = f"capture:{session}:{task}:{len(records)}"
                event = new_event(
                    type="finding",
                    task_id=task,
                    text=text,
                    author="hook",
                    source="hook",
                    status="suggested",
                    refs=refs,
                    meta={"session_id": session},
                    supersedes=earlier if isinstance(earlier, str) else None,
                    idempotency_key=key,
                    check=False,
                )
                try:
                    result = journal.append(event)
                except IdempotencyKeyReused:
                    result = None  # written by a flush that died before noting it
                state = {
                    "session_id": session,
                    "records": len(records),
                    "task_id": task,
                    "event_id": result.event_id if result else state.get("event_id"),
                }
                _write_small(spool_.state_path, json.dumps(state))
        if ended and done:
            for path in (spool_.path, spool_.state_path):
                path.unlink(missing_ok=True)
        return result


def _worth_telling(records: Iterable[Mapping[str, str]]) -> bool:
    return any("file" in record or "commit" in record or "test" in record for record in records)


def summarize(records: Sequence[Mapping[str, str]]) -> tuple[str, dict[str, list[str]]]:
    """The finding's text (one or two sentences) and refs for a session's records."""
    files = list(dict.fromkeys(r["file"] for r in records if r.get("file")))
    commits = list(dict.fromkeys(r["commit"] for r in records if r.get("commit")))
    tests = [r for r in records if r.get("test") in ("passed", "failed")]
    done: list[str] = []
    if files:
        named = ", ".join(files[:_NAMED_FILES])
        more = f" and {len(files) - _NAMED_FILES} more" if len(files) > _NAMED_FILES else ""
        done.append(f"edited {len(files)} file{'' if len(files) == 1 else 's'} ({named}{more})")
    if commits:
        ids = ", ".join(commit[:12] for commit in commits[:_NAMED_FILES])
        more = f" and {len(commits) - _NAMED_FILES} more" if len(commits) > _NAMED_FILES else ""
        done.append(f"made {len(commits)} commit{'' if len(commits) == 1 else 's'} ({ids}{more})")
    sentences = []
    if done:
        sentences.append("This session " + " and ".join(done) + ".")
    if tests:
        last = tests[-1]
        runs = f"Of {len(tests)} test runs the last" if len(tests) > 1 else "A test run"
        summary = last.get("summary") or ""
        sentences.append(f"{runs} {last['test']}" + (f": {summary}" if summary else "") + ".")
    refs: dict[str, list[str]] = {}
    if files:
        refs["files"] = files[:_MAX_REFS]
    if commits:
        refs["commits"] = commits[:_MAX_REFS]
    return " ".join(sentences), refs


# --- records from other agents -------------------------------------------------------------


def check_records(data: bytes, root: Path) -> list[dict[str, str]]:
    """The records ``task-journal capture`` was given: JSON lines, or one JSON list.

    Files are made relative to ``root``. Raises ``InvalidEvent`` naming the first record
    that is not one of the four shapes (see the module's docstring).
    """
    from journal_core.errors import InvalidEvent

    text = data.decode("utf-8", "replace").strip()
    if not text:
        return []
    try:
        if text.startswith("["):
            given = json.loads(text)
        else:
            given = [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError as err:
        raise InvalidEvent("stdin", f"is not JSON records ({err})") from None
    if not isinstance(given, list):
        raise InvalidEvent("stdin", "is not a list of JSON records")
    records: list[dict[str, str]] = []
    for number, record in enumerate(given, 1):
        checked = _check_record(record, root)
        if checked is None:
            raise InvalidEvent(
                f"record {number}",
                'is not {"file": PATH}, {"commit": ID}, {"task": TASK_ID} or '
                '{"test": "passed"|"failed", "summary": LINE}',
            )
        records.append(checked)
    return records


def _check_record(record: object, root: Path) -> dict[str, str] | None:
    if not isinstance(record, dict) or not all(isinstance(v, str) for v in record.values()):
        return None
    keys = set(record)
    if keys == {"file"}:
        relative = _relative(record["file"], root, str(root))
        return {"file": relative} if relative else None
    if keys == {"commit"} and re.fullmatch(r"[0-9a-f]{7,64}", record["commit"]):
        return dict(record)
    if keys == {"task"} and _task_id(record["task"]):
        return dict(record)
    if keys in ({"test"}, {"test", "summary"}) and record["test"] in ("passed", "failed"):
        return {"test": record["test"], "summary": clean(record.get("summary", ""))[:200]}
    return None
