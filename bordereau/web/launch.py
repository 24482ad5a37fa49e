"""Starting `bordereau serve` with one worker or several, alone or as one of several instances.

Nothing that a second worker needs lives in a worker: sessions, login counters, uploaded files, the ledger's exports
and the audit log are in the ledger's database; each worker holds only what it can rebuild from the files it was
started with (the reference data, the key, a small pool of checking processes, its own database connections). So the
workers share what `bordereau serve` sets in their environment (below), and every instance must be started with the
same reference data and the same key file.

A SQLite ledger is shared safely by the processes of one computer (WAL, writers serialised by BEGIN IMMEDIATE, a
busy timeout of a minute: the CLI's own rule), not over a network share, where its locks cannot be trusted: there, or
for instances on several computers, PostgreSQL.

No process of the service outlives the one that started it, whatever the way that one ends (SIGKILL included): a
worker whose supervisor is gone stops as on SIGTERM (its requests finished, its checking processes closed), and a
checking process whose worker is gone exits (bordereau.web.checker). Both watch their starter the same way
(`when_starter_ends`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from bordereau.errors import BordereauError
from bordereau.ledger.db import network_filesystem

DB_ENV, KEY_ENV, REF_ENV, HTTPS_ENV, POOL_ENV = (
    "BORDEREAU_DB", "BORDEREAU_KEY_FILE", "BORDEREAU_REF", "BORDEREAU_HTTPS", "BORDEREAU_DB_POOL")
DEFAULT_POOL = 5  # connections a worker keeps to PostgreSQL (and as many more at a peak)
CHECKERS = 2  # checking processes per worker (bordereau.web.checker)
CHECKER_POOL = 1  # each checking process reads the ledger one file at a time


def connections(workers: int, pool: int, checkers: int = CHECKERS) -> int:
    """The most connections to PostgreSQL the service may open: per worker, its pool and as many more at a peak,
    and each checking process's."""
    return workers * (2 * pool + 2 * CHECKER_POOL * checkers)


def sqlite_path(db: str) -> Path | None:
    """The file of a SQLite ledger, None for a server."""
    if "://" not in db:
        return Path(db).expanduser()
    if db.startswith("sqlite:///"):
        return Path(db.removeprefix("sqlite:///")).expanduser()
    return None


def check_shared(db: str, workers: int) -> None:
    """Refuse what several processes cannot share: a SQLite ledger on a network file system."""
    path = sqlite_path(db)
    if workers > 1 and path is not None:
        kind = network_filesystem(path.parent)
        if kind:
            raise BordereauError(
                f"registre SQLite {path} sur un partage réseau ({kind}) : plusieurs processus ne peuvent pas s'y "
                "partager le fichier sans risque ; utilisez PostgreSQL (--db postgresql://...) ou --workers 1")


def share_with_workers(db: str, key_file: Path, ref: Path | None, https: bool, pool: int) -> None:
    """What every worker reads at start (bordereau.web.app.create_app): the same ledger, key, reference data."""
    os.environ[DB_ENV] = db
    os.environ[KEY_ENV] = str(Path(key_file).expanduser().resolve())
    if ref:
        os.environ[REF_ENV] = str(Path(ref).expanduser().resolve())
    if https:
        os.environ[HTTPS_ENV] = "1"
    os.environ[POOL_ENV] = str(pool)


def pool_from_env() -> int | None:
    value = os.environ.get(POOL_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def when_starter_ends(action: Callable[[], None], name: str) -> bool:
    """Run `action` in a thread of this process once the process that started it through multiprocessing is gone,
    however it ended; False (nothing watched) in a process that multiprocessing did not start.

    multiprocessing gives such a process a sentinel of its parent (`parent_process()`): the read end of a pipe whose
    write end only the parent holds, so that it reads as closed as soon as the parent's process ends, SIGKILL
    included. The thread blocks on it: no polling. Not PR_SET_PDEATHSIG: a checking process's parent in the system's
    sense is its forkserver, not the worker, and the forkserver's is whichever thread of the worker first used the
    pool, a thread that may end while the worker lives on (the signal follows the thread, not the process)."""
    starter = multiprocessing.parent_process()
    if starter is None:
        return False

    def watch() -> None:
        starter.join()  # returns once the starter is gone
        action()

    threading.Thread(target=watch, name=name, daemon=True).start()
    return True


def end_with_supervisor() -> bool:
    """In a worker of `serve --workers N` (a child of uvicorn's supervisor): stop as on SIGTERM once the supervisor
    is gone, instead of serving on, unseen, on its port. Nothing with one worker (uvicorn serves in the process that
    `serve` runs), under another supervisor that forks its workers (gunicorn watches its own), or on Windows (the
    service does not run there, and os.kill would end the process outright)."""
    if os.name == "nt":
        return False
    return when_starter_ends(lambda: os.kill(os.getpid(), signal.SIGTERM), "fin-avec-le-superviseur")
