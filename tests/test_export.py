"""`totals` and `export` end to end: exact sums, PETRA folders, manifest, FIR statement, atomicity, privacy."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pypdf
import pytest
import python_calamine
from typer.testing import CliRunner

from bordereau.reference.data import load_reference
from bordereau.samples import dose_line, make_nir, write_bordereau
from cli import app

ROOT = Path(__file__).resolve().parent.parent
TODAY = ["--today", "2026-11-23"]
FULL_NIR = re.compile(r"(?<![\d*])[12378]\s?\d{2}\s?\d{2}\s?(\d{2}|2A|2B)\s?\d{3}\s?\d{3}\s?\d{2}(?!\d)")
runner = CliRunner()
REF = load_reference()


def invoke(*args):
    return runner.invoke(app, [*map(str, args)], catch_exceptions=False)


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    shutil.copytree(ROOT / "examples", folder)
    return folder


@pytest.fixture
def clean(examples: Path) -> Path:
    (examples / "sps-dunkerque-2026-10-erreurs.xlsx").unlink()
    return examples


def _hainaut_three_lines(tmp_path: Path) -> Path:
    """Droit commun, AME and sans droits at the negotiated 98,50 EUR, computed by hand below."""
    centre = REF.centre_by_finess["590780037"]  # Valenciennes, CPAM du Hainaut
    day = dt.date(2026, 10, 5)
    pupils = [
        {"nom": "A", "prenom": "Un", "nir": make_nir(random.Random(1), 2, dt.date(2013, 3, 4)),
         "date_naissance": dt.date(2013, 3, 4), "code_regime": "01", "coverage": "droit_commun"},
        {"nom": "B", "prenom": "Deux", "nir": make_nir(random.Random(2), 1, dt.date(2013, 4, 5)),
         "date_naissance": dt.date(2013, 4, 5), "code_regime": "01", "coverage": "ame"},
        {"nom": "C", "prenom": "Trois", "nir": None, "date_naissance": dt.date(2013, 5, 6), "code_regime": None,
         "coverage": "sans_droits"},
    ]
    lines = [dose_line(REF, centre, p, "3400930056202", day, 1) for p in pupils]
    return write_bordereau(tmp_path / "valenciennes.xlsx", centre, dt.date(2026, 10, 1), dt.date(2026, 10, 31), lines)


def test_totals_by_cpam_exact_to_the_cent(tmp_path: Path):
    path = _hainaut_three_lines(tmp_path)
    result = invoke("totals", path, "--json", *TODAY)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    # 98,50 x 65 % = 64,025 -> 64,03 ; AME: + 34,47 complementary ; sans droits: 98,50 to the FIR
    expected = {"lines": 3, "prix": "295.50", "amo": "128.06", "complementaire": "34.47", "total": "162.53",
                "fir": "132.97"}
    assert doc == {"by": "cpam", "groups": [{"key": "599", "label": "CPAM du Hainaut", **expected}],
                   "total": expected, "excluded_lines": 0}


@pytest.mark.parametrize("by", ["cpam", "centre", "regime", "prise_en_charge"])
def test_totals_groups_add_up_and_errors_are_excluded(examples: Path, by: str):
    result = invoke("totals", examples, "--json", "--by", by, *TODAY)
    assert result.exit_code == 1  # the error example
    doc = json.loads(result.stdout)
    assert doc["by"] == by and doc["excluded_lines"] == 12
    for part in ("prix", "amo", "complementaire", "total", "fir"):
        assert sum(Decimal(g[part]) for g in doc["groups"]) == Decimal(doc["total"][part])
    assert doc["total"]["lines"] == 152 - 12
    t = doc["total"]
    assert Decimal(t["amo"]) + Decimal(t["complementaire"]) + Decimal(t["fir"]) == Decimal(t["prix"])


def test_totals_terminal_and_xlsx(tmp_path: Path):
    path = _hainaut_three_lines(tmp_path)
    result = invoke("totals", path, "--by", "prise_en_charge", "--xlsx", tmp_path / "t.xlsx", *TODAY)
    assert "162,53 EUR" in result.stdout and "sans droits" in result.stdout
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["Totaux"]
    assert [c.value for c in ws[5]][:8] == [None, "Total", 3, 295.5, 128.06, 34.47, 162.53, 132.97]


def test_unknown_grouping_is_exit_2(examples: Path):
    result = runner.invoke(app, ["totals", str(examples), "--by", "commune"])
    assert result.exit_code == 2 and "regroupement inconnu" in result.stderr


def test_export_refuses_errors_and_writes_nothing(examples: Path, tmp_path: Path):
    out = tmp_path / "export"
    result = invoke("export", examples, "--out", out, *TODAY)
    assert result.exit_code == 1
    assert "Export refusé" in result.stderr and "DUPLICATE_LINE" in result.stdout
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _rows(path: Path) -> list[list]:
    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def test_export_layout_manifest_and_round_trip(clean: Path, tmp_path: Path):
    out = tmp_path / "export"
    result = invoke("export", clean, "--out", out, *TODAY)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        ".bordereau-export", "595-lille-douai", "599-hainaut", "FIR-departement"]
    folder = out / "595-lille-douai"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["cpam"] == "595" and manifest["recipient"].endswith("@assurance-maladie.fr")
    assert manifest["period"] == {"start": "2026-10-01", "end": "2026-10-31"}
    [entry] = manifest["files"]
    assert re.fullmatch(r"HPV-595-590780102-20261123-1\.xlsx", entry["name"])
    for item in manifest["files"] + manifest["other_files"]:
        assert hashlib.sha256((folder / item["name"]).read_bytes()).hexdigest() == item["sha256"]
    # the bordereau: header block, the lines, a totals row equal to the manifest, the signature block
    rows = _rows(folder / entry["name"])
    assert rows[5][:2] == ["N° de bordereau", "HPV-595-590780102-20261123-1"]
    assert rows[8][:2] == ["N° de ligne", "Nom"] and rows[9][0] == 1
    coverage = [r[6] for r in rows[9:9 + entry["lines"]]]
    assert "sans droits" not in coverage
    total_row = rows[9 + entry["lines"]]
    assert total_row[0] == "TOTAL" and f"{total_row[14]:.2f}" == entry["total"] == manifest["total"]["total"]
    assert any("daté, signé et cacheté" in str(r[0]) for r in rows[-3:])
    # read back by the tool itself: no error, same sums
    again = invoke("totals", folder / entry["name"], "--json", *TODAY)
    assert again.exit_code == 0
    assert json.loads(again.stdout)["total"]["total"] == manifest["total"]["total"]
    lisezmoi = (folder / "LISEZMOI.txt").read_text(encoding="utf-8")
    assert "PETRA" in lisezmoi and manifest["recipient"] in lisezmoi and "exemple" in lisezmoi
    assert "Attention, données d'exemple" in result.stdout


def test_sans_droits_go_to_the_fir_statement_without_nir(clean: Path, tmp_path: Path):
    out = tmp_path / "export"
    invoke("export", clean, "--out", out, *TODAY)
    totals = json.loads(invoke("totals", clean, "--json", "--by", "prise_en_charge", *TODAY).stdout)
    no_rights = next(g for g in totals["groups"] if g["key"] == "sans_droits")
    book = openpyxl.load_workbook(out / "FIR-departement" / "etat-fir.xlsx")
    by_centre = list(book["Par centre"].iter_rows(min_row=5, values_only=True))  # under the title and period
    assert sum(r[2] for r in by_centre) == no_rights["lines"]
    assert f"{sum(r[8] for r in by_centre):.2f}" == totals["total"]["fir"]
    detail = list(book["Sans droits"].iter_rows(min_row=1, values_only=True))
    assert detail[0] == ("Centre", "Nom", "Prénom", "Date d'administration", "Vaccin", "Prix unitaire TTC", "FIR")
    assert len(detail) - 1 == no_rights["lines"]


def test_no_full_nir_outside_the_bordereaux(clean: Path, tmp_path: Path):
    out = tmp_path / "export"
    result = invoke("export", clean, "--out", out, *TODAY)
    assert not FULL_NIR.search(result.stdout)
    for path in out.rglob("*"):
        if path.is_file() and not path.name.startswith("HPV-"):
            if path.suffix == ".pdf":
                text = " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
            else:
                text = path.read_text(encoding="utf-8") if path.suffix != ".xlsx" else " ".join(
                    str(v) for r in _rows(path) for v in r)
            text = re.sub(r"\b[0-9a-f]{64}\b", "", text)  # a SHA-256 may hold 15 digits in a row by chance
            assert not FULL_NIR.search(text), path


def test_existing_export_is_never_overwritten(clean: Path, tmp_path: Path):
    out = tmp_path / "export"
    out.mkdir()
    (out / "ancien.txt").write_text("export précédent", encoding="utf-8")
    result = runner.invoke(app, ["export", str(clean), "--out", str(out)])
    assert result.exit_code == 2 and "jamais écrasé" in result.stderr
    assert [p.name for p in out.iterdir()] == ["ancien.txt"]


def test_a_failure_midway_leaves_nothing(clean: Path, tmp_path: Path, monkeypatch):
    from bordereau.render import export_fir

    def broken(*args, **kwargs):
        raise OSError("disque plein")

    monkeypatch.setattr(export_fir, "write_fir", broken)
    out = tmp_path / "export"
    result = runner.invoke(app, ["export", str(clean), "--out", str(out), *TODAY])
    assert result.exit_code == 2
    assert not out.exists()
    assert list(tmp_path.glob(".export*")) == []


def test_skip_invalid_bills_valid_lines_and_lists_the_others(examples: Path, tmp_path: Path):
    out = tmp_path / "export"
    result = invoke("export", examples, "--out", out, "--skip-invalid", *TODAY)
    assert result.exit_code == 0  # it exported what it could, and says what it left
    assert "12 ligne(s) en erreur non exportée(s)" in result.stdout
    assert not (out / "deja-facturees.xlsx").exists()
    rows = list(openpyxl.load_workbook(out / "a-corriger" / "sps-dunkerque-2026-10-erreurs-a-corriger.xlsx")
                .active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 12
    assert all(r[-1] for r in rows)  # every line says what to correct
    assert any("clé du NIR incorrecte" in r[-1] for r in rows)
    manifest = json.loads((out / "594-flandres" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"][0]["lines"] == 52 - 12 - 1  # one valid line is sans droits: FIR only
