"""``python -m server``: the same as the ``task-journal-mcp`` command."""

from server import main

raise SystemExit(main())
