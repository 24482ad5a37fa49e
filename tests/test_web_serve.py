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
from service import LILLE, PASSWORD, REF, far_cell, workbook

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
