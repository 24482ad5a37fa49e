"""Helpers of the service's tests: a service over a fresh ledger (SQLite, or PostgreSQL when BORDEREAU_TEST_PG is
set), its six kinds of visitors, and workbooks made by code. Imported by the test_web_*.py modules."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

with warnings.catch_warnings():  # starlette would rather have httpx's successor; httpx is what is installed
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from bordereau import clock
from bordereau.ledger import open_ledger
from bordereau.ledger.accounts import add_user
from bordereau.reference.data import load_reference
from bordereau.samples import dose_line, write_bordereau

PG = os.environ.get("BORDEREAU_TEST_PG")
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG, reason="BORDEREAU_TEST_PG not set (.ci/run starts a PostgreSQL server and sets it)"))]
TODAY = dt.date(2026, 11, 23)
LILLE, CAMBRAI = "590780102", "590780011"  # CPAM 595 and 599
ROUBAIX = "590780094"  # a third centre, CPAM 595 like Lille (the SPS d'Haubourdin)
PASSWORD = "correct horse battery"
ROLES = ("anonyme", "centre_a", "centre_b", "departement", "cpam_595", "cpam_599")
GARDASIL = "3400930056202"
REF = load_reference()


def fresh_db(engine: str, folder: Path) -> str:
    if engine == "sqlite":
        return str(folder / "ledger.sqlite")
    pg = sa.create_engine(PG.replace("postgresql://", "postgresql+psycopg://"))
    with pg.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    pg.dispose()
    return PG


@dataclass
class Service:
    app: object
    db: str
    key: Path
    folder: Path
    clients: dict[str, TestClient] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)

    @property
    def ledger(self):
        return self.app.state.ledger

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def login(self, role: str) -> tuple[TestClient, str]:
        """A new client with its own session, and the session's CSRF token."""
        client = self.client()
        if role == "anonyme":
            return client, ""
        answer = client.post("/api/session", json={"login": role, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return client, answer.json()["csrf"]

    def as_(self, role: str) -> TestClient:
        """A logged-in client per role, kept for the module."""
        if role not in self.clients:
            self.clients[role], self.csrf[role] = self.login(role)
        return self.clients[role]

    def upload(self, role: str, path: Path, name: str | None = None, **headers):
        client = self.as_(role)
        with path.open("rb") as handle:
            return client.post("/api/bordereaux", files={"fichier": (name or path.name, handle.read())},
                               headers={"X-CSRF-Token": self.csrf.get(role, ""), **headers})

    def count(self, table: str) -> int:
        with self.ledger.engine.connect() as connection:
            return connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def make_service(engine: str, folder: Path) -> Service:
    from bordereau.web import create_app

    db, key = fresh_db(engine, folder), folder / "ledger.key"
    ledger = open_ledger(db, key)
    for login, role, centres, cpam in (("centre_a", "centre", [LILLE], None), ("centre_b", "centre", [CAMBRAI], None),
                                       ("departement", "departement", None, None),
                                       ("cpam_595", "cpam", None, "595"), ("cpam_599", "cpam", None, "599")):
        add_user(ledger, REF, login, PASSWORD, role, centres, cpam)
    ledger.engine.dispose()
    app = create_app(db, key, checkers=1)
    return Service(app, db, key, folder)


@contextlib.contextmanager
def running(engine: str, folder: Path):
    """make_service, then its checking process and its connections closed (the module-scoped fixtures use it)."""
    made = make_service(engine, folder)
    try:
        yield made
    finally:
        made.app.state.checker.close()
        made.ledger.engine.dispose()


@pytest.fixture(params=ENGINES)
def service(request, tmp_path: Path):
    """The service of one test, on each engine, at TODAY; a third centre account `centre_c` (ROUBAIX, CPAM 595) beside
    the six visitors. A test module imports it (`from service import service`; F811 is silenced for test_web_*)."""
    with running(request.param, tmp_path) as made, clock.fixed(TODAY):
        add_user(made.ledger, REF, "centre_c", PASSWORD, "centre", [ROUBAIX])
        yield made


def pupil(n: int, birth: dt.date = dt.date(2013, 3, 12)) -> dict:
    import random

    from bordereau.samples import make_nir

    return {"nom": f"ELEVE{chr(65 + n % 26)}", "prenom": ("Lucas", "Emma", "Jules")[n % 3],
            "nir": make_nir(random.Random(n), 2, birth), "date_naissance": birth, "code_regime": "01",
            "coverage": "droit_commun"}


def workbook(path: Path, finess: str = LILLE, n: int = 3, error: bool = False, first: int = 0) -> Path:
    """A bordereau of October 2026 with `n` correct lines; `error` makes the second line's price wrong."""
    centre = REF.centre_by_finess[finess]
    lines = [dose_line(REF, centre, pupil(first + i), GARDASIL, dt.date(2026, 10, 5 + i), 1) for i in range(n)]
    if error:
        lines[1]["prix_unitaire"] = lines[1]["prix_unitaire"] + 1
    return write_bordereau(path, centre, dt.date(2026, 10, 1), dt.date(2026, 10, 31), lines)


def zip_bomb(path: Path) -> Path:
    """A zip named .xlsx whose one sheet inflates 1000 times (64 MiB of zeros)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 2**20))
    path.write_bytes(buffer.getvalue())
    return path


def far_cell(path: Path) -> Path:
    """A workbook with a cell at XFD1048576 and no <dimension> element: the reader library would allocate the whole
    sheet (hundreds of GB) and abort its process."""
    import re

    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "x"
    book.active["XFD1048576"] = 1
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension[^>]*/>", b"", data)
            target.writestr(item, data)
    plain.unlink()
    return path
