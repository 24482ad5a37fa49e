"""Sessions kept in the ledger (shared by every worker): a random cookie value, stored only as its SHA-256, a CSRF
token per session, an end after IDLE without activity and at logout, a new id at every login."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from bordereau import clock
from bordereau.ledger.accounts import User, get_user
from bordereau.ledger.journal import log_event
from bordereau.ledger.service_tables import sessions

IDLE = dt.timedelta(minutes=30)
TOUCH_EVERY = dt.timedelta(seconds=20)  # last_seen is written at most this often


@dataclass(frozen=True)
class Session:
    token: str
    user: User
    csrf: str


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(ledger, user: User, previous: str | None = None) -> Session:
    """A new session (and the end of the one the browser had, if any)."""
    token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), clock.now()
    with ledger.engine.begin() as connection:
        if previous:
            connection.execute(sessions.delete().where(sessions.c.id_hash == _key(previous)))
        connection.execute(sessions.delete().where(sessions.c.login == user.login,
                                                   sessions.c.last_seen < now - IDLE))
        connection.execute(sessions.insert().values(id_hash=_key(token), login=user.login, csrf=csrf, created=now,
                                                    last_seen=now))
    return Session(token, user, csrf)


def load(ledger, token: str | None) -> Session | None:
    """The live session of a cookie; an idle one is ended, a disabled account has none."""
    if not token or len(token) > 100:
        return None
    now = clock.now()
    with ledger.engine.begin() as connection:
        row = connection.execute(sa.select(sessions).where(sessions.c.id_hash == _key(token))).first()
        if row is None:
            return None
        user = get_user(connection, row.login)
        if now - row.last_seen > IDLE or user is None or not user.active:
            connection.execute(sessions.delete().where(sessions.c.id_hash == row.id_hash))
            return None
        if now - row.last_seen > TOUCH_EVERY:
            connection.execute(sessions.update().where(sessions.c.id_hash == row.id_hash).values(last_seen=now))
    return Session(token, user, row.csrf)


def end(ledger, session: Session) -> None:
    with ledger.engine.begin() as connection:
        connection.execute(sessions.delete().where(sessions.c.id_hash == _key(session.token)))
        log_event(connection, session.user.login, "logout")
