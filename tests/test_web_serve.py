"""`bordereau serve` as people start it: a real uvicorn with two workers over one ledger, which a workbook that
aborts the reader library does not take down."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from service import ENGINES, LILLE, PASSWORD, REF, far_cell, fresh_db, workbook

ROOT = Path(__file__).resolve().parent.parent


def test_serve_with_two_workers_survives_a_reader_abort(tmp_path: Path):
    from bordereau.ledger import open_ledger
    from bordereau.ledger.accounts import add_user

    db, key = str(tmp_path / "ledger.sqlite"), tmp_path / "ledger.key"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "BORDEREAU_DB": db, "BORDEREAU_KEY_FILE": str(key)}
    server = subprocess.Popen([sys.executable, "-c", "from cli import main; main()", "serve", "--port", str(port),
                               "--workers", "2"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # waiting for it to listen (up to a minute), not timing it
            try:
                page = httpx.get(url + "/connexion", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert "bordereau users add" in page.text  # no account yet: the page says how to create one
        add_user(open_ledger(db, key), REF, "lille", PASSWORD, "centre", [LILLE])
        client = httpx.Client(base_url=url, timeout=120)
        csrf = client.post("/api/session", json={"login": "lille", "password": PASSWORD}).json()["csrf"]
        headers = {"X-CSRF-Token": csrf}
        far = far_cell(tmp_path / "loin.xlsx").read_bytes()
        for _ in range(3):  # whichever worker takes it
            answer = client.post("/api/bordereaux", files={"fichier": ("loin.xlsx", far)}, headers=headers)
            assert answer.status_code == 422 and answer.json()["findings"][0]["code"] == "FILE_UNREADABLE"
        good = workbook(tmp_path / "lille.xlsx").read_bytes()
        assert client.post("/api/bordereaux", files={"fichier": ("lille.xlsx", good)},
                           headers=headers).status_code == 201
        assert client.get("/api/bordereaux").status_code == 200
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait(30)


def test_a_sqlite_ledger_on_a_network_share_is_refused_with_several_workers(tmp_path: Path, monkeypatch):
    from typer.testing import CliRunner

    from bordereau.ledger.db import network_filesystem
    from cli import app

    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\nnas:/partage {tmp_path}/nas nfs4 rw 0 0\n"
                      f"//srv/d {tmp_path}/mon\\040dossier cifs rw 0 0\n", encoding="utf-8")
    assert network_filesystem(tmp_path / "nas" / "ledger.sqlite", mounts) == "nfs4"
    assert network_filesystem(tmp_path / "mon dossier" / "ledger.sqlite", mounts) == "cifs"
    assert network_filesystem(tmp_path / "nasse" / "ledger.sqlite", mounts) is None
    assert network_filesystem(tmp_path / "ledger.sqlite", mounts) is None
    monkeypatch.setattr("bordereau.web.launch.network_filesystem", lambda path: "nfs4")
    db = tmp_path / "nas" / "ledger.sqlite"
    result = CliRunner().invoke(app, ["serve", "--workers", "2", "--db", str(db), "--key-file",
                                      str(tmp_path / "ledger.key")])
    assert result.exit_code == 2
    assert "partage réseau (nfs4)" in result.stderr and "PostgreSQL" in result.stderr
    assert not db.exists()  # refused before the ledger was opened


@pytest.mark.parametrize("engine", ENGINES)
def test_each_worker_keeps_the_pool_of_connections_it_is_given(engine: str, tmp_path: Path):
    from bordereau.web import create_app
    from bordereau.web.launch import connections

    app = create_app(fresh_db(engine, tmp_path), tmp_path / "ledger.key", checkers=1, pool=3)
    pool = app.state.ledger.engine.pool
    if engine == "postgresql":
        assert (pool.size(), pool._max_overflow) == (3, 3)
    app.state.ledger.engine.dispose()
    assert connections(workers=4, pool=5) == 56  # what `serve` prints: 2 x 5 per worker, 2 per checking process
