"""Full disks and read-only folders or ledgers (issue 15): one French line naming the path and the cause, exit 2,
nothing half-written, no « Exception ignored ». The faults are planted by monkeypatching the call that meets them
(xlsxwriter's zip, a text write, mkdtemp) or by SQLite itself (max_page_count, a read-only connection): portable, and
true also for root, whom file permissions do not stop."""

from __future__ import annotations

import datetime as dt
import errno
import gc
import sys
from pathlib import Path

import pytest
from test_ledger import db, invoke, rows, workbook  # noqa: F401 - db is a fixture
from typer.testing import CliRunner

from bordereau.ledger.schema import billed_lines
from cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LILLE = EXAMPLES / "sps-lille-2026-10.xlsx"
TODAY = ["--today", "2026-11-23"]
runner = CliRunner()


@pytest.fixture
def unraisable(monkeypatch) -> list:
    """What Python would print as « Exception ignored in ... »."""
    seen: list = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    return seen


def _fail(monkeypatch, target: str, code: int) -> None:
    def refuse(*args, **kwargs):
        raise OSError(code, "simulated")

    monkeypatch.setattr(target, refuse)


def _run(*args) -> tuple[int, str, str]:
    result = runner.invoke(app, [*map(str, args)])
    gc.collect()  # an abandoned xlsxwriter workbook's destructor runs now
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    said = "".join(line for line in result.stderr.splitlines(keepends=True)
                   if not line.startswith("Clé du registre créée"))  # said once, when a test's ledger is new
    return result.exit_code, result.stdout, said


def _nothing_left(folder: Path) -> None:
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(("code", "cause"), [(errno.ENOSPC, "disque plein"), (errno.EROFS, "support en lecture seule")])
def test_totals_xlsx(tmp_path, monkeypatch, unraisable, code, cause):
    _fail(monkeypatch, "xlsxwriter.workbook.ZipFile", code)
    target = tmp_path / "totaux.xlsx"
    status, _, stderr = _run("totals", LILLE, "--xlsx", target, *TODAY)
    assert (status, stderr) == (2, f"Erreur : {target} : écriture impossible, {cause}\n")
    assert not target.exists() and unraisable == []
    _nothing_left(tmp_path)


def test_audit_xlsx(tmp_path, monkeypatch, unraisable):
    monkeypatch.delenv("BORDEREAU_DB")
    _fail(monkeypatch, "xlsxwriter.workbook.ZipFile", errno.ENOSPC)
    target = tmp_path / "rejets.xlsx"
    status, _, stderr = _run("audit", LILLE, "--xlsx", target, "--no-ledger", *TODAY)
    assert (status, stderr) == (2, f"Erreur : {target} : écriture impossible, disque plein\n")
    assert not target.exists() and unraisable == []
    _nothing_left(tmp_path)


def test_sample(tmp_path, monkeypatch, unraisable):
    _fail(monkeypatch, "xlsxwriter.workbook.ZipFile", errno.ENOSPC)
    target = tmp_path / "exemple.xlsx"
    status, _, stderr = _run("sample", target)
    assert (status, stderr) == (2, f"Erreur : {target} : écriture impossible, disque plein\n")
    assert not target.exists() and unraisable == []
    _nothing_left(tmp_path)


def test_report(tmp_path, monkeypatch, unraisable):
    _fail(monkeypatch, "pathlib.Path.write_text", errno.ENOSPC)
    target = tmp_path / "rapport.html"
    status, _, stderr = _run("check", LILLE, "--report", target, *TODAY)
    assert (status, stderr) == (2, f"Erreur : {target} : écriture impossible, disque plein\n")
    assert not target.exists() and unraisable == []
    _nothing_left(tmp_path)


@pytest.mark.parametrize(("code", "cause"), [(errno.ENOSPC, "disque plein"), (errno.EROFS, "support en lecture seule")])
def test_annotate_folder_full_or_read_only(tmp_path, monkeypatch, unraisable, code, cause):
    """The cause reaches the user (it was « écriture de la copie impossible (BordereauError) », exit 1)."""
    _fail(monkeypatch, "tempfile.mkstemp", code)
    folder = tmp_path / "copies"
    status, _, stderr = _run("check", LILLE, "--annotate", folder, *TODAY)
    target = folder / "sps-lille-2026-10-anomalies.xlsx"
    assert (status, stderr) == (2, f"Erreur : {target} : écriture impossible, {cause}\n")
    assert not target.exists() and unraisable == []


@pytest.mark.parametrize("command", [["check", LILLE, "--annotate"], ["export", LILLE, "--no-ledger", "--out"],
                                     ["check", LILLE, "--report"]])
def test_a_file_where_a_folder_is_expected_is_named(tmp_path, command):
    """mkdir said « existe déjà » of a folder that does not exist: the file in the way is named instead."""
    blocking = tmp_path / "copies.xlsx"
    blocking.write_bytes(b"not a folder")
    target = blocking / "sous-dossier"
    status, _, stderr = _run(*command, target, *TODAY)
    assert status == 2 and stderr.startswith(f"Erreur : {target}")
    assert stderr.endswith(f"écriture impossible, {blocking} est un fichier, pas un dossier\n"), stderr
    assert blocking.read_bytes() == b"not a folder"


def test_an_output_held_open_by_excel_is_named_as_such(tmp_path, monkeypatch, unraisable):
    """Windows refuses (EACCES) to replace a workbook Excel holds open: « lecture seule ? » alone misled."""
    _fail(monkeypatch, "os.replace", errno.EACCES)
    target = tmp_path / "totaux.xlsx"
    status, _, stderr = _run("totals", LILLE, "--xlsx", target, *TODAY)
    assert (status, stderr) == (2, f"Erreur : {target} : écriture impossible, accès refusé (lecture seule, ou fichier "
                                   "ouvert dans un autre programme, comme Excel ?)\n")
    _nothing_left(tmp_path)


def test_a_cause_without_a_french_sentence_is_named_by_its_code(tmp_path, monkeypatch):
    """The system's English text (« Too many open files ») never reaches the user."""
    _fail(monkeypatch, "os.replace", errno.EMFILE)
    target = tmp_path / "rapport.html"
    status, _, stderr = _run("check", LILLE, "--report", target, *TODAY)
    assert (status, stderr) == (2, f"Erreur : {target} : écriture impossible, erreur du système (EMFILE)\n")


def test_export_folder_full_or_read_only(db, ref, tmp_path, monkeypatch, unraisable):  # noqa: F811
    path = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1)])
    out = tmp_path / "export"
    with monkeypatch.context() as patch:
        _fail(patch, "xlsxwriter.workbook.ZipFile", errno.ENOSPC)
        status, _, stderr = _run("export", path, "--out", out, *TODAY)
    assert (status, stderr) == (2, f"Erreur : {out} : écriture impossible, disque plein\n")
    with monkeypatch.context() as patch:
        _fail(patch, "tempfile.mkdtemp", errno.EROFS)
        status, _, stderr = _run("export", path, "--out", out, *TODAY)
    assert (status, stderr) == (2, f"Erreur : {out} : écriture impossible, support en lecture seule\n")
    assert not out.exists() and rows(db, billed_lines) == [] and unraisable == []
    _nothing_left(tmp_path)
    invoke("export", path, "--out", out)  # and once there is room, the same lines export


def test_ledger_on_a_full_disk(ref, tmp_path, monkeypatch, unraisable):
    import bordereau.ledger.db as ledger_db

    url = tmp_path / "ledger.sqlite"
    monkeypatch.setenv("BORDEREAU_DB", str(url))
    invoke("export", workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1)]), "--out", tmp_path / "e1")
    pragmas = ledger_db._sqlite_pragmas

    def full(engine):
        pragmas(engine)

        @ledger_db.event.listens_for(engine, "connect")
        def no_room(dbapi_connection, _record):
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    monkeypatch.setattr(ledger_db, "_sqlite_pragmas", full)
    many = workbook(ref, tmp_path / "b.xlsx", [(n, dt.date(2026, 10, 6), 1) for n in range(1, 200)])
    status, _, stderr = _run("export", many, "--out", tmp_path / "e2", *TODAY)
    assert (status, stderr) == (2, f"Erreur : registre {url} : écriture impossible, disque plein\n")
    assert not (tmp_path / "e2").exists() and unraisable == []
    assert len(rows(str(url), billed_lines)) == 1
    _nothing_left(tmp_path)


def test_a_read_only_ledger(ref, tmp_path, monkeypatch):
    import bordereau.ledger.db as ledger_db

    url = tmp_path / "ledger.sqlite"
    monkeypatch.setenv("BORDEREAU_DB", str(url))
    invoke("export", workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1)]), "--out", tmp_path / "e1")
    make = ledger_db.make_engine
    monkeypatch.setattr(ledger_db, "make_engine", lambda where, pool=None: make(f"sqlite:///file:{where}?mode=ro&uri=true"))
    later = workbook(ref, tmp_path / "b.xlsx", [(1, dt.date(2026, 10, 6), 1)])
    status, _, stderr = _run("export", later, "--out", tmp_path / "e2", *TODAY)
    assert status == 2 and stderr.startswith(f"Erreur : registre file:{url}") and "lecture seule" in stderr
    assert stderr.count("\n") == 1 and not (tmp_path / "e2").exists()
