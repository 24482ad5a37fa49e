"""Faults of the ledger found by fault injection (issue 15): the dose history, copies of the ledger, interrupted
exports, line numbers, payment labels."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from conftest import GARDASIL, LILLE, pupil
from test_ledger import db, invoke, rows  # noqa: F401 - db is a fixture

from bordereau.samples import dose_line, write_bordereau

OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def test_a_dose_on_the_fir_statement_counts_in_the_history(db, ref, tmp_path: Path):  # noqa: F811
    centre = ref.centre_by_finess[LILLE]
    birth = dt.date(2013, 3, 12)
    without_rights = dose_line(ref, centre, pupil(3, birth, coverage="sans_droits", regime=None), GARDASIL,
                               dt.date(2026, 10, 2), 1)
    first = write_bordereau(tmp_path / "a.xlsx", centre, *OCTOBER, [without_rights])
    invoke("export", first, "--out", tmp_path / "e1")
    later = write_bordereau(tmp_path / "b.xlsx", centre, *OCTOBER,
                            [dose_line(ref, centre, pupil(3, birth), GARDASIL, dt.date(2026, 10, 3), 2)])
    doc = json.loads(invoke("check", later, "--json", code=0).stdout)
    [finding] = doc["findings"]
    # a warning since the schedule is no billing condition (issue 8), but the FIR dose is seen
    assert (finding["code"], finding["severity"]) == ("DOSE_INTERVAL_TOO_SHORT", "warning")
    assert "la dose du 02/10/2026 (état FIR de l'export du " in finding["message"]


def test_reconcile_masks_nirs_in_payment_labels(db, tmp_path: Path):  # noqa: F811
    from bordereau.ledger.schema import payments

    statement = tmp_path / "releve.csv"
    statement.write_text("Date;Payeur;Montant;Libellé\n"
                         "01/10/2026;CPAM NORD 2 14 03 59 865 395 36;64,03;HPV ELEVE 214035986539536 SEPT\n",
                         encoding="utf-8")
    shown = invoke("reconcile", statement, code=1)
    stored = rows(db, payments)
    for text in (shown.stdout, stored[0]["label"], stored[0]["payer"]):
        assert "214035986539536" not in text.replace(" ", "") and "865" not in text
    assert stored[0]["label"] == "HPV ELEVE 2 14 03 59 *** *** ** SEPT"
    assert stored[0]["payer"] == "CPAM NORD 2 14 03 59 *** *** **"
    assert "HPV ELEVE 2 14 03 59 *** *** ** SEPT" in " ".join(shown.stdout.split())


def test_a_folder_given_as_a_statement_is_said_in_french(db, tmp_path: Path):  # noqa: F811
    """reconcile and reject read one statement per path: a folder was « lecture impossible (Is a directory) »."""
    folder = tmp_path / "releves"
    folder.mkdir()
    for command in ("reconcile", "reject"):
        result = invoke(command, folder, code=2)
        said = [line for line in result.stderr.splitlines() if not line.startswith("Clé du registre créée")]
        assert said == [f"Erreur : {folder} : c'est un dossier ; donnez le fichier lui-même (.csv, .xlsx)"]


def test_temporary_folders_of_killed_exports_are_removed(db, ref, tmp_path: Path):  # noqa: F811
    import os
    import subprocess
    import sys
    import time

    from test_ledger import ROOT, workbook

    from bordereau.files import owner_tag
    from bordereau.ledger import open_ledger

    path = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1)])
    killed = subprocess.run([sys.executable, "-c", "from cli import main; main()", "export", str(path), "--out",
                             str(tmp_path / "e0"), "--today", "2026-11-23"], cwd=ROOT,
                            env={**os.environ, "BORDEREAU_TEST_CRASH": "before-reserve"}, capture_output=True)
    assert killed.returncode == -9
    [left] = [p for p in tmp_path.iterdir() if p.name.startswith(".e0.")]  # no ledger row claims it
    old, host = time.time() - 7200, owner_tag().rsplit("-", 1)[0]
    legacy = tmp_path / ".e9.abcd1234.tmp"  # made by an earlier version, hours ago
    running = tmp_path / f".e8.{owner_tag()}.abcd1234.tmp"  # this process is alive
    elsewhere = tmp_path / ".e7.autrehote-1.abcd1234.tmp"  # another host, a minute ago
    for folder, when in ((legacy, old), (running, old), (elsewhere, time.time() - 60), (left, time.time() - 60)):
        folder.mkdir(exist_ok=True)
        os.utime(folder, (when, when))
    invoke("export", path, "--out", tmp_path / "e1")
    assert not left.exists() and not legacy.exists() and running.exists() and elsewhere.exists()
    dead = tmp_path / f".e6.{host}-{killed.args and _dead_pid()}.abcd1234.tmp"
    dead.mkdir()
    os.utime(dead, (time.time() - 60, time.time() - 60))
    open_ledger(db).engine.dispose()  # recovery, when the ledger is opened, looks beside the exports it knows
    assert not dead.exists() and running.exists()


def _dead_pid() -> int:
    import subprocess

    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def test_each_ledger_has_its_identity_and_audit_tells_two_ledgers_apart(db, ref, tmp_path: Path):  # noqa: F811
    import shutil
    import sqlite3

    import sqlalchemy as sa
    from test_ledger import workbook

    from bordereau.ledger import open_ledger
    from bordereau.ledger.schema import ledger_meta

    if "://" in db:
        return  # a copy of a PostgreSQL database is made by the server; the SQLite case shows the rule
    invoke("export", workbook(ref, tmp_path / "z.xlsx", [(5, dt.date(2026, 10, 5), 1)]), "--out", tmp_path / "e0")
    copy = tmp_path / "copie.sqlite"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # a faithful copy, write-ahead log included
    path = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 6), 1)])
    invoke("export", path, "--out", tmp_path / "e1")
    invoke("export", path, "--out", tmp_path / "e2", "--db", copy)  # the copy does not know the first export
    first = json.loads((tmp_path / "e1" / "595-lille-douai" / "manifest.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "e2" / "595-lille-douai" / "manifest.json").read_text(encoding="utf-8"))
    assert first["files"][0]["number"] == second["files"][0]["number"]  # the same number, twice
    assert first["ledger"] == open_ledger(db).identity != second["ledger"] == open_ledger(str(copy)).identity
    engine = sa.create_engine(f"sqlite:///{copy}")
    with engine.connect() as connection:
        meta = dict(connection.execute(sa.select(ledger_meta.c.name, ledger_meta.c.value)).all())
    engine.dispose()
    assert meta["copied_from"] == first["ledger"]

    # the CPAM audits the first folder, then the same bordereau file under the copy's manifest
    cpam_db = tmp_path / "cpam.sqlite"
    folder = tmp_path / "e1" / "595-lille-douai"
    same_file = tmp_path / "e2bis" / "595-lille-douai"
    shutil.copytree(folder, same_file)
    manifest = json.loads((same_file / "manifest.json").read_text(encoding="utf-8"))
    (same_file / "manifest.json").write_text(json.dumps({**manifest, "ledger": second["ledger"]}), encoding="utf-8")
    assert json.loads(invoke("audit", folder, "--json", "--db", cpam_db).stdout)["findings"] == []
    again = json.loads(invoke("audit", folder, "--json", "--db", cpam_db).stdout)  # the same presentation
    assert again["findings"] == []
    other = json.loads(invoke("audit", same_file, "--json", "--db", cpam_db, code=1).stdout)
    # the number and its dose, presented again from another ledger
    assert sorted(f["code"] for f in other["findings"]) == ["BORDEREAU_SEEN_BEFORE", "DUPLICATE_LINE"]


def test_a_missing_statement_is_refused_before_any_ledger_is_made(tmp_path: Path):
    """reconcile made the ledger and its key (« Clé du registre créée ») before it refused the statement's path."""
    ledger, key = tmp_path / "registre.sqlite", tmp_path / "registre.key"
    for path in (tmp_path / "absent.csv", tmp_path):
        result = invoke("reconcile", path, "--db", f"sqlite:///{ledger}", "--key-file", key, code=2)
        assert result.stderr.startswith(f"Erreur : {path} : ") and "Clé du registre" not in result.stderr
    assert not ledger.exists() and not key.exists()
