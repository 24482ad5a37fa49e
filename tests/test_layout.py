"""Where a table ends: an empty row, a labelled totals row, or a row of sums without a label."""

from __future__ import annotations

from conftest import FIRST_ROW, LETTER, edit_workbook


def test_unlabelled_sums_row_ends_the_table(book, check, lines):
    def add_sums(ws):
        row = FIRST_ROW + len(lines)
        ws[f"{LETTER['prix_unitaire']}{row}"] = float(sum(line["prix_unitaire"] for line in lines))
        ws[f"{LETTER['montant_amo']}{row}"] = float(sum(line["montant_amo"] for line in lines))
        ws[f"{LETTER['nom']}{row + 2}"] = "Signature du responsable"

    result = check(edit_workbook(book(lines, totals=False), add_sums))
    assert result.findings == []
    assert len(result.lines) == len(lines)


def test_a_line_with_only_a_name_is_a_dose_with_missing_cells(book, check, lines):
    def add_name(ws):
        ws[f"{LETTER['nom']}{FIRST_ROW + len(lines)}"] = "DUPONT"

    result = check(edit_workbook(book(lines, totals=False), add_name))
    assert len(result.lines) == len(lines) + 1
    assert {f.code for f in result.findings} == {"REQUIRED_MISSING"}


def test_doses_after_an_empty_row_are_announced(book, check, lines):
    def gap(ws):
        ws.insert_rows(FIRST_ROW + 2)  # an empty row after the first two doses

    result = check(edit_workbook(book(lines, totals=False), gap))
    assert len(result.lines) == 2
    [finding] = result.findings
    assert (finding.code, finding.severity, finding.row, finding.cell) == ("ROWS_AFTER_GAP", "warning", 10, "A10")
    assert finding.message.startswith("2 ligne(s) après la ligne vide 10")


def test_an_error_value_is_named_not_called_empty(book, check, lines, tmp_path):
    import re
    import zipfile

    path = book(lines, totals=False)
    edit_workbook(path, lambda ws: ws.__setitem__(f"{LETTER['prix_unitaire']}{FIRST_ROW}", "=1/0"))
    with zipfile.ZipFile(path) as archive:  # the cached value Excel writes for that formula
        parts = {n: archive.read(n) for n in archive.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    cell = f"{LETTER['prix_unitaire']}{FIRST_ROW}"
    parts[sheet] = re.sub(rf'<c r="{cell}"[^>]*>.*?</c>'.encode(),
                          f'<c r="{cell}" t="e"><f>1/0</f><v>#DIV/0!</v></c>'.encode(), parts[sheet])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    [finding] = check(path).findings
    assert (finding.code, finding.cell) == ("REQUIRED_MISSING", cell)
    assert finding.message.endswith("(formule en erreur : #DIV/0!)")
