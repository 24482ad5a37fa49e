"""Opening the ledger: the engine (SQLite file or PostgreSQL URL), its migrations, its key, and the recovery of an
export that a crash interrupted."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import sqlalchemy as sa
from sqlalchemy import event

from bordereau.errors import BordereauError
from bordereau.ledger.keys import Hasher, load_key
from bordereau.ledger.schema import migrate

DB_ENV = "BORDEREAU_DB"


def default_db() -> str:
    return os.environ.get(DB_ENV) or str(Path(platformdirs.user_data_dir("bordereau")) / "ledger.sqlite")


def make_engine(db: str, pool: int | None = None) -> sa.Engine:
    """An engine for a path (SQLite) or a URL (postgresql://..., sqlite:///...). `pool`: the connections this process
    keeps open to PostgreSQL (as many more may open at a peak); each worker of the service has its own."""
    if "://" not in db:
        path = Path(db).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        db = f"sqlite:///{path}"
    if db.startswith(("postgresql://", "postgres://")):
        db = "postgresql+psycopg://" + db.split("://", 1)[1]
    sizes = {"pool_size": pool, "max_overflow": pool} if pool and not db.startswith("sqlite") else {}
    try:
        engine = sa.create_engine(db, connect_args={"timeout": 60} if db.startswith("sqlite") else {},
                                  pool_pre_ping=not db.startswith("sqlite"), **sizes)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise BordereauError(f"base du registre invalide : {exc.__class__.__name__}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine)
    _storage_errors(engine)
    return engine


NETWORK_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs", "ceph", "glusterfs",
                       "fuse.glusterfs", "lustre", "davfs", "fuse.davfs2")


def network_filesystem(path: Path, mounts: Path = Path("/proc/self/mounts")) -> str | None:
    """The type of the network file system that holds `path` (nfs, cifs...), None for a local disk or where the
    system does not say (no /proc/self/mounts). SQLite's locking, which lets several processes share a ledger file,
    cannot be trusted there."""
    try:
        table = [line.split()[1:3] for line in mounts.read_text(encoding="utf-8", errors="replace").splitlines()]
    except OSError:
        return None
    target = str(Path(path).expanduser().resolve())
    best = ("", None)
    for point, kind in table:
        point = point.replace("\\040", " ")
        if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) >= len(best[0]):
            best = (point, kind)
    return best[1] if best[1] in NETWORK_FILESYSTEMS else None


_STORAGE = (("disk is full", "disque plein"), ("diskfull", "disque plein"), ("no space left", "disque plein"),
            ("readonly database", "lecture seule"), ("read-only", "lecture seule"),
            ("unable to open database", "fichier ou dossier inaccessible (lecture seule ?)"))


def _storage_errors(engine: sa.Engine) -> None:
    """A ledger that cannot be written (a full disk, a read-only file or folder) is one French line naming it and the
    cause, whatever statement met it; the transaction is rolled back, nothing is half-written."""
    where = engine.url.database if engine.dialect.name == "sqlite" else engine.url.render_as_string(hide_password=True)

    @event.listens_for(engine, "handle_error")
    def translate(context):
        original = context.original_exception
        text = f"{original.__class__.__name__} {original}".lower()
        cause = next((french for english, french in _STORAGE if english in text), None)
        if cause is None and isinstance(original, OSError):
            from bordereau.errors import os_cause

            cause = os_cause(original)
        if cause:
            raise BordereauError(f"registre {where} : écriture impossible, {cause}") from None


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
    identity: str = ""  # this ledger's own identity: a copy of the file somewhere else gets another one

    @property
    def host(self) -> str:
        return socket.gethostname()

    def describe(self) -> str:
        """Where the ledger is, without a password."""
        return self.engine.url.render_as_string(hide_password=True)


def open_ledger(db: str | None = None, key_file: Path | None = None, create: bool = True,
                pool: int | None = None) -> Ledger:
    """Open (and create, when `create`, or migrate) the ledger, then finish or undo any export a crash interrupted, and
    remove the working folders its process left (staging.py)."""
    from bordereau.ledger import staging
    from bordereau.ledger.record import recover

    db = db or default_db()
    if not create and "://" not in db and not Path(db).expanduser().exists():
        raise BordereauError(f"registre introuvable : {db} (le premier export le crée ; vérifiez --db)")
    engine = make_engine(db, pool)
    try:
        migrate(engine)
    except sa.exc.OperationalError as exc:
        raise BordereauError(f"registre inaccessible ({exc.orig.__class__.__name__}) : {db.split('@')[-1]}") from None
    key, created = _key_for(engine, key_file)
    ledger = Ledger(engine, Hasher(key), db, created)
    ledger.identity = _identity(engine, _location(engine))
    recover(ledger)
    staging.sweep()  # the working folders (copies holding NIRs) of processes killed meanwhile
    return ledger


def _location(engine: sa.Engine) -> str:
    """Where a ledger lives: its file, or its database as the server names it (the same whatever name or address
    each computer gives the server)."""
    if engine.dialect.name == "sqlite":
        return str(Path(engine.url.database or "").expanduser().resolve())
    with engine.connect() as connection:
        address, port, database = connection.execute(sa.text(
            "SELECT host(inet_server_addr()), inet_server_port(), current_database()")).one()
    return f"postgresql:{address or 'socket'}:{port or ''}/{database}"


def _identity(engine: sa.Engine, location: str) -> str:
    """The ledger's identity, recorded in every manifest. It is bound to where the ledger lives: a copy of the file
    opened elsewhere (a backup restored beside the original, a copy on another computer) gets a new identity, and
    remembers the one it was copied from, so that `audit` tells bordereaux numbered by two ledgers apart."""
    from bordereau.ledger.schema import ledger_meta

    meta = ledger_meta.c
    with engine.connect() as connection:
        stored = dict(connection.execute(sa.select(meta.name, meta.value).where(
            meta.name.in_(["identity", "location"]))).all())
    if stored.get("identity") and stored.get("location") == location:
        return stored["identity"]
    try:
        return _new_identity(engine, location, stored.get("identity"))
    except sa.exc.IntegrityError:  # another process gave it one meanwhile
        with engine.connect() as connection:
            return connection.execute(sa.select(meta.value).where(meta.name == "identity")).scalar_one()


def _new_identity(engine: sa.Engine, location: str, before: str | None) -> str:
    from bordereau.ledger.schema import ledger_meta

    meta = ledger_meta.c
    identity = uuid.uuid4().hex
    with engine.begin() as connection:
        now = dict(connection.execute(sa.select(meta.name, meta.value).where(
            meta.name.in_(["identity", "location"]))).all())
        if now.get("identity") and now.get("location") == location and now.get("identity") != before:
            return now["identity"]  # another process opened it here first
        connection.execute(ledger_meta.delete().where(meta.name.in_(["identity", "location"])))
        connection.execute(ledger_meta.insert(), [{"name": "identity", "value": identity},
                                                  {"name": "location", "value": location}])
        if before:
            connection.execute(ledger_meta.delete().where(meta.name == "copied_from"))
            connection.execute(ledger_meta.insert().values(name="copied_from", value=before))
    return identity


def _key_for(engine: sa.Engine, key_file: Path | None) -> tuple[bytes, Path | None]:
    """The installation key, checked against the fingerprint the ledger keeps: hashes made with another key would
    never match, and the same dose could be billed twice. A key is created only for a ledger that has none yet;
    the key file's path is returned when it was created here."""
    from bordereau.ledger.keys import default_key_file, fingerprint
    from bordereau.ledger.schema import ledger_meta

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
