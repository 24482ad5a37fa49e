"""Opening the ledger: the engine (SQLite file or PostgreSQL URL), its migrations, its key, and the recovery of an
export that a crash interrupted."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import sqlalchemy as sa
from sqlalchemy import event

from ..errors import BordereauError
from .keys import Hasher, load_key
from .schema import migrate

DB_ENV = "BORDEREAU_DB"


def default_db() -> str:
    return os.environ.get(DB_ENV) or str(Path(platformdirs.user_data_dir("bordereau")) / "ledger.sqlite")


def make_engine(db: str) -> sa.Engine:
    """An engine for a path (SQLite) or a URL (postgresql://..., sqlite:///...)."""
    if "://" not in db:
        path = Path(db).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        db = f"sqlite:///{path}"
    if db.startswith(("postgresql://", "postgres://")):
        db = "postgresql+psycopg://" + db.split("://", 1)[1]
    try:
        engine = sa.create_engine(db, connect_args={"timeout": 60} if db.startswith("sqlite") else {},
                                  pool_pre_ping=not db.startswith("sqlite"))
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise BordereauError(f"base du registre invalide : {exc.__class__.__name__}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine)
    return engine


def _sqlite_pragmas(engine: sa.Engine) -> None:
    """Foreign keys on, WAL, and writers serialised from the start of their transaction (BEGIN IMMEDIATE)."""

    @event.listens_for(engine, "connect")
    def connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass
class Ledger:
    engine: sa.Engine
    hasher: Hasher
    url: str
    new_key: Path | None = None  # the key file this opening created (the ledger's first): say so, once

    @property
    def host(self) -> str:
        return socket.gethostname()

    def describe(self) -> str:
        """Where the ledger is, without a password."""
        return self.engine.url.render_as_string(hide_password=True)


def open_ledger(db: str | None = None, key_file: Path | None = None, create: bool = True) -> Ledger:
    """Open (and create, when `create`, or migrate) the ledger, then finish or undo any export a crash interrupted."""
    from .record import recover

    db = db or default_db()
    if not create and "://" not in db and not Path(db).expanduser().exists():
        raise BordereauError(f"registre introuvable : {db} (le premier export le crée ; vérifiez --db)")
    engine = make_engine(db)
    try:
        migrate(engine)
    except sa.exc.OperationalError as exc:
        raise BordereauError(f"registre inaccessible ({exc.orig.__class__.__name__}) : {db.split('@')[-1]}") from None
    key, created = _key_for(engine, key_file)
    ledger = Ledger(engine, Hasher(key), db, created)
    recover(ledger)
    return ledger


def _key_for(engine: sa.Engine, key_file: Path | None) -> tuple[bytes, Path | None]:
    """The installation key, checked against the fingerprint the ledger keeps: hashes made with another key would
    never match, and the same dose could be billed twice. A key is created only for a ledger that has none yet;
    the key file's path is returned when it was created here."""
    from .keys import default_key_file, fingerprint
    from .schema import ledger_meta

    with engine.begin() as connection:
        stored = connection.execute(sa.select(ledger_meta.c.value).where(ledger_meta.c.name == "key")).scalar()
    path = Path(key_file) if key_file else default_key_file()
    existed = path.exists()
    key = load_key(path, create=stored is None)
    if stored is None:
        try:
            with engine.begin() as connection:
                connection.execute(ledger_meta.insert().values(name="key", value=fingerprint(key)))
        except sa.exc.IntegrityError:  # another process recorded its key meanwhile: compare with that one
            pass
        with engine.connect() as connection:
            stored = connection.execute(sa.select(ledger_meta.c.value).where(ledger_meta.c.name == "key")).scalar()
    if stored != fingerprint(key):
        raise BordereauError(
            f"la clé {key_file or default_key_file()} n'est pas celle de ce registre : utilisez la clé avec "
            "laquelle il a été créé (--key-file ou $BORDEREAU_KEY_FILE)")
    return key, None if existed else path
