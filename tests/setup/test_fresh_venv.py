"""The set-up works with the pip that `python3 -m venv` bundles (23.2.1 on Python 3.11.7
and 3.12.1), which cannot read requirements/dev.lock: `make` installs the locked pip
first, alone, and that pip installs the rest. CI (.ci/run) builds its venv the same way,
through `make test` on a fresh clone, with no pip upgraded by hand."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def setup_recipe(venv: Path) -> list[str]:
    """The commands `make` runs to set up ``venv``, in order (not run: `make -n`)."""
    done = subprocess.run(
        ["make", "-n", "-B", "-C", str(ROOT), f"VENV={venv}", f"{venv}/.installed"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.splitlines()


def test_the_locked_pip_is_installed_alone_before_the_lock(tmp_path: Path) -> None:
    installs = [line for line in setup_recipe(tmp_path / "venv") if " -m pip install " in line]

    assert re.search(r"--require-hashes -r requirements/pip\.lock\b", installs[0])
    assert "dev.lock" not in installs[0]
    assert "-r requirements/dev.lock" in installs[1]
    assert not any("--upgrade" in line or " -U " in line for line in installs)


def test_the_pip_lock_is_what_make_lock_writes_from_the_full_lock(tmp_path: Path) -> None:
    written = tmp_path / "pip.lock"

    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "pip_lock.py"), "requirements/dev.lock", written],
        cwd=ROOT,
        check=True,
        timeout=60,
    )

    assert written.read_text() == (ROOT / "requirements" / "pip.lock").read_text()


def test_ci_runs_make_test_and_touches_no_pip() -> None:
    script = (ROOT / ".ci" / "run").read_text()

    commands = [line for line in script.splitlines() if line and not line.startswith("#")]
    assert commands[-1] == "make test"
    assert not re.search(r"\bpip\b", "\n".join(commands))


@pytest.mark.slow
def test_the_set_up_works_with_the_pip_a_fresh_venv_bundles(tmp_path: Path) -> None:
    # A copy of the project, so that the editable install points at neither this
    # checkout's venv nor its files.
    project = tmp_path / "project"
    shutil.copytree(
        ROOT,
        project,
        symlinks=True,
        ignore=shutil.ignore_patterns(".venv", ".git", ".claude-check", "*cache*", "bench"),
    )
    bundled = subprocess.run(
        [sys.executable, "-c", "import ensurepip; print(ensurepip.version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    done = subprocess.run(
        ["make", "-C", str(project), f"PYTHON={sys.base_prefix}/bin/python3", ".venv/.installed"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert done.returncode == 0, (bundled, done.stderr[-3000:])
    version = subprocess.run(
        [str(project / ".venv" / "bin" / "task-journal"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.startswith("task-journal")
