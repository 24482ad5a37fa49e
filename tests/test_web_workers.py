"""`bordereau serve --workers 2 --https` over one PostgreSQL ledger, as the Département runs it behind its HTTPS
reverse proxy: nothing a worker needs lives in the other. Each request says which worker answered (tests/workers.py),
and each test makes one worker do something that the other then sees: a session, the login throttle, an upload. A
worker killed (SIGKILL) is replaced, and its replacement finishes the ledger's recovery."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa
from service import CAMBRAI, LILLE, PASSWORD, PG, REF, fresh_db, workbook
from workers import ROOT, serve

from bordereau.ledger import open_ledger
from bordereau.ledger.accounts import add_user
from bordereau.ledger.schema import exports

pytestmark = pytest.mark.skipif(not PG, reason="BORDEREAU_TEST_PG not set (.ci/run starts a PostgreSQL server)")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workers")
    db, key = fresh_db("postgresql", folder), folder / "ledger.key"
    ledger = open_ledger(db, key)
    for login, role, centres in (("lille", "centre", [LILLE]), ("cambrai", "centre", [CAMBRAI]),
                                 ("departement", "departement", None), ("verrou", "departement", None)):
        add_user(ledger, REF, login, PASSWORD, role, centres)
    ledger.engine.dispose()
    running = serve(db, key, "--https", "--forwarded-allow-ips", "127.0.0.1")
    running.folder, running.db, running.key = folder, db, key
    yield running
    running.stop()


def visitor(served):
    """A client of its own (its own cookies) of the running service."""
    return dataclasses.replace(served, cookies={})


def login(client, name: str, worker: int) -> str:
    answer = client.call("POST", "/api/session", worker, {"login": name, "password": PASSWORD})
    assert answer.status == 200 and answer.pid == worker, answer.body
    return answer.json()["csrf"]


def test_the_service_runs_two_workers(served):
    assert len(served.workers()) == 2 and served.process.poll() is None


def test_a_session_opened_on_one_worker_is_valid_on_the_other_and_ends_on_both(served):
    a, b = served.workers()
    client = visitor(served)
    assert client.call("GET", "/api/bordereaux", b).status == 401
    answer = client.call("POST", "/api/session", a, {"login": "departement", "password": PASSWORD})
    cookie = answer.headers.get("set-cookie")
    assert answer.pid == a and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    csrf, token = answer.json()["csrf"], client.cookies["bordereau_session"]
    seen = client.call("GET", "/api/bordereaux", b, headers={"X-Forwarded-Proto": "https"})
    assert (seen.status, seen.pid, seen.json()) == (200, b, [])
    assert client.call("DELETE", "/api/session", b).status == 403  # the CSRF token is the session's, on b too
    assert client.call("DELETE", "/api/session", b, headers={"X-CSRF-Token": csrf}).status == 204
    client.cookies["bordereau_session"] = token  # the cookie of the ended session, replayed on a
    assert client.call("GET", "/api/bordereaux", a).status == 401


def test_the_login_throttle_counts_the_failures_of_both_workers(served):
    a, b = served.workers()
    client = visitor(served)
    for worker in (a, b, a, b, a):  # 3 failures on one worker, 2 on the other: neither saw 5
        answer = client.call("POST", "/api/session", worker, {"login": "verrou", "password": "pas le bon mot"})
        assert (answer.status, answer.pid) == (401, worker)
    for worker in (b, a):  # locked on both, even with the right password
        answer = client.call("POST", "/api/session", worker, {"login": "verrou", "password": PASSWORD})
        assert (answer.status, answer.pid) == (401, worker)
        assert "bordereau_session" not in client.cookies


def test_an_upload_through_one_worker_is_read_and_deposited_through_the_other(served, tmp_path: Path):
    a, b = served.workers()
    centre, other, departement = visitor(served), visitor(served), visitor(served)
    csrf = login(centre, "lille", a)
    content = workbook(tmp_path / "lille.xlsx", n=4).read_bytes()
    sent = centre.call("POST", "/api/bordereaux", a, files={"fichier": ("octobre.xlsx", content)},
                       headers={"X-CSRF-Token": csrf})
    assert (sent.status, sent.pid) == (201, a), sent.body
    upload_id = sent.json()["id"]
    read = centre.call("GET", f"/api/bordereaux/{upload_id}", b)
    assert read.pid == b and {k: v for k, v in read.json().items() if k != "state"} == sent.json()
    copy = centre.call("GET", f"/api/bordereaux/{upload_id}/annote.xlsx", b)
    assert copy.status == 200 and copy.body[:2] == b"PK"  # made from the bytes that worker a stored
    login(other, "cambrai", b)
    assert other.call("GET", f"/api/bordereaux/{upload_id}", b).status == 404
    assert centre.call("POST", f"/api/bordereaux/{upload_id}/depot", b,
                       headers={"X-CSRF-Token": csrf}).json()["state"] == "déposé"
    login(departement, "departement", b)
    listed = departement.call("GET", "/api/bordereaux", a).json()
    assert [(item["id"], item["state"], item["lines"]) for item in listed] == [(upload_id, "déposé", 4)]


def test_a_killed_worker_is_replaced_and_its_replacement_recovers_an_interrupted_export(served, tmp_path: Path):
    client = visitor(served)
    a, b = served.workers()
    login(client, "departement", a)
    book = workbook(tmp_path / "export.xlsx", n=3)
    killed = subprocess.run(  # an export killed after recording its lines, before writing its files
        [sys.executable, "-c", "from cli import main; main()", "export", str(book), "--out", str(tmp_path / "e"),
         "--db", served.db, "--key-file", str(served.key), "--today", "2026-11-23"],
        cwd=ROOT, env={**os.environ, "BORDEREAU_TEST_CRASH": "after-reserve"}, capture_output=True)
    assert killed.returncode == -9
    engine = sa.create_engine(served.db.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        assert connection.execute(sa.select(exports.c.state)).scalars().all() == ["pending"]
    psutil.Process(a).send_signal(signal.SIGKILL)
    for _ in range(1200):  # the supervisor starts another worker (waiting for it, not timing it)
        now = served.workers()
        if len(now) == 2 and a not in now:
            break
        time.sleep(0.1)
    replacement = next(pid for pid in served.workers() if pid != b)
    answer = client.call("GET", "/api/bordereaux", replacement)  # the session lives on in the new worker
    assert (answer.status, answer.pid) == (200, replacement)
    with engine.connect() as connection:  # the new worker opened the ledger: the dead export is undone
        assert connection.execute(sa.select(sa.func.count()).select_from(exports)).scalar_one() == 0
    engine.dispose()
    assert not (tmp_path / "e").exists() and served.process.poll() is None
