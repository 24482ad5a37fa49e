"""The annotated copy of hostile workbooks (issue 15): a copy that cannot be made is said for its file while the
findings, the JSON and the report still come out; user text is stored as text in every copy."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
from conftest import edit_workbook
from fuzzing import ods_bytes, ods_rows
from openpyxl.writer.excel import ExcelWriter
from typer.testing import CliRunner

from cli import app

TODAY = ["--today", "2026-11-23"]
runner = CliRunner()


def _check(*args) -> tuple[int, str, str]:
    result = runner.invoke(app, ["check", *map(str, args), *TODAY])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def _without(path: Path, part: str) -> Path:
    with zipfile.ZipFile(path) as archive:
        data = {n: archive.read(n) for n in archive.namelist() if n != part}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in data.items():
            archive.writestr(name, content)
    return path


def test_a_workbook_openpyxl_cannot_load_gets_a_copy_of_its_values(tmp_path, book, lines):
    lines[0]["prise_en_charge"] = "Mutuelle"
    path = _without(book(lines), "xl/styles.xml")
    code, stdout, _ = _check(path, "--annotate", tmp_path / "out", "--report", tmp_path / "r.html")
    assert code == 1 and "COVERAGE_UNKNOWN" in stdout and (tmp_path / "r.html").exists()
    assert "mise en forme non reprise" in " ".join(stdout.split())
    copy = openpyxl.load_workbook(tmp_path / "out" / "bordereau-anomalies.xlsx")
    assert copy.sheetnames == ["Anomalies", "Bordereau"]
    assert copy["Bordereau"]["F8"].comment.text.startswith("Erreur COVERAGE_UNKNOWN")


def test_a_copy_that_cannot_be_written_is_said_and_the_rest_comes_out(tmp_path, book, lines, monkeypatch):
    archives = []

    def refuse(self):  # half-way: a part written, then openpyxl fails
        archives.append(self._archive)
        self._archive.writestr("[Content_Types].xml", "<Types/>")
        raise TypeError("openpyxl")

    monkeypatch.setattr(ExcelWriter, "write_data", refuse)
    lines[0]["prise_en_charge"] = "Mutuelle"
    path = book(lines)
    code, stdout, stderr = _check(path, "--annotate", tmp_path / "out", "--json", "--report", tmp_path / "r.html")
    assert code == 1 and [f["code"] for f in json.loads(stdout)["findings"]] == ["COVERAGE_UNKNOWN"]
    assert f"Copie annotée impossible pour {path}" in stderr and "(TypeError)" in stderr
    assert (tmp_path / "r.html").exists() and list((tmp_path / "out").iterdir()) == []
    # the archive openpyxl was writing is closed (openpyxl leaves it open: on Windows the temporary file could not
    # be removed while it is)
    assert archives and all(archive.fp is None for archive in archives)


def test_a_control_character_escaped_as_excel_does_reaches_the_comment_as_a_mark(tmp_path, book, lines):
    lines[0]["prise_en_charge"] = "a\x01b"  # xlsxwriter stores it as Excel does: a_x0001_b
    code, stdout, _ = _check(book(lines), "--annotate", tmp_path)
    assert code == 1 and "Copie annotée :" in stdout
    comment = openpyxl.load_workbook(tmp_path / "bordereau-anomalies.xlsx")["Bordereau"]["F8"].comment.text
    assert "« a\ufffdb »" in comment


def test_a_finding_inside_merged_cells_is_commented_on_the_merged_range(tmp_path, book, lines):
    path = edit_workbook(book(lines), lambda ws: ws.merge_cells("E9:F9"))  # F9 is now empty, E9 carries it
    code, stdout, _ = _check(path, "--annotate", tmp_path)
    assert code == 1 and "Copie annotée :" in stdout
    copy = openpyxl.load_workbook(tmp_path / "bordereau-anomalies.xlsx")
    assert copy["Bordereau"]["E9"].comment.text == "Erreur REQUIRED_MISSING : Prise en charge : cellule vide"
    assert copy["Anomalies"]["D2"].value == "F9"


def _ods(tmp_path: Path, name: str, rows: list[list]) -> Path:
    path = tmp_path / "centre.ods"
    path.write_bytes(ods_bytes({name: ods_rows(rows)}))
    return path


def _example_rows(lines_book: Path) -> list[list]:
    ws = openpyxl.load_workbook(lines_book).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_an_ods_sheet_named_with_a_slash_is_copied_under_a_name_excel_accepts(tmp_path, book, lines):
    lines[0]["prise_en_charge"] = "Mutuelle"
    path = _ods(tmp_path, "Octobre/2026", _example_rows(book(lines)))
    code, stdout, _ = _check(path, "--annotate", tmp_path / "out")
    assert code == 1 and "COVERAGE_UNKNOWN" in stdout and "Copie annotée :" in stdout
    copy = openpyxl.load_workbook(tmp_path / "out" / "centre-anomalies.xlsx")
    assert copy.sheetnames == ["Anomalies", "Octobre_2026"]
    assert copy["Octobre_2026"]["F8"].comment is not None
    assert copy["Anomalies"]["C2"].value == "Octobre/2026"  # the finding names the sheet as the centre does


def test_user_text_of_an_ods_stays_text_in_the_copy(tmp_path, book, lines):
    rows = _example_rows(book(lines))
    rows[7][0] = '=HYPERLINK("http://example.org","x")'
    rows[8][0] = "=IMPORTXML(A1)"
    code, _, _ = _check(_ods(tmp_path, "Bordereau", rows), "--annotate", tmp_path / "out")
    assert code == 0
    ws = openpyxl.load_workbook(tmp_path / "out" / "centre-anomalies.xlsx")["Bordereau"]
    assert (ws["A8"].data_type, ws["A8"].value) == ("s", '=HYPERLINK("http://example.org","x")')
    assert (ws["A9"].data_type, ws["A9"].value) == ("s", "=IMPORTXML(A1)")
    with zipfile.ZipFile(tmp_path / "out" / "centre-anomalies.xlsx") as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in archive.read(n) for n in sheets)
