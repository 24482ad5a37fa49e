"""Whether a pending export still has a live process behind it, on PostgreSQL, whatever machine runs that process.

The process that reserves an export takes, in the same transaction, a PostgreSQL advisory lock named after the export,
on a connection that it keeps out of the pool until the export is complete or cancelled. The lock lives as long as
that connection: a process that dies (killed, power cut, its machine gone) loses it, and the next process that opens
the ledger, on any machine, knows at once that the export has no owner left (record.recover). Without it, a pending
export of another machine could only be presumed abandoned after an hour.

On SQLite (one machine), the host and process id recorded with the export say the same (record._alive).
"""

from __future__ import annotations

import contextlib
import threading

import sqlalchemy as sa

NAMESPACE = 0x626F7264  # "bord": the first key of the two-key advisory locks of exports

_held: dict[int, sa.Connection] = {}
_lock = threading.Lock()


def locks(connection: sa.Connection) -> bool:
    return connection.dialect.name == "postgresql"


def hold(connection: sa.Connection, export_id: int) -> None:
    """Take the export's lock on `connection` (inside the transaction that records the export, so that the export is
    never visible without its lock)."""
    if locks(connection):
        connection.execute(sa.text("SELECT pg_advisory_lock(:ns, :id)"), {"ns": NAMESPACE, "id": export_id})


def keep(connection: sa.Connection, export_id: int) -> None:
    """Keep the connection that holds the export's lock until `release`; on SQLite, give it back."""
    if not locks(connection):
        connection.close()
        return
    with _lock:
        _held[export_id] = connection


def drop(connection: sa.Connection) -> None:
    """Close a connection that may hold a lock: its session ends, and its locks with it (a session lock outlives a
    rolled-back transaction, so such a connection never goes back to the pool)."""
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        if locks(connection):
            connection.invalidate()
        connection.close()


def release(export_id: int) -> None:
    """The export is complete or cancelled (and committed): let its lock go."""
    with _lock:
        connection = _held.pop(export_id, None)
    if connection is not None:
        drop(connection)


def orphaned(connection: sa.Connection, export_id: int) -> bool:
    """Whether no live process holds the export's lock (PostgreSQL only)."""
    free = connection.execute(sa.text("SELECT pg_try_advisory_lock(:ns, :id)"),
                              {"ns": NAMESPACE, "id": export_id}).scalar_one()
    if free:
        connection.execute(sa.text("SELECT pg_advisory_unlock(:ns, :id)"), {"ns": NAMESPACE, "id": export_id})
    return bool(free)
