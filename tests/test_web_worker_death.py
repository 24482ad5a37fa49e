"""A worker of `bordereau serve` that dies, whatever the way (SIGKILL included), leaves no process behind: its
checking processes (bordereau.web.checker), their forkserver and multiprocessing's resource tracker end with it, and
on PostgreSQL their ledger connections close. A normal stop (SIGTERM, or Ctrl-C: SIGINT to every process of the
terminal's group) leaves nothing either. Run for real: `bordereau serve` in a subprocess (tests/workers.py), on
SQLite and on PostgreSQL. The bounds below are waits for an event on a loaded machine, not measures."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest
import sqlalchemy as sa
from service import ENGINES, LILLE, PASSWORD, PG, REF, fresh_db, workbook
from workers import ROOT, Served, free_port, serve

from bordereau.ledger import open_ledger
from bordereau.ledger.accounts import add_user

GONE_WITHIN = 20  # seconds: "soon", on a machine shared by several test runs


def tree(pid: int) -> list[psutil.Process]:
    """The process and all its descendants, as psutil handles (which tell a reused pid from the original)."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those still running (a zombie holds nothing: it is gone for this purpose)."""
    left = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                left.append(process)
    return left


def names(processes: list[psutil.Process]) -> list[str]:
    found = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            found.append(f"{process.pid} {' '.join(process.cmdline())[:120]}")
    return found


def wait_gone(processes: list[psutil.Process]) -> None:
    deadline = time.monotonic() + GONE_WITHIN
    while alive(processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = alive(processes)
    described = names(left)
    for process in left:  # not to leave them to the next tests
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    assert not left, described


def ledger_ports(processes: list[psutil.Process]) -> set[int]:
    """The local ports of these processes' connections to the PostgreSQL server."""
    server = sa.engine.make_url(PG).port or 5432
    ports = set()
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            ports |= {c.laddr.port for c in process.net_connections("tcp") if c.raddr and c.raddr.port == server}
    return ports


def sessions(ports: set[int]) -> set[int]:
    """The server's sessions (their backend pids, in pg_stat_activity) that come from these ports."""
    engine = sa.create_engine(PG.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            return set(connection.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE client_port = ANY(:p)"),
                                          {"p": sorted(ports)}).scalars())
    finally:
        engine.dispose()


def still_open(backends: set[int]) -> set[int]:
    engine = sa.create_engine(PG.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            return set(connection.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE pid = ANY(:p)"),
                                          {"p": sorted(backends)}).scalars())
    finally:
        engine.dispose()


def wait_closed(backends: set[int]) -> None:
    """Until these sessions have left pg_stat_activity (by backend pid: a client port may be reused at once)."""
    deadline = time.monotonic() + GONE_WITHIN
    while still_open(backends) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not still_open(backends)


def start(engine: str, folder: Path, workers: int = 2):
    """`bordereau serve --workers N` over a fresh ledger with one centre account; with one worker, uvicorn serves in
    the launching process itself, and this waits until it answers."""
    db, key = fresh_db(engine, folder), folder / "ledger.key"
    ledger = open_ledger(db, key)
    add_user(ledger, REF, "lille", PASSWORD, "centre", [LILLE])
    ledger.engine.dispose()
    if workers > 1:
        return serve(db, key, workers=workers)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main()", "serve", "--port", str(port), "--db", db,
         "--key-file", str(key)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(1200):  # waiting, not timing
        assert process.poll() is None, process.stderr.read()[-2000:]
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/connexion", timeout=5).status_code == 200:
                return Served(process, port)
        time.sleep(0.1)
    process.kill()
    raise AssertionError("le service n'a pas démarré")


def upload_to(port: int, path: Path) -> int:
    """upload() to whichever process answers."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        answer = client.post("/api/session", json={"login": "lille", "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return client.post("/api/bordereaux", files={"fichier": (path.name, path.read_bytes())},
                           headers={"X-CSRF-Token": answer.json()["csrf"]}).status_code


def upload(served, worker: int, path: Path) -> int:
    """A centre logs in and uploads a workbook through `worker` (its checking process reads it); the status."""
    client = Served(served.process, served.port)
    answer = client.call("POST", "/api/session", worker, {"login": "lille", "password": PASSWORD})
    assert answer.status == 200, answer.body
    sent = client.call("POST", "/api/bordereaux", worker, files={"fichier": (path.name, path.read_bytes())},
                       headers={"X-CSRF-Token": answer.json()["csrf"]})
    assert sent.pid == worker
    return sent.status


@pytest.mark.parametrize("engine", ENGINES)
def test_a_killed_worker_leaves_no_process_nor_connection_and_the_others_serve_on(engine, tmp_path: Path):
    served = start(engine, tmp_path)
    try:
        a, b = served.workers()
        book = workbook(tmp_path / "lille.xlsx", n=3)
        assert upload(served, a, book) == 201
        doomed = tree(a)
        forkserver = [p for p in doomed[0].children() if "forkserver" in " ".join(p.cmdline())]
        assert len(forkserver) == 1 and forkserver[0].children(), names(doomed)  # and its checking processes
        backends = set()
        if engine == "postgresql":
            ports = ledger_ports(doomed)
            backends = sessions(ports)
            assert ledger_ports(forkserver[0].children()) and len(backends) == len(ports)
        doomed[0].send_signal(signal.SIGKILL)
        wait_gone(doomed)
        if engine == "postgresql":
            wait_closed(backends)
        replacement = served.replacement_of(a, b)
        assert upload(served, replacement, book) == 201
        assert upload(served, b, book) == 201
        everything = tree(served.process.pid)
        backends = sessions(ledger_ports(everything)) if engine == "postgresql" else set()
    finally:
        served.stop()
    assert served.process.returncode == 0
    wait_gone(everything)  # SIGTERM: nothing left either
    if engine == "postgresql":
        assert backends
        wait_closed(backends)


@pytest.mark.parametrize(("how", "workers"), [("SIGINT", 2), ("SIGKILL", 1), ("SIGKILL", 2)])
def test_a_stopped_or_killed_service_leaves_nothing(how, workers, tmp_path: Path):
    """Ctrl-C in the terminal (SIGINT to every process of its group); or the process that `serve` runs killed
    outright: with one worker uvicorn serves in it, with two it is their supervisor, and the workers stop as on
    SIGTERM instead of serving on, unseen, on the port."""
    engine = "postgresql" if PG else "sqlite"
    served = start(engine, tmp_path, workers)
    try:
        assert upload_to(served.port, workbook(tmp_path / "lille.xlsx", n=3)) == 201
        everything = tree(served.process.pid)
        assert any("forkserver" in " ".join(p.cmdline()) for p in everything), names(everything)
        backends = sessions(ledger_ports(everything)) if engine == "postgresql" else set()
        assert backends or engine == "sqlite"
        for process in everything if how == "SIGINT" else everything[:1]:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(getattr(signal, how))
        served.process.wait(60)
    finally:
        if served.process.poll() is None:
            served.stop()
    wait_gone(everything)
    if engine == "postgresql":
        wait_closed(backends)


HOLDER = '''
import time

from bordereau.ledger import staging


def hold(seconds):
    with staging.folder("rejets") as path:
        (path / "rejets.xlsx").write_text("des NIR")
        time.sleep(seconds)
'''

OWNER = '''
import sys
import threading
import time

import holder
from bordereau.web.checker import Checker, Config

checker = Checker(Config("inutile.sqlite", None, None), 1)
threading.Thread(target=checker.call, args=(holder.hold, 600), daemon=True).start()
time.sleep(600)
'''


def test_a_checking_process_ends_with_its_owner_and_removes_its_working_folders(tmp_path: Path):
    """The mechanism alone, without uvicorn: a process holding a Checker whose child is busy (an audit writing its
    rejection statements, NIRs included, in a working folder) is killed; the child stops in the middle of its task,
    removes its folder, and the forkserver ends."""
    (tmp_path / "holder.py").write_text(HOLDER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    owner = subprocess.Popen([sys.executable, "-c", OWNER], cwd=tmp_path, env=env)
    work = tmp_path / "data" / "bordereau" / "travail"
    try:
        for _ in range(1200):  # waiting for the child's folder, not timing
            folders = list(work.glob("rejets-*")) if work.exists() else []
            if folders:
                break
            assert owner.poll() is None
            time.sleep(0.1)
        everything = tree(owner.pid)
        [forkserver] = [p for p in psutil.Process(owner.pid).children() if "forkserver" in " ".join(p.cmdline())]
        assert [p.pid for p in forkserver.children()] == [int(folders[0].name.split("-")[2])]
    finally:
        owner.kill()
        owner.wait()
    wait_gone(everything)
    assert not list(work.iterdir())


def test_where_there_is_no_owner_or_no_resource_module_the_child_set_up_does_nothing(monkeypatch):
    """In a process that multiprocessing did not start there is nothing to watch; without the `resource` module
    (Windows, where the CLI runs but not the service) there is no memory cap to set: neither raises."""
    from bordereau.web import checker, launch

    monkeypatch.setitem(sys.modules, "resource", None)  # `import resource` now raises ImportError
    before = threading.active_count()
    checker._limit_memory()
    assert not checker._end_with_owner() and not launch.end_with_supervisor()
    assert threading.active_count() == before
