"""The installed package's version, read when it is asked for, and ``--version``."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Sequence


@functools.cache
def package_version() -> str:
    # Read on demand, not at import: importlib.metadata alone takes tens of ms to import,
    # which every `task-journal` command would pay for a version it does not print.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("task-journal-mcp")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


class VersionAction(argparse.Action):
    """``--version``: print "<prog> <version>" on stdout and exit, reading the version only then."""

    def __init__(
        self, option_strings: Sequence[str], dest: str, help: str = "print the version and exit"
    ) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        print(f"{parser.prog} {package_version()}")
        parser.exit()
