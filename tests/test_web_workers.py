"""`bordereau serve --workers 2 --https` over one PostgreSQL ledger, as the Département runs it behind its HTTPS
reverse proxy: nothing a worker needs lives in the other. Each request says which worker answered (tests/workers.py),
and each test makes one worker do something that the other then sees: a session, the login throttle, an upload. A
worker killed (SIGKILL) is replaced, and its replacement finishes the ledger's recovery."""

from __future__ import annotations

import dataclasses
import http.client
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

from bordereau.ledger import open_ledger, staging
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
    replacement = served.replacement_of(a, b)
    answer = client.call("GET", "/api/bordereaux", replacement)  # the session lives on in the new worker
    assert (answer.status, answer.pid) == (200, replacement)
    with engine.connect() as connection:  # the new worker opened the ledger: the dead export is undone
        assert connection.execute(sa.select(sa.func.count()).select_from(exports)).scalar_one() == 0
    engine.dispose()
    assert not (tmp_path / "e").exists() and served.process.poll() is None


def deposit(served, login_name: str, path: Path, worker: int) -> int:
    """A centre uploads and deposits a workbook through `worker`; the upload's id."""
    centre = visitor(served)
    csrf = login(centre, login_name, worker)
    sent = centre.call("POST", "/api/bordereaux", worker, files={"fichier": (path.name, path.read_bytes())},
                       headers={"X-CSRF-Token": csrf})
    assert sent.status == 201, sent.body
    done = centre.call("POST", f"/api/bordereaux/{sent.json()['id']}/depot", worker, headers={"X-CSRF-Token": csrf})
    assert done.json()["state"] == "déposé", done.body
    return sent.json()["id"]


def agree(db: str) -> tuple[list, list]:
    """The ledger's exports and the service's export records must agree (each done export has its record, no
    pending one is left); the service's export ids, and the bordereau numbers of the ledger."""
    engine = sa.create_engine(db.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        ledger = connection.exec_driver_sql("SELECT id, state FROM exports ORDER BY id").all()
        service = connection.exec_driver_sql("SELECT id, export_id FROM service_exports ORDER BY export_id").all()
        numbers = connection.exec_driver_sql("SELECT number FROM bordereaux ORDER BY number").scalars().all()
        lines = connection.exec_driver_sql("SELECT count(*), count(DISTINCT dose_key) FROM billed_lines").one()
    engine.dispose()
    assert [(r.export_id, "done") for r in service] == [tuple(r) for r in ledger], (ledger, service)
    assert lines[0] == lines[1]  # no line billed twice
    return [r.id for r in service], numbers


def test_four_exports_of_one_cpam_over_both_workers_never_share_a_line_or_a_number(served, tmp_path: Path):
    import threading

    a, b = served.workers()
    deposit(served, "lille", workbook(tmp_path / "lille.xlsx", LILLE, n=5, first=100), a)
    sessions = [visitor(served) for _ in range(4)]
    workers = [a, b, a, b]
    tokens = [login(s, "departement", w) for s, w in zip(sessions, workers, strict=True)]
    answers: list = [None] * 4
    start = threading.Barrier(4)

    def run(k: int) -> None:
        start.wait()
        answers[k] = sessions[k].call("POST", "/api/exports", workers[k], {"cpam": "595"},
                                      headers={"X-CSRF-Token": tokens[k]})

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {x.pid for x in answers} == {a, b}  # both workers exported at once
    assert sorted(x.status for x in answers) == [201, 409, 409, 409], [x.body[:300] for x in answers]
    made = next(x.json() for x in answers if x.status == 201)
    service, numbers = agree(served.db)
    assert made["id"] in service and [f["number"] for f in made["manifest"]["files"]] == [
        n for n in numbers if n.startswith("HPV-595-")][-len(made["manifest"]["files"]):]
    # then two exports whose deposits differ (one per CPAM), at once on both workers: both made, distinct numbers
    deposit(served, "lille", workbook(tmp_path / "lille2.xlsx", LILLE, n=2, first=200), b)
    deposit(served, "cambrai", workbook(tmp_path / "cambrai.xlsx", CAMBRAI, n=2, first=300), a)
    answers = [None] * 2
    start = threading.Barrier(2)

    def other(k: int, cpam: str) -> None:
        start.wait()
        answers[k] = sessions[k].call("POST", "/api/exports", workers[k], {"cpam": cpam},
                                      headers={"X-CSRF-Token": tokens[k]})

    threads = [threading.Thread(target=other, args=(k, cpam)) for k, cpam in enumerate(("595", "599"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [x.status for x in answers] == [201, 201], [x.body[:300] for x in answers]
    mine = [f["number"] for x in answers for f in x.json()["manifest"]["files"]]
    _, numbers = agree(served.db)
    assert len(set(mine)) == len(mine) == 2 and set(mine) <= set(numbers) and len(set(numbers)) == len(numbers)


@pytest.mark.parametrize("stage", ["after-reserve", "after-rename"])
def test_a_worker_killed_during_an_export_through_the_service_leaves_all_or_nothing(served, tmp_path: Path, stage):
    """Another instance of the service on the same database, whose export kills its worker (SIGKILL) at `stage`:
    after its replacement opened the ledger, the ledger and the service's export records agree, the killed worker's
    working folder (the copies of the deposited workbooks) is gone, the upload is
    « déposé » again (nothing exported), and a later export through the service makes it."""
    first = {"after-reserve": 400, "after-rename": 500}[stage]  # pupils of their own
    upload = deposit(served, "cambrai", workbook(tmp_path / "cambrai.xlsx", CAMBRAI, n=3, first=first),
                     served.workers()[0])
    before, _ = agree(served.db)
    crashing = serve(served.db, served.key, env={"BORDEREAU_TEST_CRASH": stage})
    try:
        client = visitor(crashing)
        [doomed, _other] = crashing.workers()
        csrf = login(client, "departement", doomed)
        try:
            answer = client.call("POST", "/api/exports", doomed, {"cpam": "599"}, headers={"X-CSRF-Token": csrf})
        except (ConnectionError, OSError, http.client.HTTPException):
            answer = None  # the worker died under the request
        assert answer is None or answer.status >= 500
        for _ in range(1200):  # the supervisor starts another worker, which recovers (waiting, not timing)
            now = crashing.workers()
            if len(now) == 2 and doomed not in now:
                break
            time.sleep(0.1)
        replacement = next(pid for pid in crashing.workers() if pid != _other)
        assert client.call("GET", "/connexion", replacement).status == 200
        assert not [p for p in staging.root().glob("*") if (staging.owner(p) or ("", 0))[1] == doomed]  # NIRs swept
    finally:
        crashing.stop()
    after, _ = agree(served.db)
    assert after == before  # nothing half made: no export in the ledger without the service's record
    departement = visitor(served)
    login(departement, "departement", served.workers()[1])
    listed = {i["id"]: i["state"] for i in departement.call("GET", "/api/bordereaux", served.workers()[1]).json()}
    assert listed[upload] == "déposé"
    csrf = login(departement, "departement", served.workers()[0])
    later = departement.call("POST", "/api/exports", served.workers()[0], {"cpam": "599"},
                             headers={"X-CSRF-Token": csrf})
    assert later.status == 201, later.body
    assert agree(served.db)[0] == [*before, later.json()["id"]]
    listed = {i["id"]: i["state"] for i in departement.call("GET", "/api/bordereaux", served.workers()[1]).json()}
    assert listed[upload] == "exporté"
