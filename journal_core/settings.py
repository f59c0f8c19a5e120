"""The settings a front end resolves once (flags, then environment, then defaults)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

from journal_core.environment import (
    DEFAULT_LOCK_TIMEOUT,
    Durability,
    durability_of,
    lock_timeout_of,
)
from journal_core.events import DEFAULT_LIMITS, Limits
from journal_core.location import find_project_root, resolve_journal_path


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """What a ``Journal`` needs to know; front ends build it with ``from_env``."""

    journal_path: Path
    durability: Durability = "always"
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    limits: Limits = DEFAULT_LIMITS
    # The project whose journal this is by its path (None for a journal named by path).
    project_root: Path | None = None

    @classmethod
    def from_env(
        cls,
        journal: str | os.PathLike[str] | None = None,
        project_dir: str | os.PathLike[str] | None = None,
        durability: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Flags win over ``TASK_JOURNAL_*`` variables, which win over the defaults."""
        env = os.environ if environ is None else environ
        explicit = journal if journal is not None else env.get("TASK_JOURNAL_PATH")
        root = None
        if not explicit:
            root = find_project_root(Path(project_dir) if project_dir is not None else Path.cwd())
        return cls(
            project_root=root,
            journal_path=resolve_journal_path(journal, project_dir, env),
            durability=durability_of(durability or env.get("TASK_JOURNAL_DURABILITY")),
            lock_timeout=lock_timeout_of(env.get("TASK_JOURNAL_LOCK_TIMEOUT")),
        )
