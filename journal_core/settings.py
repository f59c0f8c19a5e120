"""The settings a front end resolves once (flags, then environment, then defaults)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal

import msgspec

from journal_core.errors import InvalidSetting
from journal_core.events import DEFAULT_LIMITS, Limits
from journal_core.location import resolve_journal_path

Durability = Literal["always", "flush"]
DURABILITY_MODES: Final = ("always", "flush")
DEFAULT_LOCK_TIMEOUT: Final = 10.0
# Past this a wait is a hang, not a timeout; and the thread primitives refuse
# waits over about 2**63 nanoseconds with an OverflowError.
MAX_LOCK_TIMEOUT: Final = 3600.0


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """What a ``Journal`` needs to know; front ends build it with ``from_env``."""

    journal_path: Path
    durability: Durability = "always"
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    limits: Limits = DEFAULT_LIMITS

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
        mode = durability or env.get("TASK_JOURNAL_DURABILITY") or "always"
        if mode not in DURABILITY_MODES:
            raise InvalidSetting("durability", f"{mode!r} is not one of: always, flush")
        return cls(
            journal_path=resolve_journal_path(journal, project_dir, env),
            durability="always" if mode == "always" else "flush",
            lock_timeout=_lock_timeout(env.get("TASK_JOURNAL_LOCK_TIMEOUT")),
        )


def _lock_timeout(raw: str | None) -> float:
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 < value <= MAX_LOCK_TIMEOUT:
        raise InvalidSetting(
            "TASK_JOURNAL_LOCK_TIMEOUT",
            f"{raw!r} is not a number of seconds over 0 and at most {MAX_LOCK_TIMEOUT:g}",
        )
    return value
