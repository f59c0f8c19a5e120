"""The MCP server and command line over journal_core.

``main`` is the ``task-journal-mcp`` entry point (``server.launch``). This package
imports nothing when imported: ``server.cli`` is a part of it, and a hook that runs
after every tool call must pay neither for the server's options (argparse) nor for
anything else it does not use.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["__version__", "main"]

__version__: str
"""The installed package's version, read on first use (see ``__getattr__``)."""


def __getattr__(name: str) -> str:
    if name == "__version__":
        from server.version import package_version

        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the MCP server until its client goes away; return the exit status."""
    from server.launch import main as launch

    return launch(argv)
