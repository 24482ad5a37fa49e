"""No NIR where it does not belong: NIR-shaped runs typed in every column, in the header block and in the sheet
name are masked in the terminal, check --json, the HTML report, the FIR statement and the ledger."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from rich.console import Console
from typer.testing import CliRunner

import cli
from bordereau.read.workbook import open_sheets

ROOT = Path(__file__).resolve().parent.parent
LILLE = ROOT / "examples" / "sps-lille-2026-10.xlsx"
TODAY = ["--today", "2026-11-23"]
runner = CliRunner()

SHEET = "Bordereau 2_14_07_59_701_801_01"  # 31 characters, Excel's limit
CENTRE = "SPS de Lille 1 85 03 2A 702 802 02"
# (cell, typed value): a NIR-shaped run in every column, spaced, dotted, dashed, underscored, 13 or 15 digits
PLANTED = {
    "A29": "DUPONT 2.14.07.59.703.803.03",  # lines without rights: they reach the FIR statement
    "B36": "Lou 2140759704804",
    "G39": "(Gardasil 9) 2_14_07_59_705_805_05",
    "A20": "MARTIN 2 14 07 59 718 818 18",  # billed lines: their names are kept in the ledger
    "B21": "Emma_2_14_07_59_719_819_19",
    "C9": "1_14_05_59_706_806_06",
    "D10": "2140759707807",
    "E11": "2 14 07 59 708 808 08",
    "F12": "droit commun 214075970980909",
    "H13": "2-14-07-59-710-810-10",
    "I14": "2140759711811",
    "J15": "214075971281212",
    "K16": "2 14 07 59 713 813 13",
    "L17": "2_14_07_59_714_814_14",
    "M18": "2140759715815",
}
BLOCK = {"B3": "2140759716816", "B4": "2 14 07 59 717 817 17"}  # FINESS cells of the header block


def _tails() -> list[str]:
    """The hidden part of every planted NIR (digits 8 to 13), as it would show if it leaked."""
    texts = [SHEET, CENTRE, *PLANTED.values(), *BLOCK.values()]
    return [re.sub(r"\D", "", re.search(r"[12][\d ._\-A]{12,}", t).group().replace("2A", "20"))[7:13]
            for t in texts]


def leaks(text: str) -> list[str]:
    """The planted NIRs whose hidden digits appear in `text`, with any separators between them."""
    return [t for t in _tails() if re.search(r"[\s._\-/\u00a0]*".join(t), text)]


def _plant(source: Path, target: Path, cells: dict[str, str]) -> Path:
    book = openpyxl.load_workbook(source)
    ws = book.active
    ws.title = SHEET
    ws["B2"] = CENTRE
    for ref, value in cells.items():
        ws[ref] = value
    book.save(target)
    return target


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal wide enough that no run is folded across two lines (a fold would hide a leak from the test)."""
    monkeypatch.setattr(cli, "out", Console(highlight=False, width=400))


def invoke(*args, code: int):
    result = runner.invoke(cli.app, [*map(str, args), *TODAY], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_planted_nirs_are_masked_in_check_outputs(tmp_path: Path, wide):
    lines = _plant(LILLE, tmp_path / "lignes.xlsx", PLANTED)
    block = _plant(LILLE, tmp_path / "entete.xlsx", BLOCK)
    assert len(leaks(open_sheets(lines)[0].name + str(open_sheets(lines)[0].rows))) == len(PLANTED) + 2
    report = tmp_path / "rapport.html"
    terminal = invoke("check", lines, block, "--report", report, code=1).stdout
    as_json = invoke("check", lines, block, "--json", code=1).stdout
    assert "2 14 07 59 *** *** **" in as_json and "Bordereau 2_14 07 59 *** *** **" not in as_json
    assert "Bordereau 2 14 07 59 *** *** **" in as_json  # the sheet name, masked
    for shown in (terminal, as_json, report.read_text(encoding="utf-8")):
        assert leaks(shown) == []


def test_planted_nirs_never_reach_the_fir_statement_nor_the_ledger(tmp_path: Path, wide, private_ledger: Path):
    lines = _plant(LILLE, tmp_path / "lignes.xlsx", PLANTED)
    out = tmp_path / "export"
    terminal = invoke("export", lines, "--out", out, "--skip-invalid", code=0).stdout
    assert leaks(terminal) == []
    fir = out / "FIR-departement"
    cells = " | ".join(str(v) for sheet in open_sheets(fir / "etat-fir.xlsx") for row in sheet.rows for v in row)
    assert "DUPONT 2 14 07 59 *** *** **" in cells and "(Gardasil 9) 2 14 07 59 *** *** **" in cells
    assert leaks(cells) == [] and leaks((fir / "etat-fir.html").read_text(encoding="utf-8")) == []
    with sqlite3.connect(private_ledger / "ledger.sqlite") as db:
        stored = " | ".join(str(v) for table in ("billed_lines", "bordereaux", "fir_lines")
                            for row in db.execute(f"SELECT * FROM {table}") for v in row)
        [(number,)] = db.execute("SELECT number FROM bordereaux").fetchall()
    assert "MARTIN 2 14 07 59 *** *** **" in stored and "Emma_2 14 07 59 *** *** **" in stored
    assert leaks(stored) == []
    assert leaks(invoke("status", "--bordereau", number, code=0).stdout) == []


def test_the_tests_would_see_a_leak():
    assert leaks("nom : 2 14 07 59 703 803 03") == ["703803"]
    assert leaks("nom : 2 14 07 59 *** *** **") == []
