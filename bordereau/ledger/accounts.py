"""Accounts of the service: roles, Argon2id password hashes, and the login throttle kept in the ledger.

Roles: `centre` (one or more FINESS géographiques), `departement` (sees everything), `cpam` (one CPAM code). After
MAX_FAILURES wrong passwords for one login (known or not), that login is refused for LOCKOUT, even with the right
password; nothing in the answer tells whether the login exists.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bordereau import clock
from bordereau.errors import BordereauError
from bordereau.ledger.journal import log_event
from bordereau.ledger.service_tables import insert_ignoring_duplicates, login_attempts, sessions, users

ROLES = ("centre", "departement", "cpam")
MIN_PASSWORD = 12
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
LOGIN = re.compile(r"^[A-Za-z0-9._@-]{2,60}$")

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
_DUMMY = _hasher.hash("pas un vrai mot de passe")  # verified against for unknown logins: same time either way


@dataclass(frozen=True)
class User:
    login: str
    role: str
    centres: tuple[str, ...]
    cpam: str | None
    active: bool = True

    def as_json(self) -> dict:
        return {"login": self.login, "role": self.role, "centres": list(self.centres), "cpam": self.cpam}


def _user(row) -> User:
    return User(row.login, row.role, tuple(c for c in row.centres.split(",") if c), row.cpam, bool(row.active))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BordereauError(f"mot de passe trop court : {MIN_PASSWORD} caractères au moins")


def add_user(ledger, reference, login: str, password: str, role: str, centres: list[str] | None = None,
             cpam: str | None = None) -> User:
    """Create an account; the centres and the CPAM must be those of the reference data."""
    centres = list(dict.fromkeys(centres or []))
    if not LOGIN.match(login):
        raise BordereauError(f"identifiant « {login} » invalide : 2 à 60 lettres, chiffres, . _ @ ou -")
    if role not in ROLES:
        raise BordereauError(f"rôle « {role} » inconnu : {', '.join(ROLES)}")
    if role == "centre":
        if not centres:
            raise BordereauError("un compte centre a besoin d'au moins un --centre FINESS_GEOGRAPHIQUE")
        unknown = [c for c in centres if c not in reference.centre_by_finess]
        if unknown:
            raise BordereauError(f"FINESS géographique inconnu de centres.yaml : {', '.join(unknown)}")
    elif centres:
        raise BordereauError("--centre ne vaut que pour le rôle centre")
    if role == "cpam":
        if not cpam:  # it said « caisse « None » inconnue »
            raise BordereauError(f"un compte cpam a besoin de --cpam CODE ({', '.join(sorted(reference.cpams))})")
        if cpam not in reference.cpams:
            raise BordereauError(f"caisse « {cpam} » inconnue de centres.yaml (--cpam)")
    elif cpam:
        raise BordereauError("--cpam ne vaut que pour le rôle cpam")
    _check_password(password)
    now = clock.now()
    try:
        with ledger.engine.begin() as connection:
            connection.execute(users.insert().values(
                login=login, password_hash=_hasher.hash(password), role=role, centres=",".join(centres),
                cpam=cpam, active=True, created=now, password_changed=now))
            log_event(connection, None, "user_add", f"{login} ({role})")
    except sa.exc.IntegrityError:
        raise BordereauError(f"le compte « {login} » existe déjà") from None
    return User(login, role, tuple(centres), cpam)


def list_users(ledger) -> list[User]:
    with ledger.engine.connect() as connection:
        return [_user(r) for r in connection.execute(sa.select(users).order_by(users.c.role, users.c.login))]


def count_users(ledger) -> int:
    with ledger.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(users)).scalar_one()


def get_user(connection: sa.Connection, login: str) -> User | None:
    row = connection.execute(sa.select(users).where(users.c.login == login)).first()
    return _user(row) if row else None


def disable_user(ledger, login: str) -> None:
    """Disable an account and end its sessions."""
    with ledger.engine.begin() as connection:
        if not connection.execute(users.update().where(users.c.login == login).values(active=False)).rowcount:
            raise BordereauError(f"compte inconnu : {login}")
        connection.execute(sessions.delete().where(sessions.c.login == login))
        log_event(connection, None, "user_disable", login)


def set_password(ledger, login: str, password: str) -> None:
    """A new password (the account is enabled again, its sessions end, its lockout is lifted)."""
    _check_password(password)
    with ledger.engine.begin() as connection:
        done = connection.execute(users.update().where(users.c.login == login).values(
            password_hash=_hasher.hash(password), password_changed=clock.now(), active=True)).rowcount
        if not done:
            raise BordereauError(f"compte inconnu : {login}")
        connection.execute(sessions.delete().where(sessions.c.login == login))
        connection.execute(login_attempts.delete().where(login_attempts.c.login == login))
        log_event(connection, None, "user_password", login)


def authenticate(ledger, login: str, password: str) -> User | None:
    """The account if the password is right and the login is neither locked nor disabled; counts the failures."""
    login = login.strip()[:60]
    now = clock.now()
    with ledger.engine.begin() as connection:
        attempts = connection.execute(sa.select(login_attempts).where(login_attempts.c.login == login)).first()
        locked = attempts is not None and attempts.locked_until is not None and attempts.locked_until > now
        row = connection.execute(sa.select(users).where(users.c.login == login)).first()
        try:
            good = _hasher.verify(row.password_hash if row else _DUMMY, password) and row is not None
        except (VerificationError, InvalidHashError):
            good = False
        if good and not locked and row.active:
            connection.execute(login_attempts.delete().where(login_attempts.c.login == login))
            log_event(connection, login, "login")
            if _hasher.check_needs_rehash(row.password_hash):
                connection.execute(users.update().where(users.c.login == login)
                                   .values(password_hash=_hasher.hash(password)))
            return _user(row)
        if locked:
            log_event(connection, login, "login_refused", "connexion bloquée (trop d'échecs)")
            return None
        failures = 1 if attempts is None or (attempts.locked_until and attempts.locked_until <= now) \
            else attempts.failures + 1
        until = now + LOCKOUT if failures >= MAX_FAILURES else None
        if attempts is None:
            insert_ignoring_duplicates(connection, login_attempts, login=login, failures=0, last_failure=now)
            attempts = connection.execute(sa.select(login_attempts).where(login_attempts.c.login == login)).first()
            failures = attempts.failures + 1  # another request may have counted a failure meanwhile
            until = now + LOCKOUT if failures >= MAX_FAILURES else None
        connection.execute(login_attempts.update().where(login_attempts.c.login == login)
                           .values(failures=failures, last_failure=now, locked_until=until))
        log_event(connection, login, "login_failed", "compte désactivé" if good else "")
        return None
