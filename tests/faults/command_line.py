"""The installed ``task-journal`` command on one journal, as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CLI = Path(sys.executable).with_name("task-journal")


def cli(journal: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``task-journal --journal JOURNAL ARGS...``; its status and both streams."""
    return subprocess.run(
        [str(CLI), "--journal", str(journal), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
