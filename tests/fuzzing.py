"""A seeded generator of broken and odd workbooks, made from the examples: zips truncated or with flipped bytes,
missing parts, lying or removed `<dimension>`, a far cell, workbook.xml variants, every kind of cell value in every
column, merged headers, two tables, hidden and empty sheets, OpenDocument files with repeated rows.

`cases(seed, n)` yields (name, write) pairs: `write(path)` writes the case's file at `path` (its suffix decides the
format). The same seed gives the same cases.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SOURCES = sorted(EXAMPLES.glob("*.xlsx"))
HEADER_ROW = 7

# one of everything a cell can hold, and what people and other programs put in bordereaux
VALUES: list[object] = [
    None, "", "   ", 0, -1, 1, 1.5, 98.12345, 1e18, -1e18, 1e27, 1e308, -1e308, 2**63, True, False,
    dt.datetime(1900, 1, 1), dt.datetime(9999, 12, 31, 23, 59), dt.date(2026, 10, 3), dt.time(12, 30),
    dt.timedelta(days=3), -5, 3_000_000, 45935.5, 2958466, "98,50000", "1 234,50 €", "1.234,50", "1,234.50",
    "98.5 EUR", "-98,50", "nan", "inf", "1e308", "=HYPERLINK(\"http://example.org\",\"x\")", "=1/0", "=A1",
    "+33 6", "@SUM(A1)", "#DIV/0!", "#N/A", "a_x0001_b", "tab\tnew\nline", "x" * 40_000, "١٢٣", "１２３",
    "１ ７９ ０２ ５９ ３５０ ０５４ ３３", "2 14 09 59 471 976 22", "1 14 09 59 ...", "01/10/2026", "9 patates",
    "31/02/2014", "00/00/0000", "2026-13-45", "ALD", "sans droits", "Mutuelle", "01 - Régime général", "MSA",
    "3400930056202", "340093005620", "2A0000170", "590780102", 590780102, 59078010.0, "HPV-595-590780102-20261123-1",
    "N° de ligne", "Total", "TOTAL", "\u202f", "é" * 300, "<b>&amp;</b>", "'; DROP TABLE --",
]


def _cell_values(rng: random.Random) -> object:
    return rng.choice(VALUES)


def _workbook_bytes(change: Callable[[openpyxl.Workbook, random.Random], None], source: Path,
                    rng: random.Random) -> bytes:
    book = openpyxl.load_workbook(source)
    change(book, rng)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- changes made with openpyxl: cells, sheets, layout --------------------------------------------------------------


def _data_sheet(book: openpyxl.Workbook):
    return book.worksheets[0]


def odd_cells(book, rng):
    ws = _data_sheet(book)
    for _ in range(rng.randint(1, 12)):
        row = rng.randint(HEADER_ROW + 1, ws.max_row + 1)
        column = rng.randint(1, ws.max_column + 1)
        _set(ws.cell(row, column), _cell_values(rng))


def one_column_odd(book, rng):
    """Every line of one column holds the same odd value (a whole column of spaces, of formulas...)."""
    ws = _data_sheet(book)
    column, value = rng.randint(1, ws.max_column), _cell_values(rng)
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        _set(ws.cell(row, column), value)


def header_block(book, rng):
    ws = _data_sheet(book)
    for row in range(1, HEADER_ROW):
        for column in range(2, 6):
            if rng.random() < 0.4:
                _set(ws.cell(row, column), _cell_values(rng))


def odd_header(book, rng):
    ws = _data_sheet(book)
    column = rng.randint(1, ws.max_column)
    _set(ws.cell(HEADER_ROW, column), rng.choice(["N°", "Nom", "", None, "NIR", "Prix", "Total", "=A1", 12]))


def merged_headers(book, rng):
    ws = _data_sheet(book)
    start = rng.randint(1, ws.max_column - 2)
    ws.merge_cells(start_row=HEADER_ROW - rng.randint(0, 1), start_column=start, end_row=HEADER_ROW,
                   end_column=start + rng.randint(1, 2))
    if rng.random() < 0.5:
        row = rng.randint(HEADER_ROW + 1, ws.max_row)
        ws.merge_cells(start_row=row, start_column=1, end_row=row + 1, end_column=rng.randint(2, 6))


def two_tables(book, rng):
    ws = _data_sheet(book)
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=HEADER_ROW)]
    offset = ws.max_row + rng.randint(0, 3)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.cell(offset + r + 1, c + 1 + rng.choice([0, 0, 20]), value)


def sheets(book, rng):
    choice = rng.randint(0, 3)
    if choice == 0:
        book.create_sheet("Vide", 0)
    elif choice == 1:
        book.worksheets[0].sheet_state = rng.choice(["hidden", "veryHidden"])
        book.create_sheet("Autre")
    elif choice == 2:
        copy = book.copy_worksheet(book.worksheets[0])
        copy.title = rng.choice(["Copie", "2 14 09 59 471 976 22", "Feuille'1", "a&b<c>"])
    else:
        ws = book.worksheets[0]
        ws.delete_rows(rng.randint(1, ws.max_row), rng.randint(1, 5))


def far_cell_openpyxl(book, rng):
    ws = _data_sheet(book)
    ws.cell(rng.choice([1, 1000, 1_048_576]), rng.choice([30, 16_384]), "x")


OPENPYXL_CHANGES = [odd_cells, odd_cells, odd_cells, one_column_odd, one_column_odd, header_block, odd_header,
                    merged_headers, two_tables, sheets, far_cell_openpyxl]


def _set(cell, value):
    cell.value = value
    if isinstance(value, str) and value.startswith("#") and value in ("#DIV/0!", "#N/A"):
        cell.data_type = "e"


# -- changes made on the zip: bytes, parts, XML -------------------------------------------------------------------


def _rezip(data: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            content = change(info.filename, zin.read(info.filename))
            if content is not None:
                zout.writestr(info.filename, content)
    return out.getvalue()


def truncated(data, rng):
    return data[:rng.randint(0, len(data) - 1)]


def byte_flips(data, rng):
    out = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def central_directory_flips(data, rng):
    """Flags and versions of the central directory: encrypted entries, zip version 14.8, another compression."""
    out = bytearray(data)
    starts = [m.start() for m in re.finditer(rb"PK\x01\x02", data)]
    for start in rng.sample(starts, min(len(starts), rng.randint(1, 3))):
        field = rng.choice([6, 8, 10])  # version needed, flags, method
        out[start + field] = rng.choice([0x01, 0x94, 0x0E, 0x63, 0xFF])
    return bytes(out)


def missing_part(data, rng):
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    gone = rng.choice(names)
    return _rezip(data, lambda name, content: None if name == gone else content)


def _sheet_xml(change: Callable[[bytes, random.Random], bytes]):
    def apply(data, rng):
        return _rezip(data, lambda name, content: change(content, rng) if name.startswith("xl/worksheets/sheet")
                      else content)
    apply.__name__ = change.__name__
    return apply


def _far_cell(xml: bytes, rng: random.Random) -> bytes:
    column, row = rng.choice([("XFD", 1_048_576), ("XFD", 1), ("A", 1_048_576), ("ZZZ", 500_000)])
    dimension = rng.choice([b"", b'<dimension ref="A1:B2"/>', b'<dimension ref="A1"/>',
                            f'<dimension ref="A1:{column}{row}"/>'.encode()])
    xml = re.sub(rb"<dimension[^>]*/>", dimension, xml)
    extra = f'<row r="{row}"><c r="{column}{row}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
    return xml.replace(b"</sheetData>", extra + b"</sheetData>")


def _cells_without_ref(xml: bytes, rng: random.Random) -> bytes:
    """Cells and rows without their r attribute (allowed): the reader counts them."""
    xml = re.sub(rb'(<c\b[^>]*?) r="[A-Z]+\d+"', rb"\1", xml)
    wide = b"<c><v>1</v></c>" * rng.choice([3, 200, 20_000])
    return xml.replace(b"</sheetData>", b"<row>" + wide + b"</row></sheetData>")


def _odd_cell_types(xml: bytes, rng: random.Random) -> bytes:
    kind = rng.choice([b't="d"><v>garbage</v>', b't="d"><v>2026-10-03T00:00:00</v>', b't="e"><v>#REF!</v>',
                       b't="b"><v>2</v>', b't="n"><v>abc</v>', b't="s"><v>99999</v>', b't="n"><v>1e400</v>',
                       b't="str"><f>NOW()</f>', b't="inlineStr"><is><t>\x01\x02</t></is>', b'><f>1+</f>'])
    cells = list(re.finditer(rb'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', xml, re.S))
    if not cells:
        return xml
    target = rng.choice(cells)
    replacement = b'<c r="' + target.group(1) + b'" ' + kind + b"</c>"
    return xml[:target.start()] + replacement + xml[target.end():]


def _raw_control_characters(data: bytes, rng: random.Random) -> bytes:
    def change(name, content):
        if name == "xl/sharedStrings.xml":
            return content.replace(b"<t>", b"<t>\x01\x1b", rng.randint(1, 5))
        return content
    return _rezip(data, change)


def _workbook_xml_variant(data: bytes, rng: random.Random) -> bytes:
    def change(name, content):
        if name != "xl/workbook.xml":
            return content
        text = content.decode()
        variant = rng.randint(0, 2)
        if variant == 0:  # r:id before name
            text = re.sub(r'<sheet name="([^"]*)" sheetId="(\d+)" r:id="([^"]*)"/>',
                          r'<sheet r:id="\3" sheetId="\2" name="\1"/>', text)
        elif variant == 1:  # a character reference in the sheet name
            text = re.sub(r'<sheet name="([^"]*)"', lambda m: f'<sheet name="{m.group(1)}&#233;&amp;"', text)
        else:  # every element with an x: prefix
            text = re.sub(r"<(/?)(?!\?)([a-zA-Z]+)([\s>/])", r"<\1x:\2\3", text)
            text = text.replace('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                                'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
        return text.encode()
    return _rezip(data, change)


ZIP_CHANGES = [truncated, byte_flips, byte_flips, central_directory_flips, missing_part, missing_part,
               _sheet_xml(_far_cell), _sheet_xml(_far_cell), _sheet_xml(_cells_without_ref),
               _sheet_xml(_odd_cell_types), _sheet_xml(_odd_cell_types), _raw_control_characters,
               _workbook_xml_variant]


# -- OpenDocument -----------------------------------------------------------------------------------------------

_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def ods_bytes(tables: dict[str, str]) -> bytes:
    """An OpenDocument spreadsheet holding `tables` ({name: rows XML})."""
    from xml.sax.saxutils import quoteattr

    body = "".join(f"<table:table table:name={quoteattr(name)}>{rows}</table:table>" for name, rows in tables.items())
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} office:version="1.2">'
               f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body>"
               "</office:document-content>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest='
                   '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
                   'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                   'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
                   compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def ods_cell(value: object) -> str:
    from xml.sax.saxutils import escape

    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, bool):
        return f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}"/>'
    if isinstance(value, int | float):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p>' \
               "</table:table-cell>"
    if isinstance(value, dt.date):
        return f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">' \
               f"<text:p>{value}</text:p></table:table-cell>"
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def ods_rows(rows: list[list]) -> str:
    return "".join("<table:table-row>" + "".join(ods_cell(v) for v in row) + "</table:table-row>" for row in rows)


def _example_rows(source: Path) -> list[list]:
    ws = openpyxl.load_workbook(source).worksheets[0]
    return [[c.value for c in row] for row in ws.iter_rows()]


def ods_case(rng: random.Random) -> bytes:
    rows = _example_rows(rng.choice(SOURCES))
    for _ in range(rng.randint(0, 8)):
        row = rows[rng.randint(HEADER_ROW, len(rows) - 1)]
        row[rng.randrange(len(row))] = rng.choice([v for v in VALUES if not isinstance(v, dt.time | dt.timedelta)])
    name = rng.choice(["Bordereau", "Octobre/2026", "a:b", "x" * 40, "Feuille [1]"])
    tables = {name: ods_rows(rows)}
    kind = rng.randint(0, 3)
    if kind == 1:  # a filled row repeated many times, many columns wide
        tables["Bombe"] = ('<table:table-row table:number-rows-repeated="3000"><table:table-cell '
                           'table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p>'
                           "</table:table-cell></table:table-row>")
    elif kind == 2:  # trailing empty rows and cells as LibreOffice writes them: harmless
        tables[name] += ('<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
                         'table:number-columns-repeated="16384"/></table:table-row>')
    elif kind == 3:  # a cell far away
        tables[name] += ('<table:table-row table:number-rows-repeated="1048000"/><table:table-row><table:table-cell '
                         'table:number-columns-repeated="16000"/><table:table-cell office:value-type="string">'
                         "<text:p>x</text:p></table:table-cell></table:table-row>")
    return ods_bytes(tables)


# -- the cases ----------------------------------------------------------------------------------------------------


def cases(seed: int, n: int) -> Iterator[tuple[str, str, Callable[[random.Random], bytes]]]:
    """`n` cases: (name, suffix, make) where make(rng) returns the file's bytes; rng is seeded per case."""
    master = random.Random(seed)
    originals = {source: source.read_bytes() for source in SOURCES}
    for k in range(n):
        case_seed = master.randrange(2**32)
        rng = random.Random(case_seed)
        source = rng.choice(SOURCES)
        kind = rng.random()
        if kind < 0.1:
            yield f"{k}-ods-{case_seed}", ".ods", ods_case
        elif kind < 0.55:
            change = rng.choice(OPENPYXL_CHANGES)

            def make(r, change=change, source=source):
                return _workbook_bytes(change, source, r)

            yield f"{k}-{change.__name__}-{case_seed}", ".xlsx", make
        else:
            change = rng.choice(ZIP_CHANGES)

            def make(r, change=change, source=source):
                return change(originals[source], r)

            yield f"{k}-{change.__name__}-{case_seed}", rng.choice([".xlsx", ".xlsx", ".xlsx", ".xlsm"]), make


def write_case(folder: Path, name: str, suffix: str, make: Callable[[random.Random], bytes]) -> Path:
    seed = int(name.rsplit("-", 1)[1])
    path = folder / f"cas-{name}{suffix}"
    path.write_bytes(make(random.Random(seed)))
    return path
