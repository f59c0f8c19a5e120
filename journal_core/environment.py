"""The settings given as flags or ``TASK_JOURNAL_*`` variables (SPEC §4), checked.

Apart from ``journal_core.settings`` so that the command line can name and check them
without loading the library: the status line parses the same options as every command,
and refuses the same bad values.
"""

import math
from typing import Final, Literal

from journal_core.errors import InvalidSetting

Durability = Literal["always", "flush"]
DURABILITY_MODES: Final = ("always", "flush")
DEFAULT_LOCK_TIMEOUT: Final = 10.0
# Past this a wait is a hang, not a timeout; and the thread primitives refuse
# waits over about 2**63 nanoseconds with an OverflowError.
MAX_LOCK_TIMEOUT: Final = 3600.0


def durability_of(mode: str | None) -> Durability:
    """``mode`` checked (``None`` or empty: the default, ``always``)."""
    mode = mode or "always"
    if mode not in DURABILITY_MODES:
        raise InvalidSetting("durability", f"{mode!r} is not one of: always, flush")
    return "always" if mode == "always" else "flush"


def lock_timeout_of(raw: str | None) -> float:
    """``TASK_JOURNAL_LOCK_TIMEOUT`` checked (``None`` or empty: the default)."""
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
