"""The derived SQLite index (SPEC §6): re-creatable from the journal at any time.

Nothing is imported here, so that the status line can read ``index.state`` alone.
"""
