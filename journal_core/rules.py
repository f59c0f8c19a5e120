"""The rules derived state is built under (SPEC §6), light enough for the status line.

The index stores each event's type as its position in ``EVENT_TYPES`` and each task's
state and each event's standing as the fold (``journal_core.fold``) computes them, so
both are part of the index's identity (``RULES``): an index built under another set of
types or another version of the fold is rebuilt, never trusted. This module imports
nothing, so that the status line can check an index without loading msgspec.
"""

from __future__ import annotations

from typing import Final

__all__ = ["EVENT_TYPES", "FOLD_VERSION", "RULES"]

# Append only: a type's position is its code in the index.
EVENT_TYPES: Final = (
    "open",
    "hypothesis",
    "finding",
    "evidence",
    "decision",
    "rejection",
    "constraint",
    "correction",
    "reopen",
    "supersede",
    "close",
    "redirect",
    "rename",
)

# The version of the rules in journal_core/fold.py: bump it with any change to them.
FOLD_VERSION: Final = 1

RULES: Final = f"fold {FOLD_VERSION}; types {' '.join(EVENT_TYPES)}"
