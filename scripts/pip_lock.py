"""Write pip's own pinned, hashed entry from the full lock into a lock of its own.

`make lock` runs it so that requirements/pip.lock always names the pip of
requirements/dev.lock: the Makefile installs that pip first, alone, because the
pip a fresh venv bundles cannot install the full lock.
"""

import re
import sys

HEADER = """\
# pip alone, pinned with hashes: installed first, by itself, so that the pip a fresh
# `python3 -m venv` bundles (23.2.1 on Python 3.11) never reads requirements/dev.lock.
# `make lock` writes it from dev.lock.
"""


def main(full_lock: str, pip_lock: str) -> None:
    with open(full_lock, encoding="utf-8") as f:
        text = f.read()
    entry = re.search(r"^pip==\S+ \\\n(?:    --hash=\S+(?: \\)?\n)+", text, re.MULTILINE)
    if entry is None:
        sys.exit(f"pip_lock: no pinned pip in {full_lock}")
    with open(pip_lock, "w", encoding="utf-8") as f:
        f.write(HEADER + entry.group(0).rstrip(" \\\n") + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
