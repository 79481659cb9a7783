"""Errors raised by CSQM. Every message is one clear sentence a user can act on.

Hierarchy::

    CsqmError
    ├── ConfigError          settings, profiles, catalogues or rule files are invalid
    ├── StoreError           the database cannot be opened or used
    │   └── StoreBusyError   another process holds the embedded store
    └── IngestError          an input file cannot be read at all (bad rows are rejected, not raised)

Messages never contain customer personal data: callers pass masked values only.
"""

from __future__ import annotations


class CsqmError(Exception):
    """Base class: anything the CLI reports as one sentence instead of a traceback."""


class ConfigError(CsqmError):
    """A settings value, profile, catalogue or rule file is invalid."""


class StoreError(CsqmError):
    """The store cannot be opened, migrated or written."""


class StoreBusyError(StoreError):
    """The embedded DuckDB file is held by another process."""

    def __init__(self, path: str, pid: int | None, command: str | None) -> None:
        holder = f"process {pid}" if pid else "another process"
        if command:
            holder += f" ({command})"
        super().__init__(
            f"The store {path} is busy: {holder} has it open, and the embedded store allows one "
            "process at a time. Stop that process (or wait for it to finish) and try again, or use a "
            "PostgreSQL store (CSQM_STORE_URL=postgresql://…) for concurrent use."
        )
        self.path = path
        self.pid = pid
        self.command = command


class IngestError(CsqmError):
    """An input file cannot be read at all (wrong format, undecodable, missing required columns)."""
