"""`audit`: the project's own exports are accepted to the cent; every planted error of the error example is rejected
with its code and amount; a tampered export is caught; --cpam; the rejection statement; privacy; a history."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from conftest import edit_workbook
from typer.testing import CliRunner

from bordereau.audit.history import MemoryHistory
from bordereau.audit.run import audit_files
from bordereau.reference.data import load_reference
from bordereau.rejections import COLUMNS, SHEET
from bordereau.samples import campaign_lines, dose_line, write_bordereau
from bordereau.text import norm_label
from cli import app

ROOT = Path(__file__).resolve().parent.parent
ERRORS = "sps-dunkerque-2026-10-erreurs.xlsx"
TODAY = ["--today", "2026-11-23"]
DAY = dt.date(2026, 11, 23)
FULL_NIR = re.compile(r"(?<![\d*])[12378]\s?\d{2}\s?\d{2}\s?(\d{2}|2A|2B)\s?\d{3}\s?\d{3}\s?\d{2}(?!\d)")
AMOUNT = re.compile(r"-?\d+\.\d{2}")
REF = load_reference()
runner = CliRunner()
# exported layout (render/export_files.TABLE): first line on row 10
FIRST, PRICE, AMO, TOTAL = 10, "L", "M", "O"


def invoke(*args):
    """The CLI; `audit` without its history, since these tests audit the same bordereaux again and again (the
    history is tested in test_ledger.py and below)."""
    trial = ["--no-ledger"] if args[0] == "audit" and "--db" not in args else []
    return runner.invoke(app, [*map(str, args), *trial], catch_exceptions=False)


def audit_json(*args) -> tuple[int, dict]:
    result = invoke("audit", *args, "--json", *TODAY)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture(scope="module")
def export_root(tmp_path_factory) -> Path:
    """The examples without the error file, exported once by the CLI (with a private ledger)."""
    base = tmp_path_factory.mktemp("export")
    shutil.copytree(ROOT / "examples", base / "in")
    (base / "in" / ERRORS).unlink()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BORDEREAU_DB", str(base / "ledger.sqlite"))
        mp.setenv("BORDEREAU_KEY_FILE", str(base / "ledger.key"))
        result = invoke("export", base / "in", "--out", base / "out", *TODAY)
    assert result.exit_code == 0, result.output
    return base / "out"


@pytest.fixture
def lille(export_root: Path, tmp_path: Path) -> Path:
    """A copy of the exported bordereau of the SPS de Lille (CPAM 595), to tamper with."""
    [source] = (export_root / "595-lille-douai").glob("HPV-*.xlsx")
    return Path(shutil.copy(source, tmp_path / source.name))


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def by_row(doc: dict) -> dict[int, dict]:
    return {line["row"]: line for line in doc["lines"]}


def cell(path: Path, ref: str) -> object:
    return openpyxl.load_workbook(path).active[ref].value


# -- the project's own exports: everything accepted, to the cent -------------------------------------------------


def test_own_exports_are_accepted_to_the_cent(export_root: Path):
    folders = [export_root / "595-lille-douai", export_root / "599-hainaut"]
    code, doc = audit_json(*folders)  # a CPAM folder gives the bordereaux its manifest lists
    assert code == 0 and doc["findings"] == [] and doc["rejections"] == []
    expected = {f["number"]: f for folder in folders for f in manifest(folder)["files"]}
    assert {b["number"] for b in doc["bordereaux"]} == set(expected)
    for b in doc["bordereaux"]:
        total = expected[b["number"]]["total"]
        assert b["claimed"] == b["recomputed"] == b["accepted"] == b["claimed_total_row"] == total
        assert (b["rejected"], b["rejected_lines"], b["explanations"]) == ("0.00", 0, [])
        assert b["lines"] == b["accepted_lines"] == expected[b["number"]]["lines"]
    assert {line["verdict"] for line in doc["lines"]} == {"accepté"}
    assert doc["total"]["accepted"] == str(sum(Decimal(f["total"]) for f in expected.values()))


def test_generated_workbooks_exported_then_audited_match_totals(tmp_path: Path):
    """Two centres of two caisses, every coverage: what `totals` computes from the centres' workbooks is what the
    audit of the export accepts, caisse by caisse."""
    sources = tmp_path / "in"
    sources.mkdir()
    for finess, seed in (("590780037", 11), ("590780060", 12)):  # Valenciennes (599), Hazebrouck (594)
        centre = REF.centre_by_finess[finess]
        rows = campaign_lines(REF, centre, 150, dt.date(2026, 9, 1), dt.date(2026, 10, 31), seed=seed)
        write_bordereau(sources / f"{finess}.xlsx", centre, dt.date(2026, 9, 1), dt.date(2026, 10, 31), rows)
    totals = json.loads(invoke("totals", sources, "--json", *TODAY).stdout)
    assert invoke("export", sources, "--out", tmp_path / "out", "--no-ledger", *TODAY).exit_code == 0
    for group in totals["groups"]:
        [folder] = (tmp_path / "out").glob(f"{group['key']}-*")
        code, doc = audit_json(folder, "--cpam", group["key"])
        assert code == 0
        assert doc["total"]["accepted"] == doc["total"]["claimed"] == group["total"]


def test_terminal_summary_of_an_accepted_export(export_root: Path):
    result = invoke("audit", export_root / "595-lille-douai", "--cpam", "595", *TODAY)
    assert result.exit_code == 0, result.output
    total = manifest(export_root / "595-lille-douai")["total"]["total"].replace(".", ",")
    assert "pour la caisse 595" in result.stdout and "Tout est accepté" in result.stdout
    assert re.search(rf"À payer : {total[:-6]}.{total[-6:]} EUR", result.stdout)


# -- the error example: every planted error rejected with its code and amount ------------------------------------


PLANTED = {8: "NIR_INVALID", 12: "REQUIRED_MISSING", 13: "DATE_INVALID", 14: "DATE_IN_FUTURE", 15: "REGIME_UNKNOWN",
           16: "COVERAGE_UNKNOWN", 18: "VACCINE_CODE_INVALID", 19: "VACCINE_UNKNOWN", 20: "PRICE_ABOVE_PUBLIC",
           21: "PRICE_MISMATCH", 22: "AMOUNT_MISMATCH", 58: "DUPLICATE_LINE"}
# the schedule is not a billing condition: a second dose too early is an observation, not a rejection
OBSERVED = {10: "NIR_BIRTHDATE_MISMATCH", 26: "AGE_OUT_OF_RANGE", 28: "VACCINE_NAME_MISMATCH",
            59: "DOSE_INTERVAL_TOO_SHORT"}


def test_every_planted_error_is_rejected_with_its_code_and_amount(tmp_path: Path):
    path = Path(shutil.copy(ROOT / "examples" / ERRORS, tmp_path / ERRORS))
    code, doc = audit_json(path)
    assert code == 1
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    claimed = {r: Decimal(str(sheet[r - 1][12])).quantize(Decimal("0.01")) for r in PLANTED}  # « Montant total »
    lines = by_row(doc)
    for row, planted in PLANTED.items():
        line = lines[row]
        assert (line["verdict"], line["code"]) == ("rejeté", planted), (row, line)
        assert Decimal(line["rejected"]) == claimed[row] and line["accepted"] == "0.00"
    assert lines[14]["codes"] == ["DATE_IN_FUTURE", "DATE_OUTSIDE_PERIOD"]
    for row, observed in OBSERVED.items():
        assert (lines[row]["verdict"], lines[row]["codes"]) == ("accepté avec observation", [observed])
    others = {line["verdict"] for r, line in lines.items() if r not in PLANTED and r not in OBSERVED}
    assert others == {"accepté"}
    [b] = doc["bordereaux"]
    assert b["rejected_lines"] == len(PLANTED) and Decimal(b["rejected"]) == sum(claimed.values())
    assert {e["code"]: Decimal(e["amount"]) for e in b["explanations"]} == {PLANTED[r]: claimed[r] for r in PLANTED}
    assert Decimal(b["claimed"]) == Decimal(b["accepted"]) + Decimal(b["rejected"])
    assert b["claimed_total_row"] == b["claimed"] and b["findings"] == []  # its totals row adds up
    assert [r["ligne"] for r in doc["rejections"]] == sorted(PLANTED)  # no « N° de ligne » column: the Excel row


# -- a tampered export is caught ----------------------------------------------------------------------------------


def test_an_amount_changed_by_one_cent(lille: Path):
    before = Decimal(str(cell(lille, f"{TOTAL}{FIRST + 4}")))
    edit_workbook(lille, lambda ws: ws.cell(FIRST + 4, 15, float(before + Decimal("0.01"))))
    code, doc = audit_json(lille)
    assert code == 1
    line = by_row(doc)[FIRST + 4]
    assert (line["verdict"], line["code"], line["ligne"]) == ("rejeté", "AMOUNT_MISMATCH", 5)
    assert Decimal(line["rejected"]) == before + Decimal("0.01") and line["recomputed"] == f"{before:.2f}"
    [b] = doc["bordereaux"]
    [mismatch] = b["findings"]  # the totals row no longer adds up either
    assert mismatch["code"] == "CLAIMED_TOTAL_MISMATCH" and "écart -0,01 EUR" in mismatch["message"]
    assert b["rejected_lines"] == 1 and b["accepted_lines"] == b["lines"] - 1


def test_a_totals_row_changed_by_one_cent(lille: Path):
    rows = python_calamine.CalamineWorkbook.from_path(str(lille)).get_sheet_by_index(0).to_python()
    totals_row = next(i for i, r in enumerate(rows, start=1) if r[0] == "TOTAL")
    claimed = Decimal(str(rows[totals_row - 1][14])).quantize(Decimal("0.01"))
    edit_workbook(lille, lambda ws: ws.cell(totals_row, 15, float(claimed + Decimal("0.01"))))
    code, doc = audit_json(lille)
    assert code == 1
    [b] = doc["bordereaux"]
    [mismatch] = b["findings"]
    assert (mismatch["code"], mismatch["cell"]) == ("CLAIMED_TOTAL_MISMATCH", f"O{totals_row}")
    assert "écart 0,01 EUR" in mismatch["message"]
    # the lines are judged on their own: all accepted, the sum of the lines is what is paid
    assert b["rejected_lines"] == 0 and b["accepted"] == f"{claimed:.2f}"
    assert b["claimed_total_row"] == f"{claimed + Decimal('0.01'):.2f}"


def test_a_line_duplicated(lille: Path):
    def duplicate(ws):
        ws.insert_rows(FIRST + 3)
        for c in range(1, 16):
            ws.cell(FIRST + 3, c, ws.cell(FIRST + 2, c).value).number_format = ws.cell(FIRST + 2, c).number_format

    edit_workbook(lille, duplicate)
    code, doc = audit_json(lille)
    assert code == 1
    lines = by_row(doc)
    assert lines[FIRST + 2]["verdict"] == "accepté"
    copy = lines[FIRST + 3]
    assert (copy["verdict"], copy["code"]) == ("rejeté", "DUPLICATE_LINE")
    assert copy["rejected"] == lines[FIRST + 2]["claimed"]
    [b] = doc["bordereaux"]
    assert [e["code"] for e in b["explanations"]] == ["DUPLICATE_LINE"]
    assert {f["code"] for f in b["findings"]} == {"CLAIMED_TOTAL_MISMATCH"}  # the totals row left as it was
    assert {f["cell"][0] for f in b["findings"]} >= {PRICE, TOTAL}


def test_a_price_raised(lille: Path):
    row = FIRST + 4
    assert cell(lille, f"{PRICE}{row}") == 98.5 and cell(lille, f"{AMO}{row}") == 64.03  # droit commun, Gardasil 9

    def raise_price(ws):  # a careful forger: 99,50 EUR, and the amounts that go with it
        ws[f"{PRICE}{row}"], ws[f"{AMO}{row}"], ws[f"{TOTAL}{row}"] = 99.5, 64.68, 64.68

    edit_workbook(lille, raise_price)
    code, doc = audit_json(lille)
    assert code == 1
    line = by_row(doc)[row]
    assert (line["verdict"], line["code"], line["rejected"]) == ("rejeté", "PRICE_MISMATCH", "64.68")
    assert line["recomputed"] == "64.03"  # at the negotiated price, whatever the sheet claims


def test_a_price_above_the_public_price(lille: Path):
    edit_workbook(lille, lambda ws: ws.cell(FIRST, 12, 120.0))
    _, doc = audit_json(lille)
    assert by_row(doc)[FIRST]["code"] == "PRICE_ABOVE_PUBLIC"


def test_the_same_bordereau_twice(lille: Path, tmp_path: Path):
    again = Path(shutil.copy(lille, tmp_path / "copie.xlsx"))
    code, doc = audit_json(lille, again)
    assert code == 1
    first, second = sorted(doc["bordereaux"], key=lambda b: b["path"] == str(again))
    assert first["number"] == second["number"] and first["rejected_lines"] == 0
    [seen] = second["findings"]
    assert seen["code"] == "BORDEREAU_SEEN_BEFORE" and lille.name in seen["message"]
    assert second["rejected_lines"] == second["lines"]
    assert {line["code"] for line in doc["lines"] if line["path"] == str(again)} == {"BORDEREAU_SEEN_BEFORE"}
    assert {e["code"] for e in second["explanations"]} == {"BORDEREAU_SEEN_BEFORE"}


# -- the caisse ---------------------------------------------------------------------------------------------------


def test_cpam_mismatch(lille: Path):
    code, doc = audit_json(lille, "--cpam", "599")
    assert code == 1 and doc["cpam"] == "599"
    [b] = doc["bordereaux"]
    assert b["accepted"] == "0.00" and b["rejected"] == b["claimed"] and b["rejected_lines"] == b["lines"]
    [f] = b["findings"]
    assert (f["code"], f["cell"]) == ("CENTRE_NOT_ATTACHED", "B4")
    assert "caisse 595 (CPAM de Lille-Douai), pas à la caisse 599 (CPAM du Hainaut)" in f["message"]
    assert audit_json(lille, "--cpam", "595")[0] == 0


def test_header_block_addressed_to_another_caisse(lille: Path):
    edit_workbook(lille, lambda ws: ws.cell(5, 2, "594 – CPAM des Flandres"))
    code, doc = audit_json(lille)
    assert code == 1
    assert {line["code"] for line in doc["lines"]} == {"CENTRE_NOT_ATTACHED"}
    assert "à laquelle le bordereau est adressé" in doc["bordereaux"][0]["findings"][0]["message"]


def test_unknown_cpam_is_exit_2(lille: Path):
    result = runner.invoke(app, ["audit", str(lille), "--cpam", "123"])
    assert result.exit_code == 2 and "caisse inconnue" in result.stderr


def test_unreadable_file_is_reported(lille: Path, tmp_path: Path):
    (tmp_path / "faux.xlsx").write_text("pas un classeur", encoding="utf-8")
    code, doc = audit_json(lille, tmp_path / "faux.xlsx")
    assert code == 1 and [f["code"] for f in doc["unread"]] == ["FILE_UNREADABLE"]
    assert doc["bordereaux"][0]["rejected_lines"] == 0


# -- the rejection statement, the report, the JSON, privacy --------------------------------------------------------


def test_rejection_statement_columns(tmp_path: Path):
    path = Path(shutil.copy(ROOT / "examples" / ERRORS, tmp_path / ERRORS))
    statement = tmp_path / "rejets.xlsx"
    result = invoke("audit", path, "--xlsx", statement, *TODAY)
    assert result.exit_code == 1 and "État des rejets" in result.stdout
    book = openpyxl.load_workbook(statement)
    assert book.sheetnames[0] == SHEET
    rows = list(book[SHEET].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == COLUMNS["bordereau"][0])  # under the title block
    header = rows[start]
    assert list(header[:len(COLUMNS)]) == [written for written, _ in COLUMNS.values()]
    for key, (written, accepted) in COLUMNS.items():  # what `bordereau reject` looks for
        assert norm_label(written) in {norm_label(a) for a in accepted}, key
    end = rows.index((None,) * len(header), start)  # an empty row ends the table, the signature block follows
    body = [dict(zip(COLUMNS, r, strict=False)) for r in rows[start + 1:end]]
    assert [(r["ligne"], r["code"]) for r in body] == sorted(PLANTED.items())
    assert {r["bordereau"] for r in body} == {ERRORS}
    assert all(isinstance(r["montant"], float) and r["motif"] for r in body)
    masked = re.compile(r"[A-Z]+ [A-Z]\. \(\d \d\d \d\d \d\d \*\*\* \*\*\* \*\*\)")  # line 8's wrong NIR too
    assert all(masked.fullmatch(r["beneficiaire"]) for r in body)
    assert round(sum(Decimal(str(r["montant"])) for r in body), 2) == Decimal("802.83")


def test_report_json_and_statement_hold_no_full_nir(tmp_path: Path, export_root: Path):
    path = Path(shutil.copy(ROOT / "examples" / ERRORS, tmp_path / ERRORS))
    report, statement = tmp_path / "audit.html", tmp_path / "rejets.xlsx"
    folder = export_root / "595-lille-douai"
    result = invoke("audit", path, folder, "--cpam", "594", "--report", report, "--xlsx", statement, *TODAY)
    assert result.exit_code == 1
    as_json = invoke("audit", path, folder, "--cpam", "594", "--json", *TODAY)
    html = report.read_text(encoding="utf-8")
    cells = " ".join(str(v) for ws in openpyxl.load_workbook(statement) for r in ws.iter_rows(values_only=True)
                     for v in r)
    for text in (result.stdout, as_json.stdout, html, cells):
        assert not FULL_NIR.search(text)
    assert "*** *** **" in html and "*** *** **" in cells


def test_report_is_self_contained_and_explains(tmp_path: Path):
    path = Path(shutil.copy(ROOT / "examples" / ERRORS, tmp_path / ERRORS))
    report = tmp_path / "audit.html"
    assert invoke("audit", path, "--report", report, *TODAY).exit_code == 1
    html = report.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "PRICE_ABOVE_PUBLIC" in html and "Lignes rejetées" in html and "802,83" in html


def test_json_amounts_are_two_decimal_strings(tmp_path: Path):
    path = Path(shutil.copy(ROOT / "examples" / ERRORS, tmp_path / ERRORS))
    _, doc = audit_json(path)
    parts = ("claimed", "recomputed", "accepted", "rejected")
    amounts = [doc["total"][k] for k in parts] + [b[k] for b in doc["bordereaux"] + doc["centres"] for k in parts]
    amounts += [line[k] for line in doc["lines"] for k in parts if line[k] is not None]
    amounts += [r["montant"] for r in doc["rejections"]] + [e["amount"] for e in doc["total"]["explanations"]]
    assert amounts and all(isinstance(a, str) and AMOUNT.fullmatch(a) for a in amounts)
    assert {k: doc["total"][k] for k in ("lines", "rejected_lines", "observation_lines")} == {
        "lines": 52, "rejected_lines": 12, "observation_lines": 4}


# -- a history of earlier audits (the ledger's interface, in memory) ---------------------------------------------


def test_history_remembers_numbers_and_doses(lille: Path, tmp_path: Path):
    history = MemoryHistory()
    first = audit_files([lille], REF, DAY, "595", history)
    assert first.errors == 0 and len(history.doses) == first.total.lines
    assert all(len(d.beneficiary) == 64 and not FULL_NIR.search(d.where) for d in history.doses)
    same = audit_files([lille], REF, DAY, "595", history)  # the same file audited again: no resubmission
    assert same.errors == 0 and same.reaudited == {first.bordereaux[0].number}
    assert len(history.doses) == first.total.lines  # and nothing recorded twice
    edit_workbook(lille, lambda ws: ws.cell(2, 3, "renvoyé"))  # the same bordereau sent again, another file
    again = audit_files([lille], REF, DAY, "595", history)
    [b] = again.bordereaux
    assert [f.code for f in b.findings] == ["BORDEREAU_SEEN_BEFORE"] and "audité le 23/11/2026" in b.findings[0].message
    assert set(again.lines["code"]) == {"BORDEREAU_SEEN_BEFORE"}
    assert {c for codes in again.lines["codes"] for c in codes} == {"BORDEREAU_SEEN_BEFORE", "DUPLICATE_LINE"}


def test_history_finds_a_second_dose_too_early(lille: Path, tmp_path: Path):
    history = MemoryHistory()
    audit_files([lille], REF, DAY, "595", history)
    rows = openpyxl.load_workbook(lille).active.iter_rows(min_row=FIRST, values_only=True)
    line = next(r for r in rows if r[8] == "3400930056202" and r[6] == "droit commun")  # a first HPV dose
    centre = REF.centre_by_finess["590780102"]
    pupil = {"nom": line[1], "prenom": line[2], "nir": line[3], "date_naissance": line[4].date(),
             "code_regime": line[5], "coverage": "droit_commun"}
    second = dose_line(REF, centre, pupil, "3400930056202", line[9].date() + dt.timedelta(days=40), 2)
    later = write_bordereau(tmp_path / "suivant.xlsx", centre, dt.date(2026, 10, 1), dt.date(2026, 11, 20), [second])
    audit = audit_files([later], REF, DAY, "595", history)
    [f] = audit.findings
    assert f.code == "DOSE_INTERVAL_TOO_SHORT" and "40 jours" in f.message and lille.name[:-5] in f.message


def test_json_text_is_the_document(tmp_path: Path):
    """`--json` writes its lines straight from the columns: the same document as `audit_json(audit)`."""
    from bordereau.render.audit_json import audit_json, dumps

    path = Path(shutil.copy(ROOT / "examples" / ERRORS, tmp_path / ERRORS))
    for audit in (audit_files([path], REF, DAY), audit_files([ROOT / "examples"], REF, DAY, "595")):
        assert json.loads(dumps(audit)) == json.loads(json.dumps(audit_json(audit)))


def test_a_file_modified_after_the_export_is_flagged(export_root: Path, tmp_path: Path):
    folder = Path(shutil.copytree(export_root / "595-lille-douai", tmp_path / "595"))
    code, doc = audit_json(folder)
    assert code == 0 and doc["findings"] == []
    [bordereau] = folder.glob("HPV-*.xlsx")
    edit_workbook(bordereau, lambda ws: ws.cell(2, 3, "vu"))  # a harmless note, saved by another program
    code, doc = audit_json(folder)
    flagged = [f for f in doc["findings"] if f["code"] == "FILE_MODIFIED"]
    assert code == 0 and len(flagged) == 1 and flagged[0]["severity"] == "warning"
    assert "manifest.json" in flagged[0]["message"]


def test_two_centres_may_number_their_bordereaux_alike(tmp_path: Path):
    paths = []
    for finess in ("590780011", "590780037"):  # Cambrai and Valenciennes, both CPAM 599
        centre = REF.centre_by_finess[finess]
        rows = campaign_lines(REF, centre, 5, dt.date(2026, 10, 1), dt.date(2026, 10, 31), seed=int(finess[-2:]))
        path = write_bordereau(tmp_path / f"{finess}.xlsx", centre, dt.date(2026, 10, 1), dt.date(2026, 10, 31), rows)
        edit_workbook(path, lambda ws: (ws.cell(6, 1, "N° de bordereau"), ws.cell(6, 2, "2026-10")))
        paths.append(path)
    code, doc = audit_json(*paths, "--cpam", "599")
    assert code == 0, doc["findings"]
    assert [b["number"] for b in doc["bordereaux"]] == ["2026-10 (590780011)", "2026-10 (590780037)"]


def test_an_export_priced_with_other_reference_data_is_flagged(export_root: Path, tmp_path: Path):
    """The manifest records the reference data's SHA-256 and the rate sets' dates; an agent whose data differ gets
    REFERENCE_DIFFERS (a warning: the lines are judged all the same)."""
    folder = export_root / "595-lille-douai"
    used = manifest(folder)["reference"]
    assert used == {"sha256": REF.digest, "rate_sets": ["2023-09-01"]}
    assert audit_json(folder, "--cpam", "595")[1]["total"]["rejected_lines"] == 0
    ref = tmp_path / "ref"
    shutil.copytree(ROOT / "tarifs", ref / "tarifs")
    shutil.copy(ROOT / "centres.yaml", ref / "centres.yaml")
    with (ref / "tarifs" / "regimes.yaml").open("a", encoding="utf-8") as f:
        f.write("# modifié par la caisse\n")
    code, doc = audit_json(folder, "--cpam", "595", "--ref", ref)
    [found] = [f for f in doc["findings"] if f["code"] == "REFERENCE_DIFFERS"]
    assert found["severity"] == "warning" and found["path"] == str(folder / "manifest.json")
    assert used["sha256"][:12] in found["message"] and "barème(s) du 01/09/2023" in found["message"]
    assert code == 0 and doc["total"]["rejected_lines"] == 0
