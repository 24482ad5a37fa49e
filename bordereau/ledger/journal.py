"""The audit log of the service: who did what and when (login, upload, deposit, purge...), never a NIR."""

from __future__ import annotations

import datetime as dt

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


def events(ledger, limit: int = 200, action: str | None = None, start: dt.date | None = None,
           end: dt.date | None = None, login: str | None = None) -> list[dict]:
    """The latest entries, newest first; only one action's, one span of days' or one account's when asked."""
    c = audit_log.c
    query = sa.select(audit_log).order_by(c.id.desc()).limit(limit)
    if action:
        query = query.where(c.action == action)
    if login:
        query = query.where(c.login == login)
    if start:
        query = query.where(c.at >= dt.datetime.combine(start, dt.time()))
    if end:
        query = query.where(c.at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    with ledger.engine.connect() as connection:
        return [dict(r) for r in connection.execute(query).mappings()]


def actions(ledger) -> list[str]:
    """The actions the log holds, for a filter's choices."""
    with ledger.engine.connect() as connection:
        return sorted(connection.execute(sa.select(audit_log.c.action).distinct()).scalars())
