"""A sheet's true extent, found by streaming over its XML before python-calamine reads it.

calamine allocates a sheet as one rectangle from A1 to its farthest cell: one cell at XFD1048576 asks for 17 billion
cells and aborts the process (SIGABRT, not an exception), and an OpenDocument row repeated 3,000 times over 16,384
columns takes 5 GB. Neither the `<dimension>` of an xlsx sheet (optional, and it may lie) nor the file's size tells:
only the cells do. These functions read the XML in chunks, never holding a whole part in memory, and return the
number of rows and columns the reader would allocate.
"""

from __future__ import annotations

import functools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TypeVar

from bordereau.read import inflate

CHUNK = 1 << 20
T = TypeVar("T")

# xlsx: <c ...> and <row ...> start tags, with or without a namespace prefix
_XLSX_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(c|row)(?=[\s/>])([^>]*)>")
_REF_CELL = re.compile(rb'\sr\s*=\s*["\']\$?([A-Za-z]{1,4})\$?(\d{1,9})["\']')
_REF_ROW = re.compile(rb'\sr\s*=\s*["\'](\d{1,9})["\']')
_CELL_WITH_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br="([A-Z]{1,4})(\d{1,9})"')
_ANY_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_ANY_ROW_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?row\s[^>]*?\br="(\d{1,9})"')


def column_number(letters: bytes) -> int:
    """A1 column letters to their 1-based number.

    >>> column_number(b"A"), column_number(b"Z"), column_number(b"XFD")
    (1, 26, 16384)
    """
    n = 0
    for c in letters.upper():
        n = n * 26 + c - 64
    return n


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """The stream in chunks that never cut a tag: a tag left open at the end of a chunk is carried to the next one,
    whatever its length (a far cell hidden in a start tag of megabytes would otherwise be missed, and calamine would
    allocate it). Text is never carried.

    >>> import io
    >>> [len(c) for c in _chunks(io.BytesIO(b"<a>" + b"x" * (3 * CHUNK) + b"<b r='1'/>"))]
    [1048576, 1048576, 1048576, 13]
    >>> [len(c) for c in _chunks(io.BytesIO(b"<a>" + b"<b r='1' x='" + b"x" * (3 * CHUNK) + b"'/><c/>"))]
    [3, 3145747]
    """
    return _tag_chunks(iter(functools.partial(handle.read, CHUNK), b""))


def _scan(archive: zipfile.ZipFile, part: str, consume: Callable[[Iterator[bytes]], T]) -> T:
    """`consume` over the chunks of a zip entry (`_chunks`), inflated by ISA-L (read/inflate.py: zipfile's own read
    when that fails)."""
    return inflate.scan(archive, part, CHUNK, lambda blocks: consume(_tag_chunks(blocks)))


def _tag_chunks(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """`_chunks` of the blocks of CHUNK bytes (the last one shorter) of a stream."""
    rest: list[bytes] = []  # the open tag, and the blocks it goes on through
    for block in blocks:
        if rest and b">" not in block:
            rest.append(block)
            continue
        data = b"".join((*rest, block)) if rest else block
        rest = []
        cut = data.rfind(b"<")
        if cut == -1 or data.find(b">", cut) != -1:  # no tag, or the last one is complete
            yield data
            continue
        rest = [data[cut:]]
        yield data[:cut]
    if rest:
        yield b"".join(rest)


# beyond column Z or row 99,999: the cells a usual bordereau never has (in any case, `$` allowed, as xlsx_extent)
_FAR_ROW = re.compile(rb'<c r="\$?[A-Za-z]+\$?(\d{6,})')
_FAR_COLUMN = re.compile(rb'<c r="\$?([A-Za-z]{2,})\$?\d')
# a tag starting `<c` that is not a cell written `<c r="..."` within A1:Z99999 (`<cols>`, `<cfRule>`, a far cell...)
_NOT_NEAR = re.compile(rb'<c(?! r="[A-Z]\d{1,5}")')


def _plain_cells(chunk: bytes) -> bool:
    """Whether every cell of the chunk is written `<c r="...`, without a namespace prefix. Two counts answer for a
    chunk of cells and rows (every tag starting `<c` is a cell with its reference, no `:c` anywhere); the exact test
    runs only otherwise (`<cols>`, `<cfRule>`, `x14:cfRule`...).

    >>> _plain_cells(b'<row r="1"><c r="A1"/><c r="B1" t="s"><v>0</v></c></row>'), _plain_cells(b'<c><v>1</v></c>')
    (True, False)
    >>> _plain_cells(b'<cols><col min="1"/></cols><c r="A1"/>'), _plain_cells(b'<x:c r="A1"/>')
    (True, False)
    """
    referenced = chunk.count(b'<c r="')
    if chunk.count(b"<c") == referenced and b":c" not in chunk:
        return True
    cells = chunk.count(b"<c ") + chunk.count(b"<c>") + chunk.count(b"<c/>")
    return cells == referenced and b":c " not in chunk and b":c>" not in chunk and b":c/>" not in chunk


def _all_near(chunk: bytes) -> bool:
    """Whether every tag of the chunk starting `<c` is a cell written `<c r="` within A1:Z99999, and no tag has a
    namespace prefix ending in `c`: one regular-expression pass over the chunk, the common case of a bordereau's
    lines (a colon is rare in a sheet's XML: the two-byte search runs only when there is one).

    >>> _all_near(b'<row r="9"><c r="A9" t="s"><v>0</v></c><c r="Z99999"/></row>')
    True
    >>> chunks = b'<c r="AA1"/>', b'<c r="A100000"/>', b'<cols/>', b'<x:c r="A1"/>', b'<c s="1" r="A1"/>'
    >>> [_all_near(c) for c in chunks]
    [False, False, False, False, False]
    """
    return _NOT_NEAR.search(chunk) is None and (b":" not in chunk or b":c" not in chunk)


# a tag starting `<c` that is not a cell written `<c r="..."` in columns A to Z
_NOT_A_TO_Z = re.compile(rb'<c(?! r="[A-Z]\d{1,9}")')


@functools.lru_cache(maxsize=64)
def _rows_above(bound: int, letters: bytes = rb"\$?[A-Za-z]+\$?") -> re.Pattern[bytes]:
    """A cell reference whose row number is above `bound`, leading zeros ignored; `letters` is what comes before.

    >>> [bool(_rows_above(299_999).match(c)) for c in (b'<c r="A300000"', b'<c r="$ab$0299999"', b'<c r="A1000000"')]
    [True, False, True]
    """
    digits = str(bound)
    above = [rf"[1-9]\d{{{len(digits)},}}"]  # more digits
    for i, d in enumerate(digits):  # as many digits, a greater one at position i
        if d != "9":
            above.append(rf"{digits[:i]}[{int(d) + 1}-9]\d{{{len(digits) - i - 1}}}")
    return re.compile(rb'<c r="' + letters + rb"0*(?:" + "|".join(above).encode() + rb")(?!\d)")


def _far_rows(chunk: bytes, rows: int, a_to_z: bool) -> int:
    """The largest row number of the chunk's references, if above `rows`. A sheet written in order has it in its
    last cell: that one is read, and one search checks that no reference is above it; otherwise all are read.
    `a_to_z`: every cell of the chunk is written `<c r="` and one letter (a simpler search)."""
    last = _FAR_ROW.match(chunk, max(chunk.rfind(b'<c r="'), 0))
    if last:
        rows = max(rows, int(last.group(1)))
    if (_rows_above(rows, rb"[A-Z]") if a_to_z else _rows_above(rows)).search(chunk) is None:
        return rows
    return max(rows, max(map(int, set(_FAR_ROW.findall(chunk)))))


def quick_extent(archive: zipfile.ZipFile, part: str) -> tuple[int, int] | None:
    """An upper bound of (rows, columns) of an xlsx sheet, found fast: every cell is written `<c r="...`` (as Excel,
    LibreOffice and the usual libraries write them), and only references beyond Z or row 99,999 are read.
    None when the sheet is written otherwise: xlsx_extent then tells exactly.

    A chunk whose cells all lie within A1:Z99999 (`_all_near`, one pass) adds nothing to the bound. In the others, a
    second pass tells whether every cell lies in columns A to Z (else they are counted and searched one by one), and
    a third whether a row is above the last cell's (else every reference is read)."""
    return _scan(archive, part, _quick_extent)


def _quick_extent(chunks: Iterator[bytes]) -> tuple[int, int] | None:
    rows, columns = 99_999, 26
    for chunk in chunks:
        if _all_near(chunk):
            continue
        a_to_z = _NOT_A_TO_Z.search(chunk) is None and (b":" not in chunk or b":c" not in chunk)
        if not a_to_z:
            if not _plain_cells(chunk):
                return None
            for letters in set(_FAR_COLUMN.findall(chunk)):
                columns = max(columns, column_number(letters))
        rows = _far_rows(chunk, rows, a_to_z)
    return rows, columns


def xlsx_extent(archive: zipfile.ZipFile, part: str) -> tuple[int, int]:
    """(rows, columns) from A1 to the farthest cell of an xlsx sheet."""
    counted = _scan(archive, part, _xlsx_extent_counted)
    return counted if counted is not None else _scan(archive, part, _xlsx_extent_walk)


def _xlsx_extent_counted(chunks: Iterator[bytes]) -> tuple[int, int] | None:
    """The extent when every cell is written with its reference (else None)."""
    rows, columns = 0, 0
    for chunk in chunks:
        found = _CELL_WITH_REF.findall(chunk)
        if len(found) != len(_ANY_CELL.findall(chunk)):
            return None
        if found:
            letters, numbers = zip(*found, strict=True)
            columns = max(columns, max(map(column_number, set(letters))))
            rows = max(rows, max(map(int, set(numbers))))
        row_refs = _ANY_ROW_REF.findall(chunk)
        if row_refs:
            rows = max(rows, max(map(int, set(row_refs))))
    return (rows, columns) if rows else None


def _xlsx_extent_walk(chunks: Iterator[bytes]) -> tuple[int, int]:
    """The slow path, for sheets whose cells or rows omit their `r` (allowed): positions follow one another."""
    rows = columns = row = column = 0
    for chunk in chunks:
        for match in _XLSX_TAG.finditer(chunk):
            tag, attributes = match.group(1), match.group(2)
            if tag == b"row":
                ref = _REF_ROW.search(attributes)
                row = int(ref.group(1)) if ref else row + 1
                column = 0
                rows = max(rows, row)
            else:
                ref = _REF_CELL.search(attributes)
                if ref:
                    column, cell_row = column_number(ref.group(1)), int(ref.group(2))
                    rows = max(rows, cell_row)
                else:
                    column += 1
                columns = max(columns, column)
    return rows, columns


# OpenDocument: tables, rows and cells, with their repetitions
_ODS_TAG = re.compile(rb"<(/?)table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])([^>]*?)(/?)>")
_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated\s*=\s*["\'](\d+)["\']')
_COLUMNS_REPEATED = re.compile(rb'table:number-columns-repeated\s*=\s*["\'](\d+)["\']')
_VALUE_TYPE = re.compile(rb"office:value-type\s*=")


def ods_extents(archive: zipfile.ZipFile, part: str = "content.xml") -> list[tuple[int, int]]:
    """(rows, columns) of each table of an OpenDocument spreadsheet, counting repeated rows and cells; empty cells
    and rows (LibreOffice repeats them to the sheet's end) count only when something follows them."""
    return _scan(archive, part, _ods_extents)


def _ods_extents(chunks: Iterator[bytes]) -> list[tuple[int, int]]:
    extents: list[tuple[int, int]] = []
    rows = columns = row = column = 0
    row_repeat, row_filled = 1, False
    for chunk in chunks:
        for match in _ODS_TAG.finditer(chunk):
            closing, tag, attributes, empty = match.groups()
            if tag == b"table":
                if not closing:
                    rows = columns = row = column = 0
                if closing or empty:
                    extents.append((rows, columns))
            elif tag == b"table-row":
                if closing:
                    rows = max(rows, row + row_repeat) if row_filled else rows
                    row += row_repeat
                else:
                    found = _ROWS_REPEATED.search(attributes)
                    row_repeat, row_filled, column = int(found.group(1)) if found else 1, False, 0
                    if empty:
                        row += row_repeat
            elif not closing:
                found = _COLUMNS_REPEATED.search(attributes)
                repeat = int(found.group(1)) if found else 1
                if not empty or _VALUE_TYPE.search(attributes):
                    columns = max(columns, column + repeat)
                    row_filled = True
                column += repeat
    return extents
