"""Issue 11 (the Département's side) benchmark: the export of 10 deposited bordereaux (20,000 lines, SPS de Lille,
one per month of the campaign) through the service (`POST /api/exports`: the stored files staged, checked with the
ledger, exported by export.run with the ledger, zipped into the database) against `bordereau export` of the same
files with a ledger of its own, both in one warm process. Alternated, fresh ledgers each round; median of the rounds.
Target: at most 1.3x.

    .venv/bin/python benchmarks/bench_departement.py [--rounds 3] [--db postgresql://...]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

from common import DATA, ROOT

sys.path.insert(0, str(ROOT))
PASSWORD = "mot de passe du banc d'essai"
LILLE = "590780102"
TODAY = dt.date(2026, 11, 23)


def monthly_workbooks(lines: int = 2_000) -> list[Path]:
    from bordereau.reference.data import load_reference
    from bordereau.samples import campaign_lines, write_bordereau

    ref = load_reference()
    centre = ref.centre_by_finess[LILLE]
    out = []
    for k in range(10):  # September 2025 to June 2026
        start = dt.date(2025 + (8 + k) // 12, (8 + k) % 12 + 1, 1)
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        path = DATA / f"departement-{start:%Y-%m}-{lines}.xlsx"
        if not path.exists():
            DATA.mkdir(parents=True, exist_ok=True)
            write_bordereau(path, centre, start, end, campaign_lines(ref, centre, lines, start, end, seed=100 + k))
        out.append(path)
    return out


def fresh_db(db: str | None, folder: Path, name: str) -> str:
    if not db:
        return str(folder / f"{name}.sqlite")
    import sqlalchemy as sa

    engine = sa.create_engine(db.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return db


def through_the_service(files: list[Path], db: str | None, folder: Path) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from bordereau.ledger import open_ledger
    from bordereau.ledger.accounts import add_user
    from bordereau.reference.data import load_reference
    from bordereau.web import create_app

    url, key = fresh_db(db, folder, "service"), folder / "service.key"
    ledger = open_ledger(url, key)
    ref = load_reference()
    add_user(ledger, ref, "lille", PASSWORD, "centre", [LILLE])
    add_user(ledger, ref, "finances", PASSWORD, "departement")
    ledger.engine.dispose()
    app = create_app(url, key, checkers=2)
    try:
        centre, departement = TestClient(app), TestClient(app)
        token = centre.post("/api/session", json={"login": "lille", "password": PASSWORD}).json()["csrf"]
        for path in files:
            sent = centre.post("/api/bordereaux", files={"fichier": (path.name, path.read_bytes())},
                               headers={"X-CSRF-Token": token}).json()
            done = centre.post(f"/api/bordereaux/{sent['id']}/depot", headers={"X-CSRF-Token": token})
            assert done.status_code == 200, done.text
        token = departement.post("/api/session", json={"login": "finances", "password": PASSWORD}).json()["csrf"]
        begin = time.perf_counter()
        made = departement.post("/api/exports", json={"cpam": "595"}, headers={"X-CSRF-Token": token})
        elapsed = time.perf_counter() - begin
        assert made.status_code == 201 and len(made.json()["manifest"]["files"]) == 10, made.text[:500]
        return elapsed
    finally:
        app.state.checker.close()
        app.state.ledger.engine.dispose()


def with_the_command(files: list[Path], db: str | None, folder: Path) -> float:
    from cli import app

    url = fresh_db(db, folder, "cli")
    args = ["export", *map(str, files), "--out", str(folder / "export-cli"), "--db", url, "--key-file",
            str(folder / "cli.key"), "--today", TODAY.isoformat()]
    begin = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = app(args, standalone_mode=False) or 0
    elapsed = time.perf_counter() - begin
    assert code == 0, code
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default=None, help="PostgreSQL URL (emptied each round); default: SQLite files")
    options = parser.parse_args()
    from bordereau import clock

    files = monthly_workbooks()
    service, command = [], []
    with clock.fixed(TODAY):
        for _ in range(options.rounds):
            with tempfile.TemporaryDirectory() as folder:
                command.append(with_the_command(files, options.db, Path(folder)))
            with tempfile.TemporaryDirectory() as folder:
                service.append(through_the_service(files, options.db, Path(folder)))
    s, c = statistics.median(service), statistics.median(command)
    print(f"bordereau export (10 fichiers, 20 000 lignes)        {c:7.2f} s  1.00x")
    print(f"POST /api/exports (les mêmes, déposés au service)    {s:7.2f} s  {s / c:5.2f}x")
    print(json.dumps({"engine": "postgresql" if options.db else "sqlite", "command_s": round(c, 3),
                      "service_s": round(s, 3), "ratio": round(s / c, 2), "rounds": options.rounds}))


if __name__ == "__main__":
    main()
