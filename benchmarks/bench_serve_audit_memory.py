"""Issue 16 (item 5): is the memory a worker gains by serving audits a leak, or the allocator's high-water mark?

Cheap, in one process, no soak. An export (by `export`, into a fresh SQLite ledger) of a bordereau of N lines; then:
- `--part child`: the audit that a checking process runs (bordereau.web.checker._audit: audit, history, JSON, report,
  statement and its PDF), AUDITS times in this process. After each: the Python objects still allocated
  (tracemalloc, after gc.collect()), the process's RSS, and its RSS once glibc gave its free pages back
  (malloc_trim(0)). A leak grows the traced memory audit after audit; a high-water mark keeps it flat while RSS
  stays where the largest audit left it.
- `--part app`: AUDITS agent audits of the export's workbooks sent through the ASGI app (create_app, one checking
  process, starlette's TestClient: HTTP, session, CSRF, the audit in the child, its answer stored); the RSS of the
  app's process and of its checking process (the largest child: the forkserver is small) after each.
- `--part served`: `bordereau serve --workers 1` (uvicorn, two checking processes) and two agents auditing at once,
  AUDITS in all: RSS and USS (the pages a process alone holds) of the server and of its checking processes after
  each round. Run it again with MALLOC_ARENA_MAX=2 in the environment to see glibc's per-thread arenas' share.

With `--pg postgresql://USER@HOST:PORT/DB` (a server where the user may create databases), the ledger is a database
of its own on that PostgreSQL server (`bench_audit_memory_<random>`), dropped at the end, instead of a SQLite file.

    .venv/bin/python benchmarks/bench_serve_audit_memory.py [--lines 2000] [--audits 20] [--part child,app,served]
        [--pg URL]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import gc
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import psutil
from bench_serve import PASSWORD
from common import ROOT, big_workbook

MIB = 2**20


def trim() -> None:
    """Give glibc's free heap pages back to the system (what MALLOC_TRIM does), when glibc is the allocator."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def rss(pid: int | None = None) -> float:
    return round(psutil.Process(pid).memory_info().rss / MIB, 1)


def own_database(pg: str) -> str:
    """A new database on the PostgreSQL server of `pg`; its URL."""
    import uuid

    import psycopg

    name = "bench_audit_memory_" + uuid.uuid4().hex
    with psycopg.connect(pg, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return pg.rsplit("/", 1)[0] + "/" + name


def drop_database(pg: str, db: str) -> None:
    import psycopg

    with psycopg.connect(pg, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE {db.rsplit('/', 1)[1]} WITH (FORCE)")


def exported(lines: int, pg: str | None = None) -> tuple[Path, str, Path, Path]:
    """An export of `lines` lines into a new ledger: a SQLite file, or with `pg` a database of its own on that
    PostgreSQL server."""
    from bordereau.ledger import open_ledger
    from bordereau.ledger.accounts import add_user
    from bordereau.reference.data import load_reference

    temp = Path(tempfile.mkdtemp(prefix="bench-serve-audit-memory-"))
    db, key = own_database(pg) if pg else str(temp / "ledger.sqlite"), temp / "ledger.key"
    ledger = open_ledger(db, key)
    add_user(ledger, load_reference(), "agent-595", PASSWORD, "cpam", None, "595")
    ledger.engine.dispose()
    subprocess.run([sys.executable, "-c", "from cli import main; main()", "export", str(big_workbook(lines)),
                    "--out", str(temp / "petra"), "--db", db, "--key-file", str(key)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return temp, db, key, next((temp / "petra").glob("595-*"))


def child_part(db: str, key: Path, folder: Path, audits: int) -> dict:
    from bordereau.web.checker import Config, _audit

    config = Config(db, str(key), None)
    today = dt.date(2026, 11, 23)
    traced, before, after = [], [], []
    tracemalloc.start()
    for _ in range(audits):
        _audit(config, str(folder.parent), [folder.name], "595", today)
        gc.collect()
        traced.append(round(tracemalloc.get_traced_memory()[0] / MIB, 2))
        before.append(rss())
        trim()
        after.append(rss())
    tracemalloc.stop()
    return {"traced_mib": traced, "rss_mib": before, "rss_trimmed_mib": after}


def app_part(db: str, key: Path, folder: Path, audits: int) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from bordereau.web import create_app

    app = create_app(db, key, checkers=1)
    mine, child, seconds = [], [], []
    with TestClient(app) as client:
        csrf = client.post("/api/session", json={"login": "agent-595", "password": PASSWORD}).json()["csrf"]
        sent = [("fichiers", (p.name, p.read_bytes())) for p in sorted(folder.glob("*.xlsx"))]
        for _ in range(audits):
            begin = time.perf_counter()
            answer = client.post("/api/audits", files=sent, headers={"X-CSRF-Token": csrf}, follow_redirects=False)
            seconds.append(round(time.perf_counter() - begin, 2))
            assert answer.status_code == 201, answer.text[:300]
            gc.collect()
            mine.append(rss())
            children = [c for c in psutil.Process().children(recursive=True) if c.is_running()]
            child.append(round(max(c.memory_info().rss for c in children) / MIB, 1))
    return {"app_rss_mib": mine, "child_rss_mib": child, "seconds": seconds}


def memory(process: psutil.Process) -> tuple[float, float]:
    """RSS and USS (the pages only this process holds: shared and copy-on-write pages apart), MiB."""
    info = process.memory_full_info()
    return info.rss / MIB, info.uss / MIB


def served_part(db: str, key: Path, folder: Path, audits: int, concurrent: int = 2) -> dict:
    """`bordereau serve --workers 1` (a real uvicorn, its two checking processes), `concurrent` agents auditing at
    once, as in the soak; after each round: the server's RSS and USS, and its checking processes' (summed)."""
    import threading

    from bench_serve import session, start

    process, url = start(db, key, 1)
    sent = [("fichiers", (p.name, p.read_bytes())) for p in sorted(folder.glob("*.xlsx"))]
    series: dict[str, list] = {"server_rss_mib": [], "server_uss_mib": [], "children_rss_mib": [],
                               "children_uss_mib": [], "statuses": []}
    try:
        agents = [session(url, "agent-595") for _ in range(concurrent)]
        server = psutil.Process(process.pid)
        for _ in range(max(1, audits // concurrent)):
            answers: list = [None] * concurrent

            def audit(k: int, answers: list) -> None:
                client, csrf = agents[k]
                answers[k] = client.post("/api/audits", files=sent, headers={"X-CSRF-Token": csrf}).status_code

            threads = [threading.Thread(target=audit, args=(k, answers)) for k in range(concurrent)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            series["statuses"].append(max(answers))
            rss_, uss = memory(server)
            kids = [memory(c) for c in server.children(recursive=True)]
            series["server_rss_mib"].append(round(rss_, 1))
            series["server_uss_mib"].append(round(uss, 1))
            series["children_rss_mib"].append(round(sum(r for r, _ in kids), 1))
            series["children_uss_mib"].append(round(sum(u for _, u in kids), 1))
    finally:
        process.terminate()
        process.wait(30)
    return series


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--audits", type=int, default=20)
    parser.add_argument("--part", default="child,app,served")
    parser.add_argument("--pg", metavar="URL", help="the ledger on this PostgreSQL server (a database of its own)")
    args = parser.parse_args()
    _temp, db, key, folder = exported(args.lines, args.pg)
    results: dict = {"lines": args.lines, "audits": args.audits, "ledger": "postgresql" if args.pg else "sqlite"}
    try:
        for part in args.part.split(","):
            run = {"child": child_part, "app": app_part, "served": served_part}[part]
            results[part] = run(db, key, folder, args.audits)
            for name, series in results[part].items():
                print(f"{part} {name}: {series[0]} -> {series[len(series) // 2]} -> {series[-1]} (max {max(series)})")
    finally:
        if args.pg:
            drop_database(args.pg, db)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
