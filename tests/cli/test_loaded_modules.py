"""What a command loads: the status line and the SessionStart hook start a fresh process at
every redraw and every session start, so they import only what reading the index needs."""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import journal_core
from server.cli.dispatch import _MODULE_OF, build_parser
from tests.cli.conftest import CLI, CallMain, Outcome

# Run main() as the console script does, then list every module the process loaded.
PROBE = """
import json, sys
from server.cli import main
status = main(sys.argv[2:])
sys.stdout.flush()
with open(sys.argv[1], "w") as out:
    json.dump(sorted(sys.modules), out)
sys.exit(status)
"""

# The MCP SDK and what it brings, and the writer's lock library.
NOT_FOR_READERS = {"mcp", "anyio", "pydantic", "filelock"}


def run_probe(tmp_path: Path, *args: str, stdin: bytes = b"") -> tuple[Outcome, set[str]]:
    """Run the command with its index up to date, as at every redraw but the first."""
    subprocess.run([str(CLI), "statusline"], capture_output=True, timeout=60, check=True)
    listing = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(listing), *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    loaded = set(json.loads(listing.read_text()))
    return Outcome(done.returncode, done.stdout.decode(), done.stderr.decode()), loaded


def top_packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_statusline_loads_neither_mcp_nor_filelock(
    journal: Path, task_id: str, tmp_path: Path
) -> None:
    outcome, loaded = run_probe(tmp_path, "statusline")

    assert (outcome.status, outcome.stderr) == (0, "")
    assert outcome.stdout == f"[{task_id} · open: 1 · stale: 0]\n"
    assert top_packages(loaded) & NOT_FOR_READERS == set()
    assert {"journal_core.writer", "journal_core.pack", "journal_core.search"} & loaded == set()


def test_statusline_reads_a_current_index_without_msgspec_or_the_store(
    journal: Path, task_id: str, tmp_path: Path
) -> None:
    outcome, loaded = run_probe(tmp_path, "statusline")

    assert outcome.stdout == f"[{task_id} · open: 1 · stale: 0]\n"
    assert "msgspec" not in top_packages(loaded)
    assert {
        "journal_core.index.store",
        "journal_core.journal",
        "journal_core.reader",
    } & loaded == set()


def test_statusline_goes_through_the_journal_when_lines_were_appended_since(
    journal: Path, task_id: str, tmp_path: Path, call_main: CallMain
) -> None:
    subprocess.run([str(CLI), "statusline"], capture_output=True, timeout=60, check=True)
    # Appending leaves the index behind the file: only a reader catches it up.
    newer = call_main("append", "open", "A newer task").stdout.split()[1]
    listing = tmp_path / "modules.json"

    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(listing), "statusline"],
        capture_output=True,
        timeout=60,
        check=True,
    )

    assert done.stdout.decode() == f"[{newer} · open: 2 · stale: 0]\n"
    assert "journal_core.index.store" in set(json.loads(listing.read_text()))


def test_session_start_hook_loads_neither_mcp_nor_filelock_nor_argparse(
    journal: Path, task_id: str, tmp_path: Path
) -> None:
    hook_input = json.dumps({"cwd": str(tmp_path), "hook_event_name": "SessionStart"})

    outcome, loaded = run_probe(tmp_path, "hook", "session-start", stdin=hook_input.encode())

    assert (outcome.status, outcome.stderr) == (0, "")
    assert task_id in json.loads(outcome.stdout)["hookSpecificOutput"]["additionalContext"]
    assert top_packages(loaded) & (NOT_FOR_READERS | {"argparse"}) == set()
    assert {"journal_core.writer", "journal_core.search"} & loaded == set()


def test_post_tool_use_hook_loads_neither_argparse_nor_sqlite_nor_the_index(
    journal: Path, task_id: str, tmp_path: Path
) -> None:
    # It runs after every tool call: it writes the session's spool and nothing else.
    hook_input = {
        "session_id": "s1",
        "cwd": str(tmp_path),
        "hook_event_name": "PostToolUse",
        "tool_name": "Write",
        "tool_input": {"file_path": str(tmp_path / "src" / "app.py"), "content": "x = 1\n"},
        "tool_response": {"type": "create", "filePath": str(tmp_path / "src" / "app.py")},
    }

    outcome, loaded = run_probe(
        tmp_path, "hook", "post-tool-use", stdin=json.dumps(hook_input).encode()
    )

    assert (outcome.status, outcome.stdout, outcome.stderr) == (0, "", "")
    spool = journal.with_name(journal.name + ".capture") / "s1.jsonl"
    assert spool.read_text() == '{"file":"src/app.py"}\n'
    heavy = {"argparse", "sqlite3", "_sqlite3", "msgspec", "mcp", "anyio", "filelock"}
    assert top_packages(loaded) & heavy == set()
    assert {
        name
        for name in loaded
        if name.startswith(("journal_core.index", "journal_core.fold", "journal_core.journal"))
        or name == "server.cli.command"
    } == set()


def test_importing_the_command_line_loads_nothing_of_it() -> None:
    loaded = loaded_by("import server.cli")

    assert {name for name in loaded if name.startswith(("server", "journal_core"))} == {
        "server",
        "server.cli",
    }
    assert "argparse" not in loaded


def test_statusline_loads_only_its_own_command_module(
    journal: Path, task_id: str, tmp_path: Path
) -> None:
    _, loaded = run_probe(tmp_path, "statusline")

    commands = {"write", "lifecycle", "read", "find", "pack", "export", "maintain", "doctor"}
    assert {f"server.cli.{name}" for name in commands} & loaded == set()
    assert "server.cli.status" in loaded


def test_append_loads_the_writer_and_filelock(journal: Path, task_id: str, tmp_path: Path) -> None:
    # The probe sees what a command imports: appending needs the writer's lock.
    outcome, loaded = run_probe(tmp_path, "append", "finding", "Seen", "--task", task_id)

    assert outcome.status == 0
    assert {"filelock", "journal_core.writer"} <= loaded
    assert top_packages(loaded) & {"mcp", "anyio", "pydantic"} == set()


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("Pack", "journal_core.pack"),
        ("Resume", "journal_core.pack"),
        ("SearchHit", "journal_core.search"),
        ("SearchPage", "journal_core.search"),
        ("WriterStats", "journal_core.writer"),
    ],
)
def test_journal_core_exports_the_types_it_imports_on_first_use(name: str, module: str) -> None:
    exported = getattr(journal_core, name)

    assert exported.__module__ == module
    assert exported.__name__ == name
    assert name in journal_core.__all__


def test_journal_core_has_no_other_names_on_demand() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        journal_core.Nothing  # noqa: B018


def loaded_by(statement: str) -> set[str]:
    probe = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
        timeout=60,
    )
    return set(json.loads(done.stdout))


def test_importing_journal_core_alone_loads_only_its_errors() -> None:
    loaded = loaded_by("import journal_core")

    assert "journal_core.errors" in loaded
    assert {name for name in loaded if name.startswith("journal_core.")} == {"journal_core.errors"}
    assert "msgspec" not in top_packages(loaded)


def test_the_journal_loads_no_writer_pack_or_search() -> None:
    loaded = loaded_by("from journal_core import Journal")

    assert "journal_core.journal" in loaded
    assert {"journal_core.writer", "journal_core.pack", "journal_core.search"} & loaded == set()
    assert "filelock" not in top_packages(loaded)


def _top_commands(parser: argparse.ArgumentParser) -> set[str]:
    return {
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }


@pytest.mark.parametrize("module", sorted(set(_MODULE_OF.values())))
def test_each_module_registers_the_commands_the_registry_names_for_it(module: str) -> None:
    named = {name for name, owner in _MODULE_OF.items() if owner == module}

    assert _top_commands(build_parser([module])) == named


def test_help_before_a_command_lists_every_command(call_main: CallMain) -> None:
    outcome = call_main("--help", "statusline")

    assert outcome.status == 0
    listed = re.findall(r"^    ([a-z-]+) ", outcome.stdout, re.MULTILINE)
    assert sorted(listed) == sorted(_MODULE_OF)


def test_an_unknown_command_is_refused_naming_every_command(call_main: CallMain) -> None:
    outcome = call_main("statusbar")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "invalid choice: 'statusbar'" in outcome.stderr
    assert all(f"'{name}'" in outcome.stderr for name in _MODULE_OF)


def test_an_option_value_named_like_a_command_is_not_taken_for_it(
    call_main: CallMain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "read").write_text("")  # an empty journal, named like a command

    # "read" is the value of --journal; the command is statusline.
    outcome = call_main("--journal", "read", "statusline")

    assert (outcome.status, outcome.stdout, outcome.stderr) == (0, "[open: 0 · stale: 0]\n", "")
