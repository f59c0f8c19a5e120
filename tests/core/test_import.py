"""journal_core stays a plain library: importing it loads no MCP or async framework."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import journal_core

# Import every module of the package, then list what was loaded from the forbidden ones.
PROBE = """
import json, pkgutil, sys, importlib
import journal_core
for module in pkgutil.walk_packages(journal_core.__path__, "journal_core."):
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


def test_the_front_ends_import_journal_core_only_through_its_public_names() -> None:
    root = Path(journal_core.__file__).resolve().parents[1]
    reached_in = []
    for path in sorted((root / "server").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = []
            if isinstance(node, ast.ImportFrom) and node.module is not None:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            reached_in += [
                f"{path.relative_to(root)}: {module}"
                for module in modules
                if module.startswith("journal_core.")
            ]
    assert reached_in == []
