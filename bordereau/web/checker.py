"""Uploaded workbooks are read in child processes, never in the service's own.

A workbook can make the reader library abort its whole process (an allocation of hundreds of GB for a cell at
XFD1048576 with no declared dimension, for one): here that kills a child, the pool is rebuilt, and the person gets a
FILE_UNREADABLE answer. Each child has a memory cap and each check a time limit. The children are forked from a
forkserver that imported the check engine once, and they keep the reference data and the ledger open between
requests, so that an upload costs about what `check` costs in one process.

The children end with the service worker that owns them, however it ends: when it closes the pool (a normal stop), or
when it dies (SIGKILL included) — each child then exits by itself (`_end_with_owner`), closing its ledger connection,
and the forkserver, whose children and owner are then all gone, ends too (multiprocessing's own rule). A Ctrl-C in the
terminal reaches every process of its group: the children ignore it and let their owner stop them.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
import multiprocessing
import os
import shutil
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from bordereau.findings import make
from bordereau.web.launch import CHECKER_POOL, when_starter_ends
from bordereau.web.upload import CheckedUpload, staged

MEMORY_CAP = 6 * 2**30  # bytes of address space per child
TIME_LIMIT = 120  # seconds for one check


class Unreadable(Exception):
    """A file killed or hung the child that read it: nothing was audited."""


@dataclass(frozen=True)
class Config:
    db: str
    key_file: str | None
    ref: str | None


# -- in the child -----------------------------------------------------------------------------------------------

_open: dict = {}


def _limit_memory() -> None:
    with contextlib.suppress(ImportError, ValueError, OSError):  # no `resource` on Windows; a lower hard limit: keep it
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _end_with_owner() -> bool:
    """Exit this child as soon as the process that started it (the service worker) is gone, whatever the way it died
    (`when_starter_ends`). Without it, a child of a killed worker waits forever for its next task, holding its
    ledger connection, and keeps its forkserver alive (the forkserver ends once no process it serves is left)."""

    def leave() -> None:
        try:
            _remove_own_folders()
        finally:
            os._exit(0)  # whatever the main thread is doing (once this thread holds the interpreter's lock); the
            # kernel closes the ledger connection, and the database rolls back what it had begun

    return when_starter_ends(leave, "fin-avec-le-worker")


def _remove_own_folders() -> None:
    """This process's working folders (an audit's rejection statements: NIRs), removed before it exits abruptly;
    the replacement worker's sweep may have run while this process was still alive."""
    from bordereau.files import owner_tag
    from bordereau.ledger import staging

    for base in (staging.root(), staging.fallback()):
        for path in base.glob(f"*-{owner_tag()}-*"):
            shutil.rmtree(path, ignore_errors=True)


def _start_child() -> None:
    """The initializer of each child: its memory cap, its end with its owner, and Ctrl-C left to its owner."""
    _limit_memory()
    _end_with_owner()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _context(config: Config):
    if config not in _open:
        from bordereau.ledger import open_ledger
        from bordereau.reference.data import load_reference

        _open[config] = (load_reference(Path(config.ref) if config.ref else None),
                         open_ledger(config.db, Path(config.key_file) if config.key_file else None, create=True,
                                     pool=CHECKER_POOL))
    return _open[config]


def _check(config: Config, path: str, name: str, today: dt.date) -> CheckedUpload:
    from bordereau.web.upload import check_upload

    reference, ledger = _context(config)
    return check_upload(Path(path), name, reference, today, ledger)


def _annotate(path: str, findings: list[dict], pupils: dict[str, str]) -> bytes:
    from bordereau.web.upload import annotated_copy

    return annotated_copy(Path(path), findings, pupils)


def _audit(config: Config, cwd: str, names: list[str], cpam: str, today: dt.date):
    """`audit NAMES --cpam CPAM --json --report --xlsx --pdf` run in `cwd` with the ledger (its history), as an
    AuditRun; run in `cwd` so that the answer, paths included, is the one the CLI gives there."""
    from bordereau import clock
    from bordereau.audit.run import audit_files
    from bordereau.ledger import staging
    from bordereau.ledger.audit_runs import AuditRun
    from bordereau.ledger.audits import LedgerAuditHistory
    from bordereau.render.audit_files import audit_report, write_statement
    from bordereau.render.audit_json import dumps
    from bordereau.render.pdf_rejections import write_rejections_pdf

    reference, ledger = _context(config)
    history = LedgerAuditHistory(ledger)
    here = os.getcwd()
    with clock.fixed(today), staging.folder("rejets") as out:
        os.chdir(cwd)
        try:
            result = audit_files([Path(n) for n in names], reference, today, cpam, history)
            xlsx, pdf = Path(out) / "rejets.xlsx", Path(out) / "rejets.pdf"
            write_statement(xlsx, result, (), reference)
            write_rejections_pdf(pdf, result, (), reference)
            return AuditRun(dumps(result), audit_report(result), xlsx.read_bytes(), pdf.read_bytes(),
                            history.recorded, today)
        finally:
            os.chdir(here)


def _warm(config: Config) -> int:
    _context(config)
    return os.getpid()


# -- in the service ---------------------------------------------------------------------------------------------


class Checker:
    """A small pool of child processes, rebuilt when one of them dies or a check runs past its time."""

    def __init__(self, config: Config, workers: int = 2):
        self.config, self.workers = config, workers
        self._lock = threading.Lock()
        self._pool: cf.ProcessPoolExecutor | None = None

    def _get(self) -> cf.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["bordereau.web.checker", "bordereau.check.run", "bordereau.web.upload",
                                                 "bordereau.audit.run"])
                self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_child)
            return self._pool

    def _reset(self, broken: cf.ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        for process in list((broken._processes or {}).values()):  # a check past its time: stop it
            if process.is_alive():
                process.kill()
        broken.shutdown(wait=False, cancel_futures=True)

    def _run(self, function, *args):
        pool = self._get()
        try:
            return pool.submit(function, *args).result(timeout=TIME_LIMIT)
        except (cf.process.BrokenProcessPool, cf.TimeoutError):
            self._reset(pool)
            raise

    def warm(self) -> None:
        """Start the children and let each open the reference data and the ledger."""
        pool = self._get()
        for future in [pool.submit(_warm, self.config) for _ in range(self.workers)]:
            future.result(timeout=TIME_LIMIT)

    def check(self, content: bytes, name: str, today: dt.date) -> CheckedUpload:
        """`check --json` of an uploaded file; a file that kills or hangs the reader is FILE_UNREADABLE."""
        try:
            with staged(content, name) as path:
                return self._run(_check, self.config, str(path), name, today)
        except (cf.process.BrokenProcessPool, cf.TimeoutError, MemoryError) as exc:
            why = ("lecture trop longue, abandonnée" if isinstance(exc, cf.TimeoutError)
                   else "le lecteur de classeurs a échoué sur ce fichier (cellules très éloignées du tableau, "
                        "fichier endommagé ?)")
            finding = make("FILE_UNREADABLE", name, reason=why).as_dict()
            summary = {"path": name, "sheet": None, "centre": None, "finess_geographique": None, "cpam": None,
                       "lines": 0, "errors": 1, "warnings": 0}
            return CheckedUpload([summary], [finding], {}, (None, None))

    def call(self, function, *args):
        """Run a module-level function in a child, with the same time limit (statements.py reads payment and
        rejection statements this way)."""
        return self._run(function, *args)

    def annotate(self, content: bytes, name: str, findings: list[dict], pupils: dict[str, str] | None = None) -> bytes:
        with staged(content, name) as path:
            return self._run(_annotate, str(path), findings, pupils or {})

    def audit(self, cwd: str, names: list[str], cpam: str, today: dt.date):
        """`audit --json` (and its report and statement) of `names` in `cwd`, recorded in the ledger; raises
        Unreadable when a file kills or hangs the child."""
        try:
            return self._run(_audit, self.config, cwd, names, cpam, today)
        except (cf.process.BrokenProcessPool, cf.TimeoutError, MemoryError) as exc:
            raise Unreadable("lecture trop longue, abandonnée" if isinstance(exc, cf.TimeoutError) else
                             "le lecteur de classeurs a échoué sur l'un de ces fichiers (cellules très éloignées du "
                             "tableau, fichier endommagé ?)") from None

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
