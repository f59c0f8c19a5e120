"""Every workaround for the MCP SDK, in one place. Each module says which gap in the
SDK it fills and when it can be removed; nothing outside ``server.app`` imports them.
"""
