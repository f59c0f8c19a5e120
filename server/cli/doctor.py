"""``doctor``: check the setup, one line per check, each saying ok or what to do.

It looks, and changes nothing: the journal and its folder, its lock and index, and the
places where Claude Code, Claude Desktop, Cursor and VS Code are told to start the
server. Exit status 1 when a check found something to fix, as ``verify`` does.
"""

import argparse
import json
import os
import shlex
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
from filelock import FileLock, Timeout

import server
from journal_core import JournalError, Settings, find_project_root
from server.cli import claude_settings
from server.cli.command import (
    EXIT_BAD_LINES,
    EXIT_OK,
    PROG,
    AddCommand,
    add_json,
    emit,
    open_journal,
    settings_of,
)
from server.cli.render import count_text, json_text, visible
from server.cli.settings_file import read as read_settings

_MIN_PYTHON = (3, 11)
_SERVER = "task-journal-mcp"
_LAUNCHER = "plugin_launcher.py"


class Check(msgspec.Struct, frozen=True, kw_only=True):
    """One finding: ``ok`` False means ``fix`` says what to do."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None


def register(add: AddCommand) -> None:
    add_json(
        add(
            "doctor",
            "Check Python, the journal, its lock and index, and the client configs.",
            f"""\
  {PROG} doctor
  {PROG} --project-dir ~/src/myproject doctor --json

Each line is "ok" or "fix" with what to do. Exit status 1 when something needs fixing.""",
            _doctor,
        )
    )


def _doctor(args: argparse.Namespace) -> int:
    checks = list(_checks(args))
    if args.json:
        emit(json_text({"ok": all(check.ok for check in checks), "checks": checks}))
    else:
        width = max(len(check.name) for check in checks)
        for check in checks:
            line = f"{'ok ' if check.ok else 'fix'}  {check.name:<{width}}  {check.detail}"
            # Paths and settings come from the environment and config files: shown, not obeyed.
            emit(visible(line if check.ok else f"{line}: {check.fix}"))
    return EXIT_OK if all(check.ok for check in checks) else EXIT_BAD_LINES


def _checks(args: argparse.Namespace) -> Iterator[Check]:
    yield _python()
    try:
        settings = settings_of(args)
    except JournalError as err:
        yield Check(name="journal", ok=False, detail=str(err), fix="correct that setting")
        return
    yield _resolution(args, settings)
    own_folder = not (args.journal or os.environ.get("TASK_JOURNAL_PATH"))
    yield from _journal_file(settings.journal_path, own_folder=own_folder)
    yield _lock(settings)
    yield _index(settings)
    yield _fts5()
    yield _sync(settings)
    project = find_project_root(Path(args.project_dir) if args.project_dir else Path.cwd())
    yield from _clients(project)


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    detail = f"Python {version} ({sys.executable}), {PROG} {server.__version__}"
    if sys.version_info < _MIN_PYTHON:
        return Check(name="python", ok=False, detail=detail, fix="use Python 3.11 or newer")
    return Check(name="python", ok=True, detail=detail)


def _resolution(args: argparse.Namespace, settings: Settings) -> Check:
    path = settings.journal_path
    if args.journal:
        how = "from --journal"
    elif os.environ.get("TASK_JOURNAL_PATH"):
        how = "from TASK_JOURNAL_PATH"
    else:
        root = find_project_root(Path(args.project_dir) if args.project_dir else Path.cwd())
        how = f"the journal of the project {root}"
    return Check(name="journal", ok=True, detail=f"{path} ({how})")


def _journal_file(path: Path, *, own_folder: bool) -> Iterator[Check]:
    """The file, and its mode; the folder's mode too when it is the data folder's own
    (a journal named by path may sit in a shared folder that is not ours to judge)."""
    folder = path.parent
    if not path.exists():
        existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
            yield Check(
                name="file",
                ok=False,
                detail=f"{path} does not exist and {existing} is not writable",
                fix="fix the folder's permissions or choose another journal with --journal",
            )
        else:
            yield Check(name="file", ok=True, detail="not created yet: the first append makes it")
        return
    if not path.is_file():
        yield Check(
            name="file",
            ok=False,
            detail=f"{path} is not a file",
            fix="move it away, or choose another journal with --journal",
        )
        return
    if not os.access(path, os.R_OK | os.W_OK):
        yield Check(
            name="file",
            ok=False,
            detail=f"{path} is not readable and writable by this user",
            fix=f"chmod u+rw {shlex.quote(str(path))}",
        )
        return
    yield Check(name="file", ok=True, detail=f"{path.stat().st_size} bytes, readable and writable")
    targets = [(path, 0o600), *([(folder, 0o700)] if own_folder else [])]
    for target, wanted in targets:
        mode = stat.S_IMODE(target.stat().st_mode)
        if mode & 0o077:
            yield Check(
                name="permissions",
                ok=False,
                detail=f"{target} is mode {mode:o}, readable by others",
                fix=f"chmod {wanted:o} {shlex.quote(str(target))}",
            )
            return
    yield Check(name="permissions", ok=True, detail="readable by this user only")


def _lock(settings: Settings) -> Check:
    lock_path = Path(f"{settings.journal_path}.lock")
    if not settings.journal_path.parent.is_dir():
        return Check(name="lock", ok=True, detail="no journal folder yet")
    try:
        with FileLock(lock_path, timeout=0):
            pass
    except Timeout:
        return Check(
            name="lock",
            ok=False,
            detail=f"{lock_path} is held by another process right now",
            fix="an append in progress holds it for milliseconds; if this stays, find the "
            f"process with: fuser {shlex.quote(str(lock_path))}",
        )
    except OSError as err:
        return Check(
            name="lock",
            ok=False,
            detail=f"{lock_path} cannot be opened ({err.strerror or err})",
            fix="make the journal's folder writable",
        )
    return Check(name="lock", ok=True, detail=f"{lock_path} is free")


def _index(settings: Settings) -> Check:
    if not settings.journal_path.is_file():
        return Check(name="index", ok=True, detail="nothing to index yet")
    with open_journal(settings) as journal:
        # The persisted index reports on itself; without one, reading shows it is sound.
        status_of = getattr(journal, "index_status", None)
        if status_of is None:
            tasks = journal.list_tasks(status="any", limit=1)
            detail = "in memory, built from the journal" + ("" if tasks.tasks else " (no tasks)")
            return Check(name="index", ok=True, detail=detail)
        status = status_of()
    if not status.ok:
        return Check(
            name="index",
            ok=False,
            detail=f"{status.path}: {status.problem}",
            fix=f"{PROG} rebuild-state (it is rebuilt from the journal; nothing is lost)",
        )
    return Check(
        name="index",
        ok=True,
        detail=f"{status.path}: {count_text(status.events_indexed, 'event')}, "
        f"{status.bytes_indexed} of {status.journal_bytes} bytes",
    )


def _sync(settings: Settings) -> Check:
    from journal_core import sync_status

    status = sync_status(settings.journal_path)
    if status is None:
        return Check(name="sync", ok=True, detail=f"never synced ({PROG} sync shares it via git)")
    unsent = f"{status.unsent}{'+' if status.unsent_at_least else ''}"
    return Check(
        name="sync",
        ok=True,
        detail=f"replica {status.replica_id}, remote {status.remote or 'none yet'}, "
        f"last sync {status.last_sync or 'never finished'}, {unsent} events not sent",
    )


def _fts5() -> Check:
    import sqlite3  # here: every command imports this module, and only doctor needs it

    try:
        with sqlite3.connect(":memory:") as db:
            db.execute("CREATE VIRTUAL TABLE probe USING fts5(text)")
    except sqlite3.Error:
        return Check(
            name="fts5",
            ok=False,
            detail=f"this Python's SQLite {sqlite3.sqlite_version} has no FTS5",
            fix="use a Python built with FTS5 (python.org and most distributions have it) "
            "for ranked search",
        )
    return Check(name="fts5", ok=True, detail=f"SQLite {sqlite3.sqlite_version} with FTS5")


# --- the clients ------------------------------------------------------------------


def _clients(project: Path) -> Iterator[Check]:
    home = Path.home()
    config = Path(os.environ.get("CLAUDE_CONFIG_DIR") or home / ".claude").expanduser()
    found = 0
    plugin = _enabled_plugin(config / "settings.json")
    if plugin:
        found += 1
        yield Check(
            name="claude code",
            ok=True,
            detail=f"plugin {plugin} enabled: it brings the server and the SessionStart hook",
        )
    for settings_file, scope in (
        (config / "settings.json", ""),
        (project / ".claude" / "settings.json", " --scope project"),
        (project / ".claude" / "settings.local.json", None),  # install-hooks never writes it
    ):
        yield from _hook_checks(settings_file, plugin=plugin, uninstall_scope=scope)
    claude_json = home / ".claude.json"
    sources: list[tuple[str, Path, list[str]]] = [
        ("claude code", claude_json, ["mcpServers"]),
        ("claude code", claude_json, ["projects", str(project), "mcpServers"]),
        ("claude code", project / ".mcp.json", ["mcpServers"]),
        ("claude desktop", _desktop_config(home), ["mcpServers"]),
        ("cursor", home / ".cursor" / "mcp.json", ["mcpServers"]),
        ("cursor", project / ".cursor" / "mcp.json", ["mcpServers"]),
        ("vs code", project / ".vscode" / "mcp.json", ["servers"]),
    ]
    for client, path, keys in sources:
        for check in _server_checks(client, path, keys):
            found += 1
            if plugin and client == "claude code" and check.ok:
                check = Check(
                    name=client,
                    ok=False,
                    detail=f"{check.detail}: a second server, beside the plugin's",
                    fix="the plugin runs the server already; remove this entry "
                    "(claude mcp remove, or edit the file)",
                )
            yield check
    if not found:
        yield Check(
            name="clients",
            ok=False,
            detail="no Claude Code plugin, and no MCP client config names " + _SERVER,
            fix="install the plugin (claude plugin install task-journal@task-journal-mcp) or "
            "add the server: claude mcp add task-journal -- task-journal-mcp",
        )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


def _enabled_plugin(settings_file: Path) -> str | None:
    document = _read_json(settings_file)
    enabled = document.get("enabledPlugins") if isinstance(document, dict) else None
    if isinstance(enabled, dict):
        for name, on in enabled.items():
            if name.startswith("task-journal@") and on is True:
                return str(name)
    return None


def _hook_checks(path: Path, *, plugin: str | None, uninstall_scope: str | None) -> Iterator[Check]:
    if not path.is_file():
        return
    try:
        document = claude_settings.validate(read_settings(path), path)
    except JournalError as err:
        yield Check(name="claude code", ok=False, detail=str(err), fix="fix the file's JSON")
        return
    for entry, command in claude_settings.our_commands(document):
        where = f"{entry.label} in {path}"
        if plugin and entry.event is not None and entry.part != "sync":
            how = (
                "remove it from that file"
                if uninstall_scope is None
                else f"{PROG} install-hooks --uninstall{uninstall_scope}"
            )
            yield Check(
                name="claude code",
                ok=False,
                detail=f"{where}: the plugin brings it too, so it runs twice",
                fix=how,
            )
        else:
            yield _program_check("claude code", where, command)


def _server_checks(client: str, path: Path, keys: list[str]) -> Iterator[Check]:
    servers = _read_json(path) if path.is_file() else None
    for key in keys:
        servers = servers.get(key) if isinstance(servers, dict) else None
    if not isinstance(servers, dict):
        return
    for name, entry in servers.items():
        if not isinstance(entry, dict):
            continue
        command = entry.get("command")
        args = entry.get("args") or []
        words = [command, *args] if isinstance(args, list) else [command]
        if _names_the_server(words):
            where = f"server '{name}' in {path}"
            yield _program_check(client, where, shlex.join(str(word) for word in words))


def _names_the_server(words: list[Any]) -> bool:
    names = [Path(str(word)).name for word in words]
    return (
        _SERVER in names
        or _LAUNCHER in names
        or (bool(names) and names[0] == claude_settings.PROGRAM and "serve" in names)
    )


def _program_check(client: str, where: str, command: str) -> Check:
    """Whether the program a config runs can be found (from PATH or as a path)."""
    program = claude_settings.program_of(command)
    if Path(program).is_absolute() and os.access(program, os.X_OK):
        return Check(name=client, ok=True, detail=f"{where}: {command}")
    if not Path(program).is_absolute() and shutil.which(program):
        return Check(name=client, ok=True, detail=f"{where}: {command}")
    return Check(
        name=client,
        ok=False,
        detail=f"{where}: {program} is not found",
        fix="put the absolute path of the installed command there (command -v "
        f"{Path(program).name})",
    )


def _desktop_config(home: Path) -> Path:
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
    config = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    return Path(config) / "Claude" / "claude_desktop_config.json"
