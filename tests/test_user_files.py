"""The user's files are never at risk: annotated copies that open on « Anomalies » alone, corrected copies read back,
copies of .ods and .xls inputs that keep dates and euros."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from bordereau.read.workbook import open_sheets
from cli import app

ROOT = Path(__file__).resolve().parent.parent
DUNKERQUE = ROOT / "examples" / "sps-dunkerque-2026-10-erreurs.xlsx"
TODAY = ["--today", "2026-11-23"]
runner = CliRunner()


def invoke(*args, code: int | None = None):
    result = runner.invoke(app, [*map(str, args)], catch_exceptions=False)
    if code is not None:
        assert result.exit_code == code, result.output
    return result


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The annotated copy of the example full of errors (14 errors, 3 warnings)."""
    source = tmp_path / "in" / DUNKERQUE.name
    source.parent.mkdir()
    shutil.copy(DUNKERQUE, source)
    invoke("check", source, "--annotate", tmp_path / "annotes", *TODAY, code=1)
    [path] = (tmp_path / "annotes").iterdir()
    return path


def test_the_annotated_copy_opens_with_only_anomalies_selected(copy: Path):
    book = openpyxl.load_workbook(copy)
    assert book.sheetnames == ["Anomalies", "Bordereau"]
    assert [ws.sheet_view.tabSelected for ws in book.worksheets] == [True, False]
    assert book.active.title == "Anomalies"
    with zipfile.ZipFile(copy) as archive:  # as Excel and LibreOffice read it
        selected = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")
                    and re.search(rb'tabSelected="(1|true)"', archive.read(name))]
    assert len(selected) == 1


def test_an_untouched_copy_in_a_folder_is_skipped_and_a_corrected_one_is_read(copy: Path):
    folder = copy.parent
    skipped = invoke("check", folder, *TODAY, code=2)
    assert "copies annotées non modifiées" in skipped.stderr
    book = openpyxl.load_workbook(copy)
    book["Bordereau"]["F16"] = "droit commun"  # the centre corrects COVERAGE_UNKNOWN
    book.save(copy)
    result = invoke("check", folder, "--json", *TODAY, code=1)
    doc = json.loads(result.stdout)
    assert [(f["sheet"], f["errors"], f["warnings"]) for f in doc["files"]] == [("Bordereau", 12, 4)]
    assert "COVERAGE_UNKNOWN" not in {f["code"] for f in doc["findings"]}
    assert {f["sheet"] for f in doc["findings"]} == {"Bordereau"}


def test_a_copy_given_by_name_is_read_without_its_anomalies_sheet(copy: Path):
    doc = json.loads(invoke("check", copy, "--json", *TODAY, code=1).stdout)
    assert [(f["sheet"], f["lines"], f["errors"]) for f in doc["files"]] == [("Bordereau", 52, 13)]


def test_an_anomalies_sheet_edited_by_hand_is_read_like_any_sheet(copy: Path, tmp_path: Path):
    """What the tool cannot prove it wrote is read: an Anomalies sheet turned into a bordereau is checked."""
    book = openpyxl.load_workbook(copy)
    anomalies = book["Anomalies"]
    for row in book["Bordereau"].iter_rows(min_row=1, max_row=12, values_only=True):
        anomalies.append(row)
    book.save(copy)
    doc = json.loads(invoke("check", copy, "--json", *TODAY, code=1).stdout)
    assert {f["sheet"] for f in doc["files"]} == {"Anomalies", "Bordereau"}
    folder = json.loads(invoke("check", copy.parent, "--json", *TODAY, code=1).stdout)
    assert {f["sheet"] for f in folder["files"]} == {"Anomalies", "Bordereau"}


def test_a_copy_whose_record_was_lost_is_read_whole(copy: Path, tmp_path: Path):
    stripped = tmp_path / "sans-proprietes-anomalies.xlsx"
    with zipfile.ZipFile(copy) as source, zipfile.ZipFile(stripped, "w") as target:
        for item in source.infolist():
            if item.filename != "docProps/custom.xml":
                target.writestr(item, source.read(item.filename))
    doc = json.loads(invoke("check", stripped, "--json", *TODAY, code=1).stdout)
    assert [(f["sheet"], f["errors"]) for f in doc["files"]] == [("Bordereau", 13)]  # Anomalies holds no table


def _rows() -> list[list]:
    """The example's cells as the reader gives them (dates as dates, amounts as numbers)."""
    [sheet] = open_sheets(DUNKERQUE)
    return [[None if v == "" else v for v in row] for row in sheet.rows]


def _write_ods(path: Path) -> Path:
    pd.DataFrame(_rows()).to_excel(path, engine="odf", header=False, index=False, sheet_name="Bordereau")
    return path


def _write_xls(path: Path) -> Path:
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    ws = book.add_sheet("Bordereau")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for r, row in enumerate(_rows()):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write(r, c, dt.datetime.combine(value, dt.time()), date_style)
            elif value is not None:
                ws.write(r, c, value)
    book.save(str(path))
    return path


@pytest.mark.parametrize("write", [_write_ods, _write_xls], ids=["ods", "xls"])
def test_copies_of_ods_and_xls_keep_dates_as_dates_and_amounts_in_euros(write, tmp_path: Path):
    pytest.importorskip("odf")
    source = write(tmp_path / f"sps-dunkerque.{write.__name__[-3:]}")
    invoke("check", source, "--annotate", tmp_path / "annotes", *TODAY, code=1)
    [copy] = (tmp_path / "annotes").iterdir()
    ws = openpyxl.load_workbook(copy)["Bordereau"]
    birth, given, price, amo, total = ws["D8"], ws["I8"], ws["K8"], ws["L8"], ws["M8"]
    assert ws["A7"].value == "Nom" and ws["K7"].value.startswith("Prix")
    assert birth.is_date and given.is_date and birth.number_format == given.number_format == "DD/MM/YYYY"
    assert given.value.date() == dt.date(2026, 10, 1)
    for cell in (price, amo, total):
        assert isinstance(cell.value, float) and "€" in cell.number_format, cell.coordinate
    assert price.value == 98.5
    assert not isinstance(ws["C8"].value, float)  # a NIR stays text


LILLE = ROOT / "examples" / "sps-lille-2026-10.xlsx"


def test_the_ledger_key_creation_is_said_once_with_its_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    key = tmp_path / "config" / "ledger.key"
    monkeypatch.setenv("BORDEREAU_KEY_FILE", str(key))
    first = invoke("export", LILLE, "--out", tmp_path / "e1", *TODAY, code=0)
    assert f"Clé du registre créée : {key}" in first.stderr and "Sauvegardez-la" in first.stderr
    assert "illisible" in first.stderr and key.is_file()
    assert "Clé du registre" not in first.stdout
    assert "Clé du registre" not in invoke("status", *TODAY, code=0).output
    assert "Clé du registre" not in invoke("check", LILLE, *TODAY, code=1).output  # ALREADY_BILLED


def test_audit_keeps_its_history_in_the_default_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       private_ledger: Path):
    monkeypatch.delenv("BORDEREAU_DB")
    monkeypatch.delenv("BORDEREAU_KEY_FILE")
    invoke("export", LILLE, "--out", tmp_path / "e", "--no-ledger", *TODAY, code=0)
    folder = tmp_path / "e" / "595-lille-douai"
    invoke("audit", folder, "--cpam", "595", *TODAY, code=0)
    assert (private_ledger / "data" / "bordereau" / "ledger.sqlite").is_file()  # the user's data folder
    [sheet] = folder.glob("HPV-*.xlsx")
    book = openpyxl.load_workbook(sheet)
    book.active["C2"] = "renvoyé"  # presented again, another file
    book.save(sheet)
    again = invoke("audit", folder, "--cpam", "595", "--json", "--today", "2026-11-24", code=1)
    assert "BORDEREAU_SEEN_BEFORE" in again.stdout
    trial = invoke("audit", folder, "--cpam", "595", "--json", "--no-ledger", "--today", "2026-11-24", code=0)
    assert "BORDEREAU_SEEN_BEFORE" not in trial.stdout
