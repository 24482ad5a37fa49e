"""Hostile workbooks planted one cause at a time: each gives findings, never an exception (issue 14, « No unexpected
error, whatever the workbook »)."""

from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

import pytest
from conftest import codes, edit_workbook, findings
from fuzzing import ods_bytes, ods_rows

from bordereau.read.extent import ods_extents, xlsx_extent
from bordereau.read.workbook import formula_problems


def _rezip(path: Path, change) -> Path:
    data = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            data[name] = archive.read(name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in data.items():
            content = change(name, content)
            if content is not None:
                archive.writestr(name, content)
    return path


def _unreadable(result) -> str:
    [found] = findings(result, "FILE_UNREADABLE")
    return found.message


def test_a_formula_never_calculated_in_the_name_column(book, check, lines):
    path = book(lines)
    edit_workbook(path, lambda ws: [ws.cell(r, 1, '=HYPERLINK("http://example.org","x")') for r in range(8, 12)])
    result = check(path)
    assert codes(result) == ["FORMULA_NOT_CALCULATED"] + ["REQUIRED_MISSING"] * 4
    assert all("formule sans valeur" in f.message for f in findings(result, "REQUIRED_MISSING"))


def test_names_that_are_only_spaces(book, check, lines):
    for line in lines:
        line["nom"] = "   "
    result = check(book(lines))
    assert [(f.code, f.cell) for f in result.findings] == [("REQUIRED_MISSING", f"A{r}") for r in range(8, 12)]


@pytest.mark.parametrize("value", [1e18, -1e18, 1e27, 1e308, 2**70, "1 000 000 000 000 000 000,00"])
def test_amounts_beyond_measure_are_price_invalid(book, check, lines, value):
    lines[0]["prix_unitaire"] = value
    result = check(book(lines))
    [found] = result.findings
    assert (found.code, found.cell) == ("PRICE_INVALID", "K8")
    assert "démesuré" in found.message or "pas un montant" in found.message


@pytest.mark.parametrize(("value", "expected"), [(590780102.0, []), (590780102, []), (True, ["FINESS_INVALID"]),
                                               (False, ["FINESS_INVALID"])])
def test_a_finess_typed_as_a_number_or_a_boolean_in_the_header_block(book, check, value, expected):
    path = edit_workbook(book([]), lambda ws: ws.__setitem__("B4", value))
    assert codes(check(path)) == expected


def test_a_nir_typed_in_full_width_digits_is_the_same_nir(book, check, lines):
    nir = lines[0]["nir"]
    lines[0]["nir"] = "".join(chr(ord(c) + 0xFEE0) for c in nir)  # ０-９
    assert check(book(lines)).findings == []


@pytest.mark.parametrize("variant", ["rid-first", "character-reference", "prefix"])
def test_formula_cells_are_found_whatever_the_workbook_xml(book, check, lines, variant):
    path = edit_workbook(book(lines), lambda ws: ws.__setitem__("K9", "=98.5*1"))

    def change(name, content):
        if name != "xl/workbook.xml":
            return content
        text = content.decode()
        if variant == "rid-first":
            text = re.sub(r'<sheet name="([^"]*)" sheetId="(\d+)" r:id="([^"]*)"/>', r'<sheet r:id="\3" sheetId="\2" '
                          r'name="\1"/>', text)
        elif variant == "character-reference":
            text = text.replace('name="Bordereau"', 'name="Bordereau&#233;"')
        else:
            text = re.sub(r"<(/?)(?!\?)([a-zA-Z]+)([\s>/])", r"<\1x:\2\3", text).replace(
                'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
        return text.encode()

    _rezip(path, change)
    sheet = "Bordereaué" if variant == "character-reference" else "Bordereau"
    assert formula_problems(path, sheet) == {"K9": ""}
    assert codes(check(path)) == ["FORMULA_NOT_CALCULATED", "REQUIRED_MISSING"]


def _flip(offset_of, value):
    def plant(path: Path) -> None:
        data = bytearray(path.read_bytes())
        data[offset_of(bytes(data))] = value
        path.write_bytes(bytes(data))
    return plant


def _in_sheet_stream(data: bytes) -> int:
    header = data.index(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    return header + 40


def _sheet_directory_entry(data: bytes) -> int:
    """Where the central directory describes the sheet's part."""
    name = b"xl/worksheets/sheet1.xml"
    return next(m.start() for m in re.finditer(rb"PK\x01\x02", data) if data[m.start() + 46:].startswith(name))


FLIPS = {
    "deflate stream": _flip(_in_sheet_stream, 0xFF),
    "encrypted flag": _flip(lambda d: _sheet_directory_entry(d) + 8, 0x01),
    "zip version 14.8": _flip(lambda d: _sheet_directory_entry(d) + 6, 0x94),
    "compression method": _flip(lambda d: _sheet_directory_entry(d) + 10, 0x63),
}


@pytest.mark.parametrize("flip", list(FLIPS))
def test_flipped_bytes_in_the_zip_are_an_unreadable_file(book, check, lines, flip):
    path = book(lines)
    FLIPS[flip](path)
    result = check(path)
    assert codes(result) == ["FILE_UNREADABLE"]


@pytest.mark.parametrize(("dimension", "where"), [("", "XFD1048576"), ('<dimension ref="A1:B2"/>', "XFD1048576"),
                                                  ("", "AAA100000"), ('<dimension ref="A1"/>', "ZZZ500000")])
def test_a_far_cell_with_a_missing_or_lying_dimension_is_refused_before_reading(book, check, lines, dimension, where):
    """python-calamine would abort the process (SIGABRT) allocating this sheet: its extent is found first."""
    row = where.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")

    def change(name, content):
        if not name.startswith("xl/worksheets/"):
            return content
        content = re.sub(rb"<dimension[^>]*/>", dimension.encode(), content)
        cell = f'<row r="{row}"><c r="{where}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
        return content.replace(b"</sheetData>", cell + b"</sheetData>")

    path = _rezip(book(lines), change)
    assert "trop grande" in _unreadable(check(path))


def test_a_far_cell_padded_beyond_a_chunk_is_refused_before_reading(book, check, lines):
    """A far cell whose start tag holds megabytes of incompressible padding (the compression ratio stays ordinary):
    the guard once dropped such a tag, and calamine aborted the process (SIGABRT) allocating the sheet."""
    pad = random.Random(7).randbytes(3 << 20).hex().encode()  # 6 MB of hexadecimal: compressed about 2:1

    def change(name, content):
        if not name.startswith("xl/worksheets/"):
            return content
        cell = b'<row r="1048576"><c r="XFD1048576" x="' + pad + b'"><v>1</v></c></row>'
        return content.replace(b"</sheetData>", cell + b"</sheetData>")

    path = _rezip(book(lines), change)
    assert "trop grande" in _unreadable(check(path))


def test_cells_without_their_reference_are_counted(tmp_path, book, lines):
    path = _rezip(book(lines), lambda name, content: re.sub(rb'(<c\b[^>]*?) r="[A-Z]+\d+"', rb"\1", content).replace(
        b"</sheetData>", b"<row>" + b"<c><v>1</v></c>" * 300 + b"</row></sheetData>")
        if name.startswith("xl/worksheets/") else content)
    with zipfile.ZipFile(path) as archive:
        assert xlsx_extent(archive, "xl/worksheets/sheet1.xml") == (13, 300)


def test_opendocument_repeated_rows_count_as_cells(tmp_path, check):
    bomb = tmp_path / "bombe.ods"
    bomb.write_bytes(ods_bytes({"Bombe": '<table:table-row table:number-rows-repeated="3000"><table:table-cell '
                                         'table:number-columns-repeated="16384" office:value-type="string">'
                                         "<text:p>x</text:p></table:table-cell></table:table-row>"}))
    assert "3000 lignes sur 16384 colonnes" in _unreadable(check(bomb))


def test_opendocument_trailing_empty_rows_are_not_counted(tmp_path):
    path = tmp_path / "vide.ods"
    rows = ods_rows([["a", "b"], [None, 3]]) + ('<table:table-row table:number-rows-repeated="1048574">'
                                                '<table:table-cell table:number-columns-repeated="16384"/>'
                                                "</table:table-row>")
    path.write_bytes(ods_bytes({"S": rows, "T": ods_rows([[1]])}))
    with zipfile.ZipFile(path) as archive:
        assert ods_extents(archive) == [(2, 2), (1, 1)]


def test_the_quick_bound_is_a_bound_and_gives_way_to_the_exact_extent(book, lines):
    from bordereau.read.extent import quick_extent

    path = book(lines)
    with zipfile.ZipFile(path) as archive:
        assert quick_extent(archive, "xl/worksheets/sheet1.xml") == (99_999, 26)  # a usual bordereau: no far cell
    far = _rezip(book(lines, name="loin.xlsx"), lambda name, content: content.replace(
        b"</sheetData>", b'<row r="200000"><c r="AB200000"><v>1</v></c></row></sheetData>')
        if name.startswith("xl/worksheets/") else content)
    with zipfile.ZipFile(far) as archive:
        assert quick_extent(archive, "xl/worksheets/sheet1.xml") == (200_000, 28)
        assert xlsx_extent(archive, "xl/worksheets/sheet1.xml") == (200_000, 28)
    odd = _rezip(book(lines, name="ordre.xlsx"), lambda name, content: content.replace(b'<c r="A8"', b'<c s="0" r="A8"')
                 if name.startswith("xl/worksheets/") else content)
    with zipfile.ZipFile(odd) as archive:
        assert quick_extent(archive, "xl/worksheets/sheet1.xml") is None  # r is not first: counted exactly


def test_a_workbook_another_program_holds_is_said_in_french(book, check, lines, monkeypatch):
    """Windows refuses to open a workbook Excel holds (EACCES): the finding says so in French, never the system's
    English « Permission denied »."""
    path = book(lines)
    real_open = Path.open

    def held(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", held)
    [finding] = findings(check(path), "FILE_UNREADABLE")
    assert "ouvert dans un autre programme" in finding.message and "Permission" not in finding.message
