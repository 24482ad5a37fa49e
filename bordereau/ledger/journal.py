"""The audit log of the service: who did what and when (login, upload, deposit, purge...), never a NIR."""

from __future__ import annotations

import sqlalchemy as sa

from bordereau import clock
from bordereau.identifiers import hide_nirs
from bordereau.ledger.service_tables import audit_log


def log_event(connection: sa.Connection, login: str | None, action: str, detail: str = "") -> None:
    """Add one entry; a NIR typed anywhere in `detail` (a file name...) is masked first."""
    connection.execute(audit_log.insert().values(at=clock.now(), login=login, action=action,
                                                 detail=hide_nirs(detail)[:1000]))


def log(ledger, login: str | None, action: str, detail: str = "") -> None:
    with ledger.engine.begin() as connection:
        log_event(connection, login, action, detail)


def events(ledger, limit: int = 200) -> list[dict]:
    """The latest entries, newest first."""
    with ledger.engine.connect() as connection:
        rows = connection.execute(sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)).mappings()
        return [dict(r) for r in rows]
