"""The annotated copy keeps the centre's workbook (issue 12): formats, merged cells, formulas, an image, data
validation, comments and the other sheets stay as they were; only the faulty cells, their comments and the
« Anomalies » sheet are new."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from PIL import Image as PilImage
from typer.testing import CliRunner

from bordereau.read import provenance
from cli import app

runner = CliRunner()
# the parts a copy rewrites; every other part of the centre's workbook is copied byte for byte
REWRITTEN = {"xl/worksheets/sheet1.xml", "xl/worksheets/_rels/sheet1.xml.rels", "xl/workbook.xml",
             "xl/_rels/workbook.xml.rels", "xl/styles.xml", "[Content_Types].xml", "_rels/.rels", "docProps/custom.xml"}


def _rich_workbook(path: Path) -> Path:
    """The centre's bordereau, dressed up as a real workbook: styles, merged cells, formulas, an image, a data
    validation, two more sheets, comments, a defined name and print titles."""
    book = openpyxl.load_workbook(path)
    ws = book.active
    ws["A8"].font = Font(bold=True, color="FF0000FF")
    ws["A8"].border = Border(bottom=Side(style="thick"))
    ws["F8"].font = Font(italic=True)
    ws["N1"] = "Visa du centre"
    ws.merge_cells("N1:P2")
    ws["N4"] = "=SUM(K8:K9)"
    ws["N5"].fill = PatternFill("solid", fgColor="00FF00")
    validation = DataValidation(type="list", formula1='"droit_commun,sans_droits"', allow_blank=True)
    validation.add("F8:F20")
    ws.add_data_validation(validation)
    picture = io.BytesIO()
    PilImage.new("RGB", (40, 20), (200, 30, 30)).save(picture, format="PNG")
    ws.add_image(Image(picture), "R2")
    notes = book.create_sheet("Notes")
    notes["A1"] = "Remarques"
    notes["A1"].comment = Comment("Vu avec l'infirmière", "Centre")
    notes["B2"] = "=Bordereau!K8*2"
    notes.print_title_rows = "1:1"
    sums = book.create_sheet("Calculs")
    sums["A1"] = 3
    sums["A2"] = "=A1*4"
    book.defined_names["Taux"] = DefinedName("Taux", attr_text="Calculs!$A$1")
    book.save(path)
    return path


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def test_the_copy_keeps_every_part_of_the_workbook_but_the_faulty_cells(tmp_path, book, lines):
    lines[0]["prise_en_charge"] = "Mutuelle"  # F8: an error
    lines[1]["prise_en_charge"] = ""  # F9: an error on a cell the workbook does not hold
    source = _rich_workbook(book(lines))
    result = runner.invoke(app, ["check", str(source), "--annotate", str(tmp_path / "out"), "--today", "2026-11-23"])
    assert result.exit_code == 1, result.output
    copy = tmp_path / "out" / "bordereau-anomalies.xlsx"
    before, after = _parts(source), _parts(copy)
    assert "xl/worksheets/sheet1.xml" in before and set(before) - set(after) == set()
    kept = [n for n in before if n not in REWRITTEN]
    assert kept and {n for n in kept if before[n] != after[n]} == set()
    assert any(n.startswith("xl/media/") for n in kept) and any(n.startswith("xl/comments") for n in kept)

    was, now = openpyxl.load_workbook(source), openpyxl.load_workbook(copy)
    assert now.sheetnames == ["Anomalies", "Bordereau", "Notes", "Calculs"] and now.active.title == "Anomalies"
    assert [bool(ws.sheet_view.tabSelected) for ws in now.worksheets] == [True, False, False, False]
    old, new = was["Bordereau"], now["Bordereau"]
    for row_old, row_new in zip(old.iter_rows(), new.iter_rows(), strict=True):
        for a, b in zip(row_old, row_new, strict=True):
            assert (a.coordinate, a.value, a.number_format, repr(a.font), repr(a.border), repr(a.alignment)) == \
                   (b.coordinate, b.value, b.number_format, repr(b.font), repr(b.border), repr(b.alignment))
            if a.coordinate not in ("F8", "F9"):
                assert (a.coordinate, repr(a.fill), b.comment) == (b.coordinate, repr(b.fill), None)
    assert new["F8"].fill.fgColor.rgb == "00FF8080" and new["F8"].font.italic  # its own font kept
    assert new["F8"].comment.text.startswith("Erreur COVERAGE_UNKNOWN")
    assert new["F9"].fill.fgColor.rgb == "00FF8080" and new["F9"].comment.text.startswith("Erreur REQUIRED_MISSING")
    assert [str(r) for r in new.merged_cells.ranges] == [str(r) for r in old.merged_cells.ranges]
    assert new["N4"].value == "=SUM(K8:K9)" and now["Calculs"]["A2"].value == "=A1*4"
    assert [(str(v.sqref), v.formula1) for v in new.data_validations.dataValidation] == \
           [(str(v.sqref), v.formula1) for v in old.data_validations.dataValidation]
    assert len(new._images) == 1
    assert now["Notes"]["A1"].comment.text == "Vu avec l'infirmière" and now["Notes"].print_title_rows == "$1:$1"
    assert now.defined_names["Taux"].attr_text == "Calculs!$A$1"
    anomalies = now["Anomalies"]
    assert [anomalies.cell(r, 4).value for r in (2, 3, 4)] == [None, "F8", "F9"]  # 2: the formula never computed
    assert anomalies["D3"].hyperlink.target == "#'Bordereau'!F8" and anomalies["A1"].font.bold
    assert anomalies.print_title_rows == "$1:$1"
    assert provenance.untouched_copy(copy)


def test_a_sheet_that_already_has_comments_is_copied_by_openpyxl(tmp_path, book, lines):
    lines[0]["prise_en_charge"] = "Mutuelle"
    source = book(lines)
    centre = openpyxl.load_workbook(source)
    centre.active["A8"].comment = Comment("à vérifier", "Centre")
    centre.save(source)
    result = runner.invoke(app, ["check", str(source), "--annotate", str(tmp_path), "--today", "2026-11-23"])
    assert result.exit_code == 1, result.output
    copy = openpyxl.load_workbook(tmp_path / "bordereau-anomalies.xlsx")
    assert copy["Bordereau"]["A8"].comment.text == "à vérifier"
    assert copy["Bordereau"]["F8"].comment.text.startswith("Erreur COVERAGE_UNKNOWN")
    assert copy.sheetnames == ["Anomalies", "Bordereau"]
