"""The ``git`` command, run on the replica's own bare repository.

Sync never runs git in the user's repository except to read which URL a remote
name stands for: its objects and refs live in a private bare repository beside
the journal, which fetches and pushes ``refs/task-journal/*`` by URL. So no
branch, tag, HEAD, index, work tree, stash or object of the user's changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from journal_core.errors import NoRemote, SyncFailed

# Variables that would point git at another repository than the one named.
_REPOSITORY_VARIABLES: Final = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)
# Commits of a replica's ref carry no one's name: they are the journal's, not a person's.
_IDENTITY: Final = {
    "GIT_AUTHOR_NAME": "task-journal",
    "GIT_AUTHOR_EMAIL": "task-journal@localhost",
    "GIT_COMMITTER_NAME": "task-journal",
    "GIT_COMMITTER_EMAIL": "task-journal@localhost",
    # Never ask on a terminal: a hook or a script would hang.
    "GIT_TERMINAL_PROMPT": "0",
}
# Loose objects past this size (KiB), and packs past this count, are packed together.
_LOOSE_KB: Final = 32 * 1024
_MAX_PACKS: Final = 16


def git_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if environ is None else environ)
    for name in _REPOSITORY_VARIABLES:
        env.pop(name, None)
    env.update(_IDENTITY)
    return env


class Git:
    """git on one bare repository, every call bounded by ``deadline`` (monotonic)."""

    def __init__(self, git_dir: Path, deadline: float | None = None) -> None:
        self.git_dir = git_dir
        self.deadline = deadline
        self._env = git_environment()

    def init(self) -> None:
        """Make the repository (whole or not at all: built aside, then renamed), or, for
        one that exists, clear the lock files a killed git left: only a sync, holding
        the replica's lock, runs git here, so any lock file found is stale."""
        if self.git_dir.is_dir():
            for stale in (*self.git_dir.glob("*.lock"), *self.git_dir.glob("refs/**/*.lock")):
                stale.unlink(missing_ok=True)
            return
        aside = self.git_dir.with_name(f"{self.git_dir.name}.new")
        shutil.rmtree(aside, ignore_errors=True)
        self.run("init", "--quiet", "--bare", str(aside), in_repository=False)
        # No gc of its own choosing in the middle of a sync: ``tidy`` packs instead.
        self.run(f"--git-dir={aside}", "config", "gc.auto", "0", in_repository=False)
        aside.rename(self.git_dir)

    def tidy(self) -> None:
        """Pack loose objects once they weigh more than ``_LOOSE_KB``: each push writes
        its segment's new version whole, and packed as deltas the versions take little."""
        counts = dict(
            line.split(": ", 1) for line in self.run("count-objects", "-v").decode().splitlines()
        )
        if int(counts.get("size", "0")) > _LOOSE_KB:
            self.run("repack", "-d", "-q")
        if int(counts.get("packs", "0")) > _MAX_PACKS:
            self.run("repack", "-a", "-d", "-q")

    def run(
        self, *args: str, input: bytes | None = None, in_repository: bool = True, ok: int = 0
    ) -> bytes:
        """git's stdout; ``SyncFailed`` naming git's last line of stderr if it fails
        (exit status above ``ok``), or if it outlives the deadline."""
        return self.call(*args, input=input, in_repository=in_repository, ok=ok)[1]

    def call(
        self, *args: str, input: bytes | None = None, in_repository: bool = True, ok: int = 0
    ) -> tuple[int, bytes]:
        command = ["git"]
        if in_repository:
            command.append(f"--git-dir={self.git_dir}")
        command.extend(args)
        timeout = None
        if self.deadline is not None:
            import time

            timeout = max(0.1, self.deadline - time.monotonic())
        try:
            done = subprocess.run(
                command,
                input=input,
                capture_output=True,
                env=self._env,
                timeout=timeout,
                check=False,
                stdin=None if input is not None else subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise SyncFailed(f"git {args[0]} took too long; try again later") from None
        except FileNotFoundError:
            raise SyncFailed("git is not installed (no 'git' command on PATH)") from None
        if done.returncode > ok:
            raise SyncFailed(f"git {args[0]}: {_last_line(done.stderr)}")
        return done.returncode, done.stdout

    # --- objects ----------------------------------------------------------------------

    def hash_blob(self, path: Path) -> str:
        return self.run("hash-object", "-w", "--", str(path)).decode().strip()

    def make_tree(self, entries: Sequence[tuple[str, str]]) -> str:
        """A tree of blobs: ``(name, blob id)`` each."""
        listing = "".join(f"100644 blob {blob}\t{name}\n" for name, blob in entries)
        return self.run("mktree", input=listing.encode()).decode().strip()

    def commit(self, tree: str, parent: str | None, message: str) -> str:
        args = ["commit-tree", tree, "-m", message]
        if parent is not None:
            args += ["-p", parent]
        return self.run(*args).decode().strip()

    def tree_entries(self, commit: str) -> list[tuple[str, str, str, str]]:
        """``(mode, type, object id, name)`` of the commit's top tree."""
        out = self.run("ls-tree", "-z", commit)
        entries = []
        for record in out.split(b"\0"):
            if not record:
                continue
            head, _, name = record.partition(b"\t")
            mode, kind, oid = head.decode().split(" ")
            entries.append((mode, kind, oid, name.decode("utf-8", "replace")))
        return entries

    def blobs(self, oids: Sequence[str], max_bytes: int) -> dict[str, bytes | None]:
        """The contents of the blobs; None for one over ``max_bytes`` or missing."""
        if not oids:
            return {}
        listing = "".join(f"{oid}\n" for oid in oids).encode()
        sizes = self.run("cat-file", "--batch-check", input=listing)
        wanted = []
        found: dict[str, bytes | None] = {}
        for line, oid in zip(sizes.decode().splitlines(), oids, strict=True):
            parts = line.split()
            if len(parts) == 3 and parts[1] == "blob" and int(parts[2]) <= max_bytes:
                wanted.append(oid)
            else:
                found[oid] = None
        if wanted:
            listing = "".join(f"{oid}\n" for oid in wanted).encode()
            out = self.run("cat-file", "--batch", input=listing)
            at = 0
            for oid in wanted:
                end = out.index(b"\n", at)
                size = int(out[at:end].split()[2])
                found[oid] = out[end + 1 : end + 1 + size]
                at = end + 1 + size + 1
        return found

    def has_commit(self, oid: str) -> bool:
        return self.call("cat-file", "-e", f"{oid}^{{commit}}", ok=128)[0] == 0

    def is_ancestor(self, old: str, new: str) -> bool:
        """Whether ``old`` is ``new`` or lies in its history (False if ``old`` is unknown)."""
        status, _ = self.call("merge-base", "--is-ancestor", old, new, ok=128)
        return status == 0

    # --- refs -------------------------------------------------------------------------

    def refs(self, prefix: str) -> dict[str, str]:
        out = self.run("for-each-ref", "--format=%(refname) %(objectname)", prefix)
        pairs = (line.partition(" ") for line in out.decode().splitlines() if line)
        return {name: oid for name, _, oid in pairs}

    def fetch(self, url: str, refspec: str) -> None:
        self.run("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--prune", url, refspec)

    def push(self, url: str, commit: str, ref: str, expected: str | None) -> None:
        """Push ``commit`` to ``ref`` at ``url`` if the ref is still ``expected`` there
        (None: absent); ``SyncFailed`` if it was moved meanwhile or the remote refuses."""
        lease = f"--force-with-lease={ref}:{expected or ''}"
        self.run("push", "--quiet", "--no-verify", lease, url, f"{commit}:{ref}")


def remote_url(project: Path, remote: str) -> str:
    """The URL to sync with: ``remote`` itself if it looks like one, else the URL of the
    remote of that name in the project's repository (a relative path made absolute)."""
    if "/" in remote or ":" in remote:
        return _absolute(project, remote)
    status = subprocess.run(
        ["git", "-C", str(project), "config", "--get", f"remote.{remote}.url"],
        capture_output=True,
        env=git_environment(),
        check=False,
    )
    url = status.stdout.decode().strip()
    if status.returncode != 0 or not url:
        raise NoRemote(project, remote)
    return _absolute(project, url)


def _absolute(project: Path, url: str) -> str:
    if "://" in url or (":" in url.split("/")[0] and not url.startswith(".")):
        return url  # a URL, or scp-like host:path
    return str((project / url).resolve()) if not os.path.isabs(url) else url


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    return lines[-1] if lines else "failed"
