"""A team: a bare repository as the remote and clones of it, each with its own data
folder (so its own journal and replica), synced with real git."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from journal_core import Journal, Settings, new_event
from journal_core.location import resolve_journal_path
from journal_core.sync import SyncReport, sync

CLI = Path(sys.executable).with_name("task-journal")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, check=True, timeout=60, env=git_env()
    )
    return done.stdout.decode()


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


@dataclass
class Member:
    """One clone of the project, with its own data folder."""

    root: Path
    data: Path

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASK_JOURNAL_")}
        env["TASK_JOURNAL_DATA_DIR"] = str(self.data)
        return env

    @property
    def journal_path(self) -> Path:
        return resolve_journal_path(
            project_dir=self.root, environ={"TASK_JOURNAL_DATA_DIR": str(self.data)}
        )

    def journal(self) -> Journal:
        return Journal(Settings(journal_path=self.journal_path))

    def open_task(self, title: str, **meta: Any) -> str:
        journal = self.journal()
        try:
            event = new_event(type="open", text=title, title=title, meta=meta or None)
            return journal.append(event).task_id
        finally:
            journal.close()

    def append(self, task_id: str, text: str, kind: str = "finding") -> str:
        journal = self.journal()
        try:
            return journal.append(new_event(type=kind, text=text, task_id=task_id)).event_id
        finally:
            journal.close()

    def sync(self, **options: Any) -> SyncReport:
        journal = self.journal()
        try:
            return sync(journal, project_dir=self.root, **options)
        finally:
            journal.close()

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CLI), *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start_sync(self) -> subprocess.Popen[bytes]:
        """``task-journal sync`` started, not waited for, in a session of its own (so
        that it and the git it runs can be killed together)."""
        return subprocess.Popen(
            [str(CLI), "sync"],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def cli_input(self, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
        """``task-journal ARGS`` with ``stdin``, run from the member's folder."""
        return subprocess.run(
            [str(CLI), *args],
            cwd=self.root,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def lines(self) -> list[bytes]:
        """The journal's lines, ``\\n`` included (none if there is no journal yet)."""
        try:
            data = self.journal_path.read_bytes()
        except FileNotFoundError:
            return []
        return [line + b"\n" for line in data.split(b"\n")[:-1]]

    def ids(self) -> collections.Counter[str]:
        import json

        return collections.Counter(json.loads(line)["event_id"] for line in self.lines())


@dataclass
class Team:
    remote: Path
    members: list[Member]

    def join(self, name: str, tmp: Path) -> Member:
        root = tmp / name
        git(tmp, "clone", "--quiet", str(self.remote), name)
        member = Member(root=root, data=tmp / f"data-{name}")
        self.members.append(member)
        return member


@pytest.fixture
def team(tmp_path: Path) -> Team:
    """A remote with one commit on main, and three clones of it: a, b and c."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "--quiet", str(remote), "seed")
    (seed / "README").write_text("project\n")
    git(seed, "add", "README")
    git(seed, "commit", "--quiet", "-m", "first")
    git(seed, "push", "--quiet", "origin", "HEAD:main")
    built = Team(remote=remote, members=[])
    for name in ("a", "b", "c"):
        built.join(name, tmp_path)
    return built


def remote_lines(remote: Path, replica_id: str) -> list[bytes]:
    """Every line under a replica's ref on the remote, segments in order."""
    ref = f"refs/task-journal/{replica_id}"
    listing = git(remote, "ls-tree", "--name-only", ref).split()
    lines: list[bytes] = []
    for name in sorted(listing):
        blob = subprocess.run(
            ["git", "cat-file", "blob", f"{ref}:{name}"],
            cwd=remote,
            capture_output=True,
            check=True,
        ).stdout
        lines += [line + b"\n" for line in blob.split(b"\n")[:-1]]
    return lines


def rewrite_ref(remote: Path, replica_id: str, lines: list[bytes]) -> None:
    """Someone else replaces a replica's ref with a history of its own: one segment
    holding ``lines``, unrelated to what was there."""

    def plumbing(*args: str, given: bytes) -> str:
        done = subprocess.run(
            ["git", *args], cwd=remote, input=given, capture_output=True, check=True
        )
        return done.stdout.decode().strip()

    blob = plumbing("hash-object", "-w", "--stdin", given=b"".join(lines))
    tree = plumbing("mktree", given=f"100644 blob {blob}\tseg-000001.jsonl\n".encode())
    commit = git(remote, "commit-tree", tree, "-m", "rewritten").strip()
    git(remote, "update-ref", f"refs/task-journal/{replica_id}", commit)


def replica_ids(remote: Path) -> list[str]:
    out = git(remote, "for-each-ref", "--format=%(refname)", "refs/task-journal/")
    return [line.rsplit("/", 1)[1] for line in out.split()]
