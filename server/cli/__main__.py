"""``python -m server.cli``: the task-journal command line, as the plugin's launcher runs it."""

import sys

from server.cli import main

sys.exit(main())
