"""Team journals over git (SPEC §10): each journal a replica publishing its own events
under ``refs/task-journal/<replica-id>`` of the project's remote, reading everyone's.

``run.sync`` is one exchange; ``replica`` keeps its files beside the journal; ``git``
drives the ``git`` command on a private bare repository; ``receive`` checks other
replicas' lines and ``publish`` finds our own; ``status`` reads how far a replica is,
cheaply enough for the status line (it loads none of the others: hence the lazy names).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from journal_core.sync.run import Conflict, SyncReport, sync
    from journal_core.sync.status import SyncStatus, sync_status

__all__ = ["Conflict", "SyncReport", "SyncStatus", "sync", "sync_status"]

_LATER = {
    "Conflict": "run",
    "SyncReport": "run",
    "sync": "run",
    "SyncStatus": "status",
    "sync_status": "status",
}


def __getattr__(name: str) -> Any:
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
