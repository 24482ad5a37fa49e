"""The check engine, code by code: each test plants exactly one mistake in a clean workbook made by code and expects
exactly one finding, in the user's coordinates (sheet, Excel row, A1 cell, column key) with a French message that
names the fact. `test_every_code_has_a_case` keeps the list of cases in step with `bordereau.findings.CODES`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter
from conftest import (
    END,
    FIRST_ROW,
    GARDASIL,
    LILLE,
    NIMENRIX,
    START,
    cell,
    codes,
    edit_workbook,
    findings,
    pupil,
)
from stdnum import luhn
from stdnum.fr import nir as stdnum_nir

import bordereau
from bordereau.check.rules import RULES
from bordereau.findings import CODES
from bordereau.identifiers import nir_mask
from bordereau.reference.data import load_reference
from bordereau.samples import (
    FREE_COLUMNS,
    STANDARD_COLUMNS,
    campaign_lines,
    dose_line,
    free_layout,
    make_nir,
    plant_errors,
)

CONTRACT = Path(__file__).resolve().parents[2] / "shared" / "spec" / "CONTRACT.md"  # /work/shared beside the repo
PACKAGE = Path(bordereau.__file__).resolve().parent
# codes about a whole file or sheet (or its header block): emitted by check/run.py and check/sheets.py, not by a
# line rule
FILE_LEVEL = {"ROWS_AFTER_GAP", "CLAIMED_TOTAL_MISMATCH",
              "FILE_UNREADABLE", "HEADER_NOT_FOUND", "COLUMN_MISSING", "CENTRE_UNKNOWN", "FINESS_INVALID",
              "FINESS_MISMATCH", "FORMULA_NOT_CALCULATED"}
COVERED: set[str] = set()  # codes that a test below plants; filled by @covers at import
COVERED_ELSEWHERE = {"ALREADY_BILLED": "test_ledger.py",
                     "ROWS_AFTER_GAP": "test_layout.py",
                     "LINE_NUMBER_INVALID": "test_edge_cases.py"}  # codes that need a ledger or an audit, tested there
# made by audit/checks.py
AUDIT_LEVEL = {"CENTRE_NOT_ATTACHED", "REFERENCE_DIFFERS", "BORDEREAU_SEEN_BEFORE", "FILE_MODIFIED"}
COVERED_ELSEWHERE |= dict.fromkeys(AUDIT_LEVEL, "test_audit.py")


def covers(*planted: str):
    def mark(fn):
        COVERED.update(planted)
        return fn

    return mark


def only(result, code: str):
    """The single finding of a result, which must have that code."""
    assert codes(result) == [code], [(f.code, f.cell, f.message) for f in result.findings]
    return result.findings[0]


def excluded_rows(result) -> list[int]:
    return sorted(int(r) for r in result.lines.loc[result.lines["excluded"], "row"])


# -- the codes themselves ---------------------------------------------------------------------------------------


def contract_codes() -> list[str]:
    if not CONTRACT.exists():
        pytest.skip(f"{CONTRACT} absent (the spec lives beside the repository)")
    return [m.group(1) for line in CONTRACT.read_text(encoding="utf-8").splitlines()
            if (m := re.match(r"\| `([A-Z_]+)` \|", line))]


def test_contract_codes_are_known_and_emitted():
    documented = contract_codes()
    assert len(documented) == 28
    for code in documented:
        assert code in CODES, code
        assert code in RULES or code in FILE_LEVEL, f"{code}: no rule registered and not a file-level code"
    engine = "".join((PACKAGE / name).read_text(encoding="utf-8") for name in ("check/run.py", "check/sheets.py"))
    for code in FILE_LEVEL:
        assert f'"{code}"' in engine, f"{code} is emitted by neither check.py nor sheets.py"


def test_contract_severities_match_the_table():
    assert contract_codes()
    for line in CONTRACT.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"\| `([A-Z_]+)` \| (error|warning) \|", line):
            assert str(CODES[m.group(1)][0]) == m.group(2), m.group(1)


def test_every_registered_rule_emits_known_codes():
    assert set(RULES) <= set(CODES)
    assert set(CODES) <= set(RULES) | FILE_LEVEL | AUDIT_LEVEL


def test_every_code_has_a_case():
    elsewhere = {code for code, test_file in COVERED_ELSEWHERE.items()
                 if f'"{code}"' in (Path(__file__).parent / test_file).read_text(encoding="utf-8")}
    assert set(CODES) - COVERED - elsewhere == set()


# -- a clean workbook -------------------------------------------------------------------------------------------


def test_clean_workbook_has_no_finding(book, check, lines):
    result = check(book(lines))
    assert result.findings == []
    assert len(result.lines) == 4
    assert not result.lines["excluded"].any()
    (summary,) = result.files
    assert (summary.sheet, summary.centre, summary.finess_geographique, summary.cpam) == (
        "Bordereau", "SPS de Lille", LILLE, "595")
    assert (summary.lines, summary.errors, summary.warnings) == (4, 0, 0)


def test_campaign_sample_is_clean(ref, centre, book, check):
    result = check(book(campaign_lines(ref, centre, 60, START, END, seed=5)))
    assert result.findings == []
    assert len(result.lines) == 60


def test_clean_lines_are_split_by_the_rules(book, check, lines):
    result = check(book(lines)).lines
    assert result["amo"].tolist() == [6403, 6403, 2616, 0]  # 65 % of 98,50 and 40,24; nothing without rights
    assert result["total"].tolist() == [6403, 9850, 4024, 0]  # C2S: 100 %
    assert result["fir"].tolist() == [3447, 0, 0, 9850]


# -- one mistake per line ---------------------------------------------------------------------------------------

# code, severity, index of the changed line, column key, words the message must hold, change(lines, ref, centre)
LINE_CASES = [
    ("REQUIRED_MISSING", "error", 1, "nom", ["Nom : cellule vide"],
     lambda ls, ref, c: ls[1].update(nom=None)),
    ("REQUIRED_MISSING", "error", 0, "nir", ["NIR : cellule vide"],
     lambda ls, ref, c: ls[0].update(nir=None)),
    ("REQUIRED_MISSING", "error", 0, "code_regime", ["Code régime : cellule vide"],
     lambda ls, ref, c: ls[0].update(code_regime=None)),
    ("REQUIRED_MISSING", "error", 1, "date_administration", ["Date d'administration : cellule vide"],
     lambda ls, ref, c: ls[1].update(date_administration=None)),
    ("REQUIRED_MISSING", "error", 3, "prix_unitaire", ["Prix unitaire TTC : cellule vide"],
     lambda ls, ref, c: ls[3].update(prix_unitaire=None)),
    ("NIR_INVALID", "error", 1, "nir", ["clé du NIR incorrecte", "attendue {key}", "1 13 11 59 *** *** **"],
     lambda ls, ref, c: ls[1].update(nir=ls[1]["nir"][:13] + f"{(int(ls[1]['nir'][13:]) + 1) % 100:02d}")),
    ("NIR_INVALID", "error", 1, "nir", ["14 caractères au lieu de 15"],
     lambda ls, ref, c: ls[1].update(nir=ls[1]["nir"][:14])),
    ("NIR_BIRTHDATE_MISMATCH", "warning", 1, "nir", ["05/82", "02/11/2013", "parent"],
     lambda ls, ref, c: ls[1].update(nir=make_nir(random.Random(7), 1, dt.date(1982, 5, 14)))),
    ("DATE_INVALID", "error", 1, "date_naissance", ["Date de naissance", "« 31/02/2013 »", "JJ/MM/AAAA"],
     lambda ls, ref, c: ls[1].update(date_naissance="31/02/2013")),
    ("DATE_INVALID", "error", 0, "date_administration", ["Date d'administration", "« le 5 octobre »"],
     lambda ls, ref, c: ls[0].update(date_administration="le 5 octobre")),
    ("DATE_BEFORE_BIRTH", "error", 1, "date_administration", ["05/10/2026", "20/10/2026"],
     lambda ls, ref, c: ls[1].update(date_naissance=dt.date(2026, 10, 20),
                                     nir=make_nir(random.Random(1), 1, dt.date(2026, 10, 20)))),
    ("DATE_OUTSIDE_PERIOD", "error", 1, "date_administration", ["28/09/2026", "01/10/2026 au 31/10/2026"],
     lambda ls, ref, c: ls[1].update(date_administration=dt.date(2026, 9, 28))),
    ("AGE_OUT_OF_RANGE", "warning", 1, "date_naissance", ["16 ans", "11 à 14 ans"],
     lambda ls, ref, c: ls[1].update(date_naissance=dt.date(2010, 5, 4),
                                     nir=make_nir(random.Random(1), 1, dt.date(2010, 5, 4)))),
    ("AGE_OUT_OF_RANGE", "warning", 0, "date_naissance", ["10 ans"],
     lambda ls, ref, c: ls[0].update(date_naissance=dt.date(2016, 1, 4),
                                     nir=make_nir(random.Random(1), 2, dt.date(2016, 1, 4)))),
    ("REGIME_UNKNOWN", "error", 1, "code_regime", ["« 88 »"],
     lambda ls, ref, c: ls[1].update(code_regime="88")),
    ("COVERAGE_UNKNOWN", "error", 1, "prise_en_charge", ["« Mutuelle »", "C2S"],
     lambda ls, ref, c: ls[1].update(prise_en_charge="Mutuelle")),
    ("VACCINE_CODE_INVALID", "error", 1, "code_vaccin", ["« 3400930056203 »", "clé EAN-13 incorrecte"],
     lambda ls, ref, c: ls[1].update(code_vaccin="3400930056203")),
    ("VACCINE_CODE_INVALID", "error", 1, "code_vaccin", ["« 30056 »", "5 chiffres au lieu de 7 ou 13"],
     lambda ls, ref, c: ls[1].update(code_vaccin="30056")),
    ("VACCINE_UNKNOWN", "error", 1, "code_vaccin", ["« 3400930000014 »", "vaccin inconnu des tarifs"],
     lambda ls, ref, c: ls[1].update(code_vaccin="3400930000014")),
    ("VACCINE_NAME_MISMATCH", "warning", 1, "vaccin", ["« Cervarix »", "3400930056202", "GARDASIL 9"],
     lambda ls, ref, c: ls[1].update(vaccin="Cervarix")),
    ("PRICE_INVALID", "error", 1, "prix_unitaire", ["Prix unitaire TTC", "« 98,505 € »", "deux décimales"],
     lambda ls, ref, c: ls[1].update(prix_unitaire="98,505 €")),
    ("PRICE_INVALID", "error", 0, "montant_amo", ["Montant AMO", "« beaucoup »"],
     lambda ls, ref, c: ls[0].update(montant_amo="beaucoup")),
    ("PRICE_ABOVE_PUBLIC", "error", 1, "prix_unitaire", ["120,00 EUR", "05/10/2026", "116,86 EUR"],
     lambda ls, ref, c: ls[1].update(prix_unitaire=Decimal("120.00"))),
    ("PRICE_MISMATCH", "error", 1, "prix_unitaire", ["100,00 EUR", "98,50 EUR"],
     lambda ls, ref, c: ls[1].update(prix_unitaire=Decimal("100.00"))),
    ("AMOUNT_MISMATCH", "error", 1, "montant_amo", ["Montant AMO 64,04 EUR au lieu de 64,03 EUR"],
     lambda ls, ref, c: ls[1].update(montant_amo=ls[1]["montant_amo"] + Decimal("0.01"))),
    ("AMOUNT_MISMATCH", "error", 1, "montant_total", ["Montant total 64,03 EUR au lieu de 98,50 EUR"],
     lambda ls, ref, c: ls[1].update(montant_total=Decimal("64.03"))),
    ("DUPLICATE_LINE", "error", 2, "date_administration", ["la ligne 9 de", "(Bordereau)"],
     lambda ls, ref, c: ls.insert(2, dict(ls[1]))),
    ("DUPLICATE_LINE", "error", 4, "date_administration", ["la ligne 11 de"],  # same pupil without NIR: by name
     lambda ls, ref, c: ls.append({**ls[3], "nom": " eleveC ", "prenom": "JULES"})),
    ("DOSE_INTERVAL_TOO_SHORT", "warning", 4, "date_administration",
     ["25/10/2026", "20 jours après celle du 05/10/2026", "la ligne 8 de", "5 mois"],
     lambda ls, ref, c: ls.append({**ls[0], "date_administration": dt.date(2026, 10, 25), "dose": 2})),
]


@pytest.mark.parametrize(("code", "severity", "index", "column", "words", "change"), LINE_CASES,
                         ids=[f"{case[0]}-{case[3]}" for case in LINE_CASES])
def test_one_mistake_one_finding(ref, centre, book, check, lines, code, severity, index, column, words, change):
    expected_key = lines[1]["nir"][13:]
    change(lines, ref, centre)
    path = book(lines)
    found = only(check(path), code)
    row = FIRST_ROW + index
    assert (found.path, found.sheet, found.row, found.cell, found.column) == (
        str(path), "Bordereau", row, cell(column, row), column)
    assert (found.code, found.severity) == (code, severity)
    for word in words:
        assert word.format(key=expected_key) in found.message
    result = check(path)
    assert excluded_rows(result) == ([row] if severity == "error" else [])


COVERED.update(case[0] for case in LINE_CASES)


@covers("DATE_IN_FUTURE")
def test_date_in_future(book, check, lines):
    lines[1]["date_administration"] = dt.date(2026, 11, 30)  # the period runs to the end of the year: only the future
    found = only(check(book(lines, end=dt.date(2026, 12, 31))), "DATE_IN_FUTURE")
    assert (found.row, found.cell, found.column, found.severity) == (9, "I9", "date_administration", "error")
    assert "30/11/2026" in found.message and "23/11/2026" in found.message


def test_today_itself_is_not_the_future(book, check, lines):
    lines[1]["date_administration"] = dt.date(2026, 11, 23)
    assert check(book(lines, end=dt.date(2026, 12, 31))).findings == []


def test_no_rights_line_needs_no_nir_nor_regime(book, check, lines):
    assert lines[3]["nir"] is None and lines[3]["code_regime"] is None and lines[3]["prise_en_charge"] == "sans droits"
    assert check(book(lines)).findings == []


def test_every_mistake_of_a_line_is_reported(book, check, lines):
    lines[1].update(nom=None, code_regime="88", prise_en_charge="Mutuelle", vaccin="Cervarix")
    result = check(book(lines))
    assert [(f.cell, f.code) for f in result.findings] == [
        ("A9", "REQUIRED_MISSING"), ("E9", "REGIME_UNKNOWN"), ("F9", "COVERAGE_UNKNOWN"),
        ("G9", "VACCINE_NAME_MISMATCH")]
    assert result.files[0].errors == 3 and result.files[0].warnings == 1


# -- rates and prices -------------------------------------------------------------------------------------------


@covers("RATE_UNDEFINED")
def test_no_rate_set_before_the_first_one(ref, centre, book, check):
    line = dose_line(ref, centre, pupil(0, dt.date(2011, 2, 3)), GARDASIL, dt.date(2023, 9, 20), 1)
    line["date_administration"] = dt.date(2023, 8, 20)  # the convention's rates apply from 2023-09-01
    result = check(book([line], start=dt.date(2023, 8, 1), end=dt.date(2023, 8, 31)))
    found = only(result, "RATE_UNDEFINED")
    assert (found.row, found.cell, found.column, found.severity) == (8, "I8", "date_administration", "error")
    assert "Aucun barème de taux en vigueur le 20/08/2023" in found.message
    assert "tarifs/taux.yaml" in found.message
    assert excluded_rows(result) == [8]


@covers("PRICE_PUBLIC_ASSUMED")
def test_public_price_before_the_first_observation(ref, centre, book, check):
    """REPEVAX 3400936873742 is in the BDPM from 2023-11 only: a dose of October 2023 is billed at the nearest
    observation, with a warning naming it, not refused."""
    repevax = "3400936873742"
    line = dose_line(ref, centre, pupil(0, dt.date(2011, 2, 3)), repevax, dt.date(2023, 10, 16), 1)
    assert line["prix_unitaire"] == Decimal("22.71") and line["montant_amo"] == Decimal("14.76")
    result = check(book([line], start=dt.date(2023, 10, 1), end=dt.date(2023, 10, 31)))
    found = only(result, "PRICE_PUBLIC_ASSUMED")
    assert (found.row, found.cell, found.column, found.severity) == (8, "K8", "prix_unitaire", "warning")
    assert "REPEVAX" in found.message and "16/10/2023" in found.message and "22,71 EUR au 01/11/2023" in found.message
    assert "BDPM 2023-11" in found.message
    assert excluded_rows(result) == [] and result.errors == 0


@covers("PRICE_CAPPED")
def test_negotiated_price_above_the_public_price_is_capped(ref_copy, centre, book, check):
    """A negotiated price of 120,00 for Gardasil 9 (public 116,86): billed at 116,86 with a warning."""
    negotiated = ref_copy / "tarifs" / "prix_negocies.yaml"
    negotiated.write_text(negotiated.read_text(encoding="utf-8").replace('"98.50"', '"120.00"'), encoding="utf-8")
    ref120 = load_reference(ref_copy)
    line = dose_line(ref120, centre, pupil(0), GARDASIL, dt.date(2026, 10, 5), 1)
    assert line["prix_unitaire"] == Decimal("120.00") and line["montant_amo"] == Decimal("75.96")  # 65 % of 116,86
    result = check(book([line]), ref=ref120)
    found = only(result, "PRICE_CAPPED")
    assert (found.cell, found.severity) == ("K8", "warning")
    assert "120,00 EUR" in found.message and "116,86 EUR" in found.message and "05/10/2026" in found.message
    assert result.lines[["amo", "total", "fir"]].iloc[0].tolist() == [7596, 7596, 4090]
    # the centre that already billed the public price is right; any other price is still an error
    line.update(prix_unitaire=Decimal("116.86"))
    assert check(book([line], name="public.xlsx"), ref=ref120).findings == []
    line.update(prix_unitaire=Decimal("118.00"))
    assert codes(check(book([line], name="other.xlsx"), ref=ref120)) == ["PRICE_ABOVE_PUBLIC"]


@covers("CLAIMED_TOTAL_MISMATCH")
def test_a_totals_row_that_is_not_the_sum_of_its_lines(book, check, lines):
    path = book(lines)

    def change_total(ws):
        row = next(r for r in range(FIRST_ROW, ws.max_row + 1) if ws.cell(r, 1).value == "TOTAL")
        column = next(c for c in range(1, ws.max_column + 1) if ws.cell(7, c).value == "Montant total à rembourser")
        ws.cell(row, column, 9999.99)

    edit_workbook(path, change_total)
    result = check(path)
    found = only(result, "CLAIMED_TOTAL_MISMATCH")
    assert (found.row, found.column, found.severity) == (12, "montant_total", "error")
    assert "999,99 EUR déclarés, 202,77 EUR pour la somme des 4 lignes" in found.message
    assert excluded_rows(result) == [] and result.errors == 1  # the lines are fine; the signed total is not


def test_public_price_in_force_on_the_day(ref, centre, book, check):
    """NIMENRIX went from 42,25 to 40,24 on 2026-05-01: a dose of April may be billed 42,25, one of May may not."""
    april = dose_line(ref, centre, pupil(0), NIMENRIX, dt.date(2026, 4, 28), 1)
    may = dose_line(ref, centre, pupil(1), NIMENRIX, dt.date(2026, 5, 4), 1)
    assert april["prix_unitaire"] == Decimal("42.25")
    may.update(prix_unitaire=Decimal("42.25"), montant_amo=Decimal("27.46"), montant_total=Decimal("27.46"))
    found = only(check(book([april, may], start=dt.date(2026, 4, 1), end=dt.date(2026, 5, 31))), "PRICE_ABOVE_PUBLIC")
    assert found.cell == "K9" and "42,25 EUR" in found.message and "(40,24 EUR)" in found.message


def test_wrong_price_does_not_also_report_its_amounts(book, check, lines):
    lines[0].update(prix_unitaire=Decimal("100.00"), montant_amo=Decimal("65.00"), montant_total=Decimal("65.00"))
    assert codes(check(book(lines))) == ["PRICE_MISMATCH"]


# -- the header block and the columns ---------------------------------------------------------------------------


@covers("CENTRE_UNKNOWN")
def test_centre_unknown_excludes_the_whole_sheet(centre, book, check, lines):
    other = dataclasses.replace(centre, finess_geographique="750712184")  # a valid FINESS, not one of centres.yaml
    result = check(book(lines, centre=other))
    found = only(result, "CENTRE_UNKNOWN")
    assert (found.sheet, found.row, found.cell, found.column, found.severity) == (
        "Bordereau", 4, "B4", "finess_geographique", "error")
    assert "750712184" in found.message and "centres.yaml" in found.message
    assert result.lines["excluded"].all() and len(result.lines) == 4
    assert result.files[0].errors == 1


@covers("FINESS_INVALID")
@pytest.mark.parametrize(("key", "value", "row", "reason"), [
    ("finess_geographique", "590780103", 4, "clé de contrôle incorrecte"),
    ("finess_juridique", "590000015", 3, "clé de contrôle incorrecte"),
    ("finess_geographique", "5907801020", 4, "10 caractères au lieu de 9"),
    ("finess_juridique", "59A000014", 3, "format incorrect"),
])
def test_finess_invalid_in_header_block(centre, book, check, lines, key, value, row, reason):
    result = check(book(lines, centre=dataclasses.replace(centre, **{key: value})))
    found = only(result, "FINESS_INVALID")
    assert (found.row, found.cell, found.column, found.severity) == (row, f"B{row}", key, "error")
    assert f"« {value} »" in found.message and reason in found.message
    assert ("géographique" if key == "finess_geographique" else "juridique") in found.message
    assert result.lines["excluded"].all()


@covers("FINESS_MISMATCH")
def test_finess_juridique_of_another_entity(centre, book, check, lines):
    result = check(book(lines, centre=dataclasses.replace(centre, finess_juridique="750712184")))
    found = only(result, "FINESS_MISMATCH")
    assert (found.row, found.cell, found.column, found.severity) == (3, "B3", "finess_juridique", "error")
    assert "« 750712184 »" in found.message and "SPS de Lille" in found.message and "590000014" in found.message
    assert result.lines["excluded"].all()


@covers("DATE_INVALID")
def test_unreadable_period_in_header_block(book, check, lines, tmp_path):
    path = edit_workbook(book(lines), lambda ws: ws.__setitem__("D5", "fin octobre"))
    found = only(check(path), "DATE_INVALID")
    assert (found.row, found.cell, found.column) == (5, "D5", "periode_fin")
    assert "« fin octobre »" in found.message


@covers("COLUMN_MISSING")
def test_required_column_missing(book, check, lines):
    columns = [c for c in STANDARD_COLUMNS if c[1] != "vaccin"]
    result = check(book(lines, columns=columns))
    found = only(result, "COLUMN_MISSING")
    assert (found.sheet, found.row, found.cell, found.column, found.severity) == (
        "Bordereau", None, None, "vaccin", "error")
    assert "« Vaccin »" in found.message
    assert result.lines.empty  # no line of that table can be billed
    assert result.files[0].errors == 1


@covers("COLUMN_MISSING")
def test_finess_neither_in_block_nor_in_columns(book, check, lines):
    result = check(book(lines, header_block=False))
    assert codes(result) == ["COLUMN_MISSING", "COLUMN_MISSING"]
    assert {f.column for f in result.findings} == {"finess_juridique", "finess_geographique"}
    assert all(f.row is None and f.cell is None for f in result.findings)  # about the sheet: CONTRACT.md
    assert len(result.lines) == 4 and result.lines["excluded"].all()


def test_optional_columns_may_be_absent(book, check, lines):
    columns = [c for c in STANDARD_COLUMNS if c[1] not in ("dose", "montant_amo", "montant_total")]
    assert check(book(lines, columns=columns)).findings == []


@covers("HEADER_NOT_FOUND")
def test_no_table_header(tmp_path, check):
    path = tmp_path / "notes.xlsx"
    with xlsxwriter.Workbook(str(path)) as wb:
        ws = wb.add_worksheet("Notes")
        ws.write(0, 0, "Bordereau à remplir")
        ws.write(5, 1, "Nom")
        ws.write(5, 2, "Prénom")
    result = check(path)
    found = only(result, "HEADER_NOT_FOUND")
    assert (found.path, found.sheet, found.row, found.cell, found.column, found.severity) == (
        str(path), None, None, None, None, "error")
    assert "40 premières lignes" in found.message and "Notes" in found.message
    assert result.files[0].errors == 1


def test_empty_bordereau(book, check):
    result = check(book([]))
    assert result.findings == [] and result.lines.empty
    assert (result.files[0].lines, result.files[0].centre) == (0, "SPS de Lille")


@covers("CENTRE_UNKNOWN")
def test_header_block_of_a_table_without_lines_is_checked_with_other_files(centre, book, check, lines):
    empty = book([], name="vide.xlsx", centre=dataclasses.replace(centre, finess_geographique="750712184"))
    found = only(check(empty, book(lines)), "CENTRE_UNKNOWN")
    assert (found.path, found.cell) == (str(empty), "B4")


def test_header_block_of_an_unread_table_is_checked_too(centre, book, check, lines):
    columns = [c for c in STANDARD_COLUMNS if c[1] != "prix_unitaire"]
    unread = book(lines, name="incomplet.xlsx", columns=columns,
                  centre=dataclasses.replace(centre, finess_juridique="750712184"))
    result = check(unread, book(lines[:1]))
    assert [(f.path, f.code, f.cell) for f in result.findings] == [
        (str(unread), "COLUMN_MISSING", None), (str(unread), "FINESS_MISMATCH", "B3")]


def test_same_file_named_twice_is_read_once(book, check, lines):
    path = book(lines)
    result = check(path, path.parent, path)
    assert result.findings == []  # not a duplicate of itself
    assert len(result.lines) == 4 and [s.path for s in result.files] == [str(path)]


# -- files that cannot be read ----------------------------------------------------------------------------------


def _zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 2**20))


def _truncated(path: Path, book, lines) -> None:
    data = book(lines, name="whole.xlsx").read_bytes()
    path.write_bytes(data[: len(data) // 2])


UNREADABLE = {
    "text": (lambda p, book, lines: p.write_text("Nom;Prénom;NIR\nDUPONT;Jean;1\n", encoding="utf-8"),
             "pas un classeur Excel"),
    "empty": (lambda p, book, lines: p.write_bytes(b""), "fichier vide"),
    "truncated": (_truncated, "archive corrompue"),
    "encrypted": (lambda p, book, lines: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096),
                  "mot de passe"),
    "zip-bomb": (lambda p, book, lines: _zip_bomb(p), "bombe de décompression"),
}


@covers("FILE_UNREADABLE")
@pytest.mark.parametrize("case", list(UNREADABLE))
def test_unreadable_file_and_the_others_still_checked(tmp_path, book, check, lines, case):
    make, reason = UNREADABLE[case]
    bad = tmp_path / f"{case}.xlsx"
    make(bad, book, lines)
    good = book(lines, name="good.xlsx")
    result = check(bad, good)
    found = only(result, "FILE_UNREADABLE")
    assert (found.path, found.sheet, found.row, found.cell, found.column, found.severity) == (
        str(bad), None, None, None, None, "error")
    assert found.message.startswith("Fichier illisible : ") and reason in found.message
    assert [s.path for s in result.files] == [str(bad), str(good)]
    assert (result.files[0].lines, result.files[0].errors) == (0, 1)
    assert (result.files[1].lines, result.files[1].errors, result.files[1].centre) == (4, 0, "SPS de Lille")
    assert len(result.lines) == 4 and not result.lines["excluded"].any()


@covers("REQUIRED_MISSING", "FORMULA_NOT_CALCULATED")
def test_formula_never_calculated(book, check, lines):
    """openpyxl writes a formula without a cached value, as a workbook generated by a program and never opened."""
    path = edit_workbook(book(lines), lambda ws: ws.__setitem__("K9", "=98.5*1"))
    result = check(path)
    assert codes(result) == ["FORMULA_NOT_CALCULATED", "REQUIRED_MISSING"]
    (missing,) = findings(result, "REQUIRED_MISSING")
    assert (missing.row, missing.cell, missing.column, missing.severity) == (9, "K9", "prix_unitaire", "error")
    assert "Prix unitaire TTC : cellule vide" in missing.message and "formule" in missing.message
    (hint,) = findings(result, "FORMULA_NOT_CALCULATED")
    assert (hint.sheet, hint.row, hint.cell, hint.column, hint.severity) == ("Bordereau", None, None, None, "warning")
    assert "1 formule(s)" in hint.message and "F9" in hint.message
    assert excluded_rows(result) == [9]  # the warning about the sheet excludes nothing more


def test_empty_cell_without_formula_has_no_hint(book, check, lines):
    lines[1]["prix_unitaire"] = None
    result = check(book(lines))
    assert codes(result) == ["REQUIRED_MISSING"]
    assert "formule" not in result.findings[0].message


# -- layouts centres really produce -----------------------------------------------------------------------------


def test_free_layout(book, check, lines):
    """Labels without accents, with line breaks and stars, shuffled, an unknown column, text dates and prices, NIR
    with spaces, no amount columns."""
    written = free_layout(lines, random.Random(1))
    assert written[0]["date_naissance"] == "12/03/2014" and written[0]["prix_unitaire"] == "98,50 €"
    assert " " in written[0]["nir"]
    result = check(book(written, columns=FREE_COLUMNS, sheet="Vaccinations", totals=False))
    assert result.findings == []
    frame = result.lines
    assert frame["nir"].tolist()[:3] == [lines[0]["nir"], lines[1]["nir"], lines[2]["nir"]]
    assert frame["prix_unitaire"].tolist() == [9850, 9850, 4024, 9850]
    assert frame["date_administration"].dt.strftime("%d/%m/%Y").tolist()[0] == "05/10/2026"
    assert "college" not in frame


def test_free_layout_reports_in_its_own_coordinates(book, check, lines):
    lines[1]["code_regime"] = "88"
    written = free_layout(lines, random.Random(1))
    found = only(check(book(written, columns=FREE_COLUMNS, sheet="Vaccinations", totals=False)), "REGIME_UNKNOWN")
    assert (found.sheet, found.row, found.cell) == ("Vaccinations", 9, "F9")  # « Régime » is the 6th column


def test_labels_matched_loosely(book, check, lines):
    labels = {"nom": "NOM *", "prenom": "prenom", "nir": "N°\nINSEE", "date_naissance": "DATE DE NAISSANCE*",
              "code_regime": "Regime", "prise_en_charge": "Nature d'assurance / exonération",
              "code_vaccin": "Code CIP", "date_administration": "Date d'injection",
              "prix_unitaire": "Prix unitaire TTC (€)", "montant_amo": "Part obligatoire",
              "montant_total": "Total AMO + AMC"}
    columns = [(labels.get(key, label), key) for label, key in STANDARD_COLUMNS]
    assert check(book(lines, columns=columns)).findings == []


def test_columns_in_any_order_and_unknown_columns_kept_out(book, check, lines):
    columns = [*reversed(STANDARD_COLUMNS), ("Observations", "remarque")]
    for line in lines:
        line["remarque"] = "RAS"
    lines[1]["code_regime"] = "88"
    result = check(book(lines, columns=columns, totals=False))  # write_bordereau's « TOTAL » label needs column A
    found = only(result, "REGIME_UNKNOWN")
    assert found.cell == "I9"  # code régime is the 9th of 13 reversed columns


def test_codes_typed_the_ways_centres_type_them(book, check, lines):
    lines[0].update(code_regime=1, prise_en_charge="Assuré", code_vaccin=int(GARDASIL))  # numbers, an alias
    lines[1].update(code_regime="01 - Régime général", prise_en_charge="CMU-C")
    lines[2].update(code_vaccin="2225393", prise_en_charge="Complémentaire santé solidaire")  # NIMENRIX's CIP7
    lines[3].update(prise_en_charge="Non assuré")
    result = check(book(lines))
    assert result.findings == []
    frame = result.lines
    assert frame["code_regime"].tolist()[:2] == ["01", "01"]
    assert frame["prise_en_charge"].tolist() == ["droit_commun", "c2s", "c2s", "sans_droits"]
    assert frame["cip13"].tolist() == [GARDASIL, GARDASIL, NIMENRIX, GARDASIL]


def test_corsican_nir(book, check, lines):
    body = "21403" + "2A" + "123456"
    lines[0]["nir"] = body + stdnum_nir.calc_check_digits(body)
    assert check(book(lines)).findings == []


def test_two_bordereaux_in_one_workbook(book, check, lines):
    """Each sheet is read on its own; the same doses typed on both are duplicates, reported on the second sheet."""
    path = edit_workbook(book(lines), lambda ws: ws.parent.copy_worksheet(ws).__setattr__("title", "Copie"))
    result = check(path)
    assert [(f.sheet, f.cell, f.code) for f in result.findings] == [
        ("Copie", f"I{row}", "DUPLICATE_LINE") for row in range(8, 12)]
    assert [(s.sheet, s.lines, s.errors) for s in result.files] == [("Bordereau", 4, 0), ("Copie", 4, 4)]


@covers("FORMULA_NOT_CALCULATED")
def test_formula_in_a_macro_workbook_with_a_quoted_sheet_name(book, check, lines):
    path = book(lines, name="octobre.xlsm", sheet="Semaine d'octobre")
    edit_workbook(path, lambda ws: ws.__setitem__("L8", "=K8*0.65"))
    result = check(path)
    assert [(f.code, f.sheet, f.cell) for f in result.findings] == [
        ("FORMULA_NOT_CALCULATED", "Semaine d'octobre", None)]  # the AMO column is optional: a hint only


def test_nir_as_a_number_and_with_spaces(book, check, lines):
    nir0, nir1 = lines[0]["nir"], lines[1]["nir"]
    lines[0]["nir"] = int(nir0)
    lines[1]["nir"] = f"{nir1[0]} {nir1[1:3]} {nir1[3:5]} {nir1[5:7]} {nir1[7:10]} {nir1[10:13]} {nir1[13:]}"
    result = check(book(lines))
    assert result.findings == []
    assert result.lines["nir"].tolist()[:2] == [nir0, nir1]


def test_totals_row_and_trailing_empty_rows_are_not_doses(book, check, lines):
    def blank_rows(ws):
        for row in range(14, 20):
            ws.cell(row, 1).number_format = "dd/mm/yyyy"  # formatted but empty
            ws.cell(row, 2).value = "   "
        ws.cell(30, 5).value = "Visa du responsable"  # after the empty rows: not a line either

    path = edit_workbook(book(lines), blank_rows)  # the totals row is row 12
    result = check(path)
    assert result.findings == []
    assert result.lines["row"].tolist() == [8, 9, 10, 11]
    assert result.files[0].lines == 4


def test_header_row_further_down(book, check, lines):
    lines[1]["code_regime"] = "88"
    path = edit_workbook(book(lines), lambda ws: ws.insert_rows(1, 12))  # headers on row 19, lines from row 20
    found = only(check(path), "REGIME_UNKNOWN")
    assert (found.row, found.cell) == (21, "E21")


def test_header_row_beyond_40_rows_is_not_found(book, check, lines):
    path = edit_workbook(book(lines), lambda ws: ws.insert_rows(1, 40))
    assert codes(check(path)) == ["HEADER_NOT_FOUND"]


FINESS_COLUMNS = [*STANDARD_COLUMNS, ("FINESS juridique", "finess_juridique"),
                  ("FINESS géographique", "finess_geographique")]


def test_finess_as_columns(centre, book, check, lines):
    for line in lines:
        line.update(finess_juridique=centre.finess_juridique, finess_geographique=centre.finess_geographique)
    result = check(book(lines, columns=FINESS_COLUMNS, header_block=False))  # headers on row 2, no period
    assert result.findings == []
    assert (result.files[0].centre, result.files[0].cpam, result.files[0].finess_geographique) == (
        "SPS de Lille", "595", LILLE)
    assert result.lines["row"].tolist() == [3, 4, 5, 6]


@covers("CENTRE_UNKNOWN", "FINESS_INVALID")
def test_finess_columns_checked_on_each_line(centre, book, check, lines):
    for line in lines:
        line.update(finess_juridique=centre.finess_juridique, finess_geographique=centre.finess_geographique)
    lines[1]["finess_geographique"] = "750712184"
    lines[2]["finess_juridique"] = "590000015"
    result = check(book(lines, columns=FINESS_COLUMNS, header_block=False))
    assert [(f.code, f.row, f.cell, f.column) for f in result.findings] == [
        ("CENTRE_UNKNOWN", 4, "O4", "finess_geographique"), ("FINESS_INVALID", 5, "N5", "finess_juridique")]
    assert excluded_rows(result) == [4, 5]


def _add_departements(folder: Path) -> None:
    """An Ain centre (FINESS starting with 0) and a Corsican one, with their CPAM, in a custom reference folder."""
    ain = "01078001" + luhn.calc_check_digit("01078001")
    corse = "2A078001" + luhn.calc_check_digit("21078001")
    text = (folder / "centres.yaml").read_text(encoding="utf-8")
    text = text.replace("departements:\n", "departements:\n"
                        '  - {code: "01", nom: Ain, finess_juridique: {numero: "010000024"}}\n'
                        '  - {code: "2A", nom: Corse-du-Sud, finess_juridique: {numero: "2A0000170"}}\n', 1)
    text = text.replace("cpam:\n", "cpam:\n"
                        '  - {code: "011", nom: CPAM de l\'Ain, nom_court: ain, email: cpam@ain.example}\n'
                        '  - {code: "2A1", nom: CPAM de Corse-du-Sud, nom_court: corse, email: cpam@corse.example}\n',
                        1)
    text += (f'  - {{nom: SPS de Bourg, ville: Bourg-en-Bresse, departement: "01", cpam: "011", '
             f'finess_geographique: {{numero: "{ain}"}}}}\n'
             f'  - {{nom: SPS d\'Ajaccio, ville: Ajaccio, departement: "2A", cpam: "2A1", '
             f'finess_geographique: {{numero: "{corse}"}}}}\n')
    (folder / "centres.yaml").write_text(text, encoding="utf-8")


def test_finess_that_lost_its_leading_zero(ref_copy, book, check):
    _add_departements(ref_copy)
    ref = load_reference(ref_copy)
    bourg = next(c for c in ref.centres if c.departement == "01")
    line = dose_line(ref, bourg, pupil(0), GARDASIL, dt.date(2026, 10, 5), 1)
    assert line["prix_unitaire"] == Decimal("116.86")  # no negotiated price in the Ain: the public price

    def as_numbers(ws):  # what Excel keeps of « 010000024 » typed in a number cell
        ws["B3"], ws["B4"] = 10000024, int(bourg.finess_geographique)

    result = check(edit_workbook(book([line], centre=bourg), as_numbers), ref=ref)
    assert result.findings == []
    assert (result.files[0].finess_geographique, result.files[0].cpam, result.files[0].centre) == (
        bourg.finess_geographique, "011", "SPS de Bourg")
    assert bourg.finess_geographique.startswith("0") and len(bourg.finess_geographique) == 9


def test_corsican_finess(ref_copy, book, check):
    _add_departements(ref_copy)
    ref = load_reference(ref_copy)
    ajaccio = next(c for c in ref.centres if c.departement == "2A")
    line = dose_line(ref, ajaccio, pupil(0), GARDASIL, dt.date(2026, 10, 5), 1)
    result = check(book([line], centre=ajaccio), ref=ref)
    assert result.findings == []
    assert result.files[0].cpam == "2A1"


# -- across lines and files -------------------------------------------------------------------------------------


@covers("DUPLICATE_LINE")
def test_duplicate_across_two_files(book, check, lines):
    first = book(lines, name="semaine-1.xlsx")
    second = book([dict(lines[1])], name="semaine-2.xlsx")
    result = check(first, second)
    found = only(result, "DUPLICATE_LINE")
    assert (found.path, found.row, found.cell, found.column) == (str(second), 8, "I8", "date_administration")
    assert f"la ligne 9 de {first} (Bordereau)" in found.message
    assert [s.errors for s in result.files] == [0, 1]


def test_same_pupil_same_day_other_vaccine_is_no_duplicate(book, check, lines):
    assert lines[1]["nir"] == lines[2]["nir"] and lines[1]["code_vaccin"] != lines[2]["code_vaccin"]
    assert check(book(lines)).findings == []


def test_same_vaccine_by_cip7_and_cip13_is_a_duplicate(book, check, lines):
    lines.append({**lines[0], "code_vaccin": "3005620"})
    found = only(check(book(lines)), "DUPLICATE_LINE")
    assert found.row == 12


@covers("DOSE_INTERVAL_TOO_SHORT")
def test_dose_interval_across_two_files(ref, centre, book, check):
    who = pupil(0)
    september = book([dose_line(ref, centre, who, GARDASIL, dt.date(2026, 9, 22), 1)], name="septembre.xlsx",
                     start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 30))
    october = book([dose_line(ref, centre, who, GARDASIL, dt.date(2026, 10, 20), 2)], name="octobre.xlsx")
    found = only(check(september, october), "DOSE_INTERVAL_TOO_SHORT")
    assert (found.path, found.row, found.cell) == (str(october), 8, "I8")
    assert "28 jours après celle du 22/09/2026" in found.message and str(september) in found.message


def test_second_dose_five_months_later_is_fine(ref, centre, book, check):
    who = pupil(0)
    doses = [dose_line(ref, centre, who, GARDASIL, dt.date(2026, 3, 9), 1),
             dose_line(ref, centre, who, GARDASIL, dt.date(2026, 8, 9), 2)]
    assert check(book(doses, start=dt.date(2026, 3, 1), end=dt.date(2026, 8, 31))).findings == []


def _three_doses(ref, centre, birth: dt.date) -> list[dict]:
    who = pupil(0, birth)
    return [dose_line(ref, centre, who, GARDASIL, day, rank)
            for rank, day in enumerate((dt.date(2025, 9, 15), dt.date(2026, 3, 16), dt.date(2026, 9, 21)), 1)]


@covers("TOO_MANY_DOSES")
def test_third_hpv_dose_at_12(ref, centre, book, check):
    result = check(book(_three_doses(ref, centre, dt.date(2013, 5, 10)), start=dt.date(2025, 9, 1),
                        end=dt.date(2026, 10, 31)))
    found = only(result, "TOO_MANY_DOSES")
    assert (found.row, found.cell, found.column, found.severity) == (10, "I10", "date_administration", "warning")
    assert "3e dose HPV" in found.message and "prévoit 2" in found.message
    assert excluded_rows(result) == []  # the schedule is not a billing condition: the dose is billed


def test_three_doses_allowed_when_the_first_is_given_at_15(ref, centre, book, check):
    result = check(book(_three_doses(ref, centre, dt.date(2010, 5, 10)), start=dt.date(2025, 9, 1),
                        end=dt.date(2026, 10, 31)))
    assert codes(result) == ["AGE_OUT_OF_RANGE"] * 3  # a warning: out of the campaign's target, not of the schedule


def test_duplicate_is_not_counted_as_another_dose(book, check, lines):
    lines.append(dict(lines[0]))
    assert codes(check(book(lines))) == ["DUPLICATE_LINE"]


# -- exclusion --------------------------------------------------------------------------------------------------


def test_lines_with_errors_are_excluded_warnings_are_not(book, check, lines):
    lines[0]["code_regime"] = "88"  # error
    lines[2]["vaccin"] = "Gardasil"  # warning
    result = check(book(lines))
    assert codes(result) == ["REGIME_UNKNOWN", "VACCINE_NAME_MISMATCH"]
    assert result.lines["excluded"].tolist() == [True, False, False, False]


def test_sheet_error_excludes_only_that_file(ref, centre, book, check, lines):
    bad = book(lines, name="inconnu.xlsx", centre=dataclasses.replace(centre, finess_geographique="750712184"))
    good = book([dose_line(ref, centre, pupil(4), GARDASIL, dt.date(2026, 10, 6), 1)], name="lille.xlsx")
    result = check(bad, good)
    assert codes(result) == ["CENTRE_UNKNOWN"]
    by_file = result.lines.groupby("path")["excluded"].agg(list).to_dict()
    assert by_file == {str(bad): [True] * 4, str(good): [False]}


# -- privacy ----------------------------------------------------------------------------------------------------

_NIR_SHAPED = re.compile(r"\d(?:[\s.\u00a0\u202f]?(?:\d|(?<=2)[AB])){14}")


def test_no_message_holds_a_full_nir(ref, centre, book, check):
    lines = plant_errors(ref, centre, campaign_lines(ref, centre, 40, START, END, seed=3), END)
    nirs = [line["nir"] for line in lines if isinstance(line.get("nir"), str) and len(line["nir"]) == 15]
    stray = nirs[20]
    # a NIR typed in the wrong column: every value echoed by a message must still hide it
    lines[25].update(code_regime=stray, prise_en_charge=stray, date_naissance=stray)
    lines[26].update(code_vaccin=stray, date_administration=int(stray), prix_unitaire=stray)
    lines[27].update(nir=stray[:14], vaccin=stray)
    lines[28]["montant_amo"] = int(stray)
    result = check(book(lines))
    assert len(result.findings) >= 25
    assert {"NIR_INVALID", "NIR_BIRTHDATE_MISMATCH", "DATE_INVALID", "REGIME_UNKNOWN", "COVERAGE_UNKNOWN",
            "VACCINE_CODE_INVALID", "DUPLICATE_LINE", "DOSE_INTERVAL_TOO_SHORT"} <= set(codes(result))
    echoed = [f for f in result.findings if f.row == FIRST_ROW + 25 and f.code in ("REGIME_UNKNOWN", "DATE_INVALID")]
    assert len(echoed) == 2 and all(f"« {nir_mask(stray)} »" in f.message for f in echoed)
    for f in result.findings:
        compact = re.sub(r"[\s.\u00a0\u202f]", "", f.message)
        assert not any(nir[:13] in compact for nir in nirs), f.message
        assert not _NIR_SHAPED.search(f.message), f.message
        if f.column not in ("code_vaccin", "vaccin"):  # CIP13 codes have 13 digits: only there may they appear
            assert not re.search(r"\d{13}", f.message), f.message


def test_nir_invalid_shows_the_mask_only(book, check, lines):
    nir = lines[0]["nir"]
    lines[0]["nir"] = nir[:13] + "00"
    found = only(check(book(lines)), "NIR_INVALID")
    assert f"NIR {nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} *** *** **" in found.message
    assert nir[7:13] not in found.message


def test_json_document_shape(book, check, lines):
    lines[1]["code_regime"] = "88"
    path = book(lines)
    document = check(path).as_json()
    assert document["files"] == [{"path": str(path), "sheet": "Bordereau", "centre": "SPS de Lille",
                                  "finess_geographique": LILLE, "cpam": "595", "lines": 4, "errors": 1,
                                  "warnings": 0}]
    assert document["findings"] == [{"path": str(path), "sheet": "Bordereau", "row": 9, "cell": "E9",
                                     "column": "code_regime", "code": "REGIME_UNKNOWN", "severity": "error",
                                     "message": "Code régime « 88 » inconnu"}]


@pytest.mark.parametrize(("price", "reason"), [(0, "un prix nul ne se facture pas"), (-40.24, "montant négatif")])
def test_a_price_of_zero_or_below_is_never_billed(book, check, lines, price, reason):
    lines[2]["prix_unitaire"] = price  # the MenACWY line: no negotiated price, only a ceiling
    result = check(book(lines))
    [finding] = result.findings
    assert (finding.code, finding.row, finding.column) == ("PRICE_INVALID", 10, "prix_unitaire")
    assert finding.message.endswith(reason)
    assert result.lines["excluded"].tolist() == [False, False, True, False]


def test_twins_billed_under_a_parent_nir_are_two_children(ref, centre, book, check):
    parent_nir = make_nir(random.Random(9), 2, dt.date(1984, 6, 1))
    twins = [dict(pupil(n, dt.date(2013, 9, 2)), nir=parent_nir, prenom=name) for n, name in ((0, "Léa"), (1, "Lina"))]
    doses = [dose_line(ref, centre, t, GARDASIL, dt.date(2026, 10, 5), 1) for t in twins]
    result = check(book(doses))
    assert codes(result) == ["NIR_BIRTHDATE_MISMATCH", "NIR_BIRTHDATE_MISMATCH"]  # warnings only: no duplicate


@covers("COVERAGE_UNKNOWN")
def test_cmu_alone_is_ambiguous_and_says_what_to_write(book, check, lines):
    lines[1]["prise_en_charge"] = "CMU"
    found = only(check(book(lines)), "COVERAGE_UNKNOWN")
    assert (found.cell, found.severity) == ("F9", "error")
    assert "« CMU » ambigu" in found.message and "« C2S »" in found.message and "« droit commun »" in found.message


@covers("REGIME_UNKNOWN")
def test_regime_99_cannot_be_billed(book, check, lines):
    lines[0]["code_regime"] = "99"
    result = check(book(lines))
    found = only(result, "REGIME_UNKNOWN")
    assert (found.cell, found.severity) == ("E8", "error")
    assert "« 99 » (régime inconnu)" in found.message and "attestation de droits" in found.message
    assert excluded_rows(result) == [8]


def test_a_dose_after_the_last_rate_set_is_rate_undefined(ref_copy, centre, book, check, lines):
    taux = ref_copy / "tarifs" / "taux.yaml"
    text = taux.read_text(encoding="utf-8")
    taux.write_text(text.replace("  - du: 2023-09-01\n", "  - du: 2023-09-01\n    au: 2026-10-10\n"), encoding="utf-8")
    result = check(book(lines), ref=load_reference(ref_copy))
    found = only(result, "RATE_UNDEFINED")  # the line of 12/10/2026; those of 05/10/2026 are in force
    assert found.row == 11 and "Aucun barème de taux en vigueur le 12/10/2026" in found.message


def test_hpv_in_ald_is_billed_like_droit_commun(ref, centre, book, check):
    line = dose_line(ref, centre, pupil(0, coverage="ald"), GARDASIL, dt.date(2026, 10, 5), 1)
    assert (line["montant_amo"], line["montant_total"]) == (Decimal("64.03"), Decimal("64.03"))
    result = check(book([line]))
    assert result.findings == []
    assert result.lines[["amo", "complementaire", "total", "fir"]].iloc[0].tolist() == [6403, 0, 6403, 3447]
    assert "HPV en ALD" in result.lines["motif"].iloc[0]


def test_every_presentation_of_a_vaccine_is_that_vaccine(ref, centre, book, check):
    """REPEVAX 3687397 (its other presentation, priced in the BDPM since 2021) in October 2023: no finding; NIMENRIX
    2170290 has its own public price (40,24 from 2023-11 when 2225393 was still 42,25)."""
    assert ref.vaccine_by_code["3687397"].nom == ref.vaccine_by_code["3400936873742"].nom == "REPEVAX"
    repevax = dose_line(ref, centre, pupil(0, dt.date(2011, 2, 3)), "3400936873971", dt.date(2023, 10, 8), 1)
    repevax["code_vaccin"] = "3687397"
    nimenrix = dose_line(ref, centre, pupil(1, dt.date(2011, 2, 3)), "3400921702903", dt.date(2023, 12, 4), 1)
    assert (repevax["prix_unitaire"], nimenrix["prix_unitaire"]) == (Decimal("22.71"), Decimal("40.24"))
    assert check(book([repevax, nimenrix], start=dt.date(2023, 10, 1), end=dt.date(2023, 12, 31))).findings == []
    nimenrix.update(prix_unitaire=Decimal("42.25"), montant_amo=Decimal("27.46"), montant_total=Decimal("27.46"))
    result = check(book([nimenrix], name="cher.xlsx", start=dt.date(2023, 12, 1), end=dt.date(2023, 12, 31)))
    assert codes(result) == ["PRICE_ABOVE_PUBLIC"]


def test_two_presentations_of_one_vaccine_the_same_day_are_a_duplicate(ref, centre, book, check):
    one = dose_line(ref, centre, pupil(0), NIMENRIX, dt.date(2026, 10, 5), 1)
    other = dose_line(ref, centre, pupil(0), "3400921702903", dt.date(2026, 10, 5), 1)
    assert codes(check(book([one, other]))) == ["DUPLICATE_LINE"]


def test_repevax_in_october_2023_gives_no_error(ref, centre, book, check):
    line = dose_line(ref, centre, pupil(0, dt.date(2011, 2, 3)), "3400936873742", dt.date(2023, 10, 8), 1)
    result = check(book([line], start=dt.date(2023, 10, 1), end=dt.date(2023, 10, 31)))
    assert result.errors == 0 and codes(result) == ["PRICE_PUBLIC_ASSUMED"]
