"""Run task-journal's MCP server or command line from the Claude Code plugin's folder.

A plugin is a folder of files, not an installed package, and the machine it lands on
may have neither this package nor its dependencies (mcp, msgspec, filelock). So the
plugin starts everything through this script, run by the system's ``python3``:

    python3 plugin_launcher.py task-journal-mcp [ARGS]         the MCP server
    python3 plugin_launcher.py --if-ready task-journal [ARGS]  the CLI (the hook)

It runs the program with the plugin folder first on ``PYTHONPATH``, so the code is
always the plugin's own, in a Python that has the dependencies:

- ``TASK_JOURNAL_PYTHON``, when set: a Python that has them already (a virtualenv
  where ``pip install task-journal-mcp`` was run). Nothing is installed; this is the
  way for a machine with no package index.
- otherwise a virtualenv in the plugin's data folder (``CLAUDE_PLUGIN_DATA``, which
  Claude Code keeps across plugin updates), made on first use with ``python -m venv``
  and ``pip install`` of the dependencies listed in ``pyproject.toml`` (pip 22.3 or
  newer, or the virtualenv's own), so it needs the package index (or a pip configured
  with a local one) once. It is made again when
  that list or the Python version changes. One process makes it, under a lock; any
  other waits and then uses it. The making goes on even if Claude Code stops waiting
  for the server's first start (30 s by default): the next start finds it done.

``--if-ready`` is for the SessionStart hook: it must not spend a session's start
installing, so when the virtualenv is not there yet it exits 0 at once (the MCP
server, started at the same moment, is making it). Nothing here writes to stdout,
which belongs to the MCP protocol: pip's output goes to stderr.
"""

from __future__ import annotations  # so that an old python3 gets to the version check

import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = {"task-journal-mcp": "server", "task-journal": "server.cli"}
MIN_PYTHON = (3, 11)
NAME = "task-journal plugin"

EXIT_USAGE = 2
EXIT_UNUSABLE = 3  # as task-journal-mcp exits when it cannot serve


def say(message: str) -> None:
    sys.stderr.write(f"{NAME}: {message}\n")
    sys.stderr.flush()


def data_dir() -> Path:
    explicit = os.environ.get("CLAUDE_PLUGIN_DATA")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "task-journal-mcp" / "plugin"


def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def dependencies() -> list[str]:
    import tomllib  # here, after the version check: it is new in 3.11

    with open(ROOT / "pyproject.toml", "rb") as file:
        listed: list[str] = tomllib.load(file)["project"]["dependencies"]
    return listed


def wanted_stamp(requirements: list[str]) -> str:
    """What the virtualenv must have been made for: these requirements, this Python."""
    facts = {"requirements": requirements, "python": list(sys.version_info[:2])}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def is_ready(venv: Path, stamp: str) -> bool:
    try:
        return (venv / "task-journal-stamp").read_text() == stamp
    except OSError:
        return False


def make_venv(venv: Path) -> None:
    """Make the virtualenv and install the dependencies into it; the stamp goes last.

    Run as ``plugin_launcher.py --make-venv VENV`` in a session of its own (see
    ``ready_python``). A virtualenv left half made by an earlier, killed run is
    finished, not started again: pip skips what is already installed. Claude Code gives
    a starting MCP server 30 s, so this is kept short: when this Python has pip, the
    virtualenv gets none of its own (ensurepip alone takes seconds) and this pip installs
    into it; and nothing is byte-compiled ahead of use.
    """
    requirements = dependencies()
    python = venv_python(venv)
    version = venv / "task-journal-python"
    wanted_version = ".".join(map(str, sys.version_info[:2]))
    has_pip = importlib.util.find_spec("pip") is not None
    if not python.exists() or not version.exists() or version.read_text() != wanted_version:
        if venv.exists():
            shutil.rmtree(venv)
        without_pip = ["--without-pip"] if has_pip else []
        subprocess.run([sys.executable, "-m", "venv", *without_pip, str(venv)], check=True)
        version.write_text(wanted_version)
    pip = (
        [sys.executable, "-m", "pip", "--python", str(python)]
        if has_pip
        else [
            str(python),
            "-m",
            "pip",
        ]
    )
    install = ["install", "--quiet", "--no-compile", "--disable-pip-version-check"]
    subprocess.run([*pip, *install, *requirements], check=True)
    (venv / "task-journal-stamp").write_text(wanted_stamp(requirements))


def ready_python(if_ready: bool) -> Path | None:
    """The Python to run with: ``TASK_JOURNAL_PYTHON``, or the plugin's own virtualenv,
    made now if needed; ``None`` when ``if_ready`` and it is not made yet."""
    explicit = os.environ.get("TASK_JOURNAL_PYTHON")
    if explicit:
        return Path(explicit)
    stamp = wanted_stamp(dependencies())
    folder = data_dir()
    venv = folder / "venv"
    if is_ready(venv, stamp):
        return venv_python(venv)
    if if_ready:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "venv.log"
    with open(folder / "venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another start may be making it: wait for it
        if is_ready(venv, stamp):
            return venv_python(venv)
        say(f"installing its Python dependencies into {venv} (once; log: {log})")
        # The maker runs in a session of its own, holding the lock too, and writes to a
        # log, not to our stderr: if Claude Code gives up on this start and kills it, the
        # environment is still finished for the next start.
        with open(log, "w") as output:
            made = subprocess.run(
                [sys.executable, __file__, "--make-venv", str(venv)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=(lock.fileno(),),
                check=False,
            )
        if made.returncode != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            raise OSError(f"{' / '.join(tail) or 'no output'} (the whole log: {log})")
    return venv_python(venv)


def main(argv: list[str]) -> int:
    args = argv[1:]
    if args[:1] == ["--make-venv"] and len(args) == 2:
        make_venv(Path(args[1]))
        return 0
    if_ready = args[:1] == ["--if-ready"]
    if if_ready:
        args = args[1:]
    if not args or args[0] not in MODULES:
        say(f"usage: plugin_launcher.py [--if-ready] {{{','.join(MODULES)}}} [ARGS...]")
        return EXIT_USAGE
    program, rest = args[0], args[1:]
    if sys.version_info < MIN_PYTHON and not os.environ.get("TASK_JOURNAL_PYTHON"):
        say(
            f"task-journal needs Python {'.'.join(map(str, MIN_PYTHON))} or newer, and python3 "
            f"here is {sys.version.split()[0]}; set TASK_JOURNAL_PYTHON to a newer one that has "
            "task-journal-mcp's dependencies"
        )
        return 0 if if_ready else EXIT_UNUSABLE
    try:
        python = ready_python(if_ready)
    except OSError as err:
        say(
            f"could not make its Python environment ({err}). Check that pip can reach a "
            "package index, or set TASK_JOURNAL_PYTHON to a Python that has "
            "task-journal-mcp's dependencies (pip install task-journal-mcp)"
        )
        return EXIT_UNUSABLE
    if python is None:
        say("its Python environment is not made yet (the MCP server makes it); skipped")
        return 0
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [str(python), "-m", MODULES[program], *rest]
    try:
        os.execve(command[0], command, env)  # noqa: S606 - our own argv list, no shell
    except OSError as err:
        say(f"cannot run {command[0]} ({err.strerror or err}); check TASK_JOURNAL_PYTHON")
        return EXIT_UNUSABLE
    return 0  # not reached: execve replaced this process


if __name__ == "__main__":
    sys.exit(main(sys.argv))
