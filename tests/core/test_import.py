"""journal_core stays a plain library: importing it loads no MCP or async framework."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import journal_core

# Import every module of the package, then list what was loaded from the forbidden ones.
PROBE = """
import json, pkgutil, sys, importlib
import journal_core
for module in pkgutil.iter_modules(journal_core.__path__, "journal_core."):
    importlib.import_module(module.name)
print(json.dumps(sorted(sys.modules)))
"""


def test_importing_journal_core_loads_neither_mcp_nor_anyio() -> None:
    root = Path(journal_core.__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    assert "journal_core.writer" in loaded
    assert [name for name in loaded if name.split(".")[0] in {"mcp", "anyio"}] == []
