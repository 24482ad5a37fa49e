"""Writing a big table into an xlsxwriter worksheet in `constant_memory` mode, column by column, with the bytes
xlsxwriter itself writes cell by cell.

xlsxwriter spends most of an export's workbook time in its per-cell path (a call, a dimension check, a tuple in its
row table, then an XML element written with its attributes escaped one by one): about 8 µs a cell, 1.5 million cells
for a 100,000-line bordereau. Here each distinct value of a column is turned into its XML once (the same f-strings and
escapes as xlsxwriter's `_write_cell`), and the rows are joined from those pieces and written to the worksheet's row
file in one go. The worksheet is left as its own writes would have left it (dimensions, the row last written), except
that the table's last row is written already: the caller writes nothing more into the table's rows.

Anything the fast path does not cover exactly (a worksheet kept in memory, rows with their own format or height,
comments, a number xlsxwriter refuses, a string it would cut or treat as rich text, a type other than text, number
and date) makes `write_table` return False having written nothing: the caller then writes cell by cell.
tests/test_xlsx_rows.py compares both paths' files, on generated and hostile values.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.xmlwriter import XMLwriter

try:  # a private helper of xlsxwriter 3.3: without it, every table goes cell by cell
    from xlsxwriter.utility import _preserve_whitespace
except ImportError:  # pragma: no cover
    _preserve_whitespace = None

CHUNK = 5_000  # rows joined and written at a time


def write_table(ws, first_row: int, columns: Sequence[Sequence], formats: Sequence) -> bool:
    """Write `columns` (one list of values per column, None for an empty cell) from row `first_row`, column 0, as
    `ws.write_datetime` (datetimes, dates), `ws.write_number` (int, float) and `ws.write_string` (str) would, with
    `formats[c]` for column c. Returns False, writing nothing, when the worksheet or a value is outside the fast
    path."""
    height = len(columns[0]) if columns else 0
    if not _fits(ws, first_row, height, columns):
        return False
    styles = _styles(ws, columns, formats)
    if styles is None:
        return False
    width = len(columns)
    filled = [r for r, row in enumerate(zip(*columns, strict=True)) if row.count(None) < width]
    if not filled:
        return True
    used = [c for c, values in enumerate(columns) if values.count(None) < height]
    ws._write_single_row(first_row + filled[0])  # the rows before, as the first write of the table would
    _give_indexes(styles)
    pieces = [_pieces(ws, values, *style) for values, style in zip(columns, styles, strict=True)]
    ws._check_dimensions(first_row + filled[0], used[0])
    ws._check_dimensions(first_row + filled[-1], used[-1])
    opening = _row_opening(ws, first_row + filled[0])
    letters = [f'<c r="{xl_col_to_name(c)}' for c in range(len(columns))]
    for start in range(0, len(filled), CHUNK):
        text = []
        for r in filled[start:start + CHUNK]:
            n = str(first_row + r + 1)
            cells = "".join([f"{letters[c]}{n}\"{piece[r]}" for c, piece in enumerate(pieces) if piece[r] is not None])
            text.append(f"{opening[0]}{n}{opening[1]}{cells}</row>")
        ws.fh.write("".join(text))
    ws.previous_row = first_row + filled[-1]
    return True


def _fits(ws, first_row: int, height: int, columns: Sequence[Sequence]) -> bool:
    """Whether the worksheet is one the fast path writes exactly: rows streamed to a file, nothing pending, the
    table's rows plain (no format, height or comment of their own)."""
    last = first_row + height - 1
    if _preserve_whitespace is None or not columns or not getattr(ws, "constant_memory", False) \
            or first_row <= ws.previous_row:
        return False
    if any(len(values) != height for values in columns):
        return False
    if last >= ws.xls_rowmax or len(columns) > ws.xls_colmax or ws.excel_version != 2007:
        return False
    return not any(first_row <= r <= last for r in (*ws.row_info, *ws.comments))


def _styles(ws, columns: Sequence[Sequence], formats: Sequence) -> list[tuple] | None:
    """Per column, (format of its numbers and texts, row of the first; format of its dates, row of the first), the
    format as `_write_cell` chooses it (the cell's own, else its column's). None when a value is outside the fast
    path: of another type, a number xlsxwriter refuses (NaN, infinite), a string it would cut or take for rich
    text."""
    styles = []
    for c, (values, fmt) in enumerate(zip(columns, formats, strict=True)):
        column_format = ws.col_info[c].column_format if c in ws.col_info else None
        plain = (fmt or column_format, None)
        dated = ((fmt or ws.default_date_format) or column_format, None)
        for r, value in enumerate(values):
            if value is None:
                continue
            kind = value.__class__
            if kind is str or kind is int or kind is float:
                if kind is str and (len(value) > ws.xls_strmax // 2 or (value.startswith("<r>")
                                                                       and value.endswith("</r>"))):
                    return None
                if kind is float and not math.isfinite(value):
                    return None
                if plain[1] is None:
                    plain = (plain[0], r)
            elif isinstance(value, dt.date):
                if dated[1] is None:
                    dated = (dated[0], r)
            else:
                return None
        styles.append((*plain, *dated, c))
    return styles


def _give_indexes(styles: list[tuple]) -> None:
    """Give the table's formats their indexes in the order xlsxwriter would: the first cell using each, row by row
    (the index orders styles.xml)."""
    first = sorted((row, c, fmt) for fmt_plain, row_plain, fmt_dated, row_dated, c in styles
                   for fmt, row in ((fmt_plain, row_plain), (fmt_dated, row_dated))
                   if fmt is not None and row is not None and fmt.xf_index is None)
    for _, _, fmt in first:
        fmt._get_xf_index()


def _style(fmt) -> str:
    return "" if fmt is None else f' s="{fmt._get_xf_index() if fmt.xf_index is None else fmt.xf_index}"'


def _pieces(ws, values: Sequence, plain, _row, dated, _dated_row, _col) -> list[str | None]:
    """Each value's cell XML after its `r` attribute (None: no cell), a distinct value made once (values checked by
    _styles)."""
    made: dict[tuple, str] = {}
    out: list[str | None] = []
    add = out.append
    plain_style = dated_style = None
    for value in values:
        if value is None:
            add(None)
            continue
        key = (value.__class__, value)
        piece = made.get(key)
        if piece is None:
            kind = value.__class__
            if kind is str:
                piece = _string(ws, value)
                plain_style = _style(plain) if plain_style is None else plain_style
                piece = plain_style + piece
            elif kind is int or kind is float:
                plain_style = _style(plain) if plain_style is None else plain_style
                piece = f"{plain_style}><v>{value:.16G}</v></c>"
            else:
                dated_style = _style(dated) if dated_style is None else dated_style
                piece = f"{dated_style}><v>{ws._convert_date_time(value):.16G}</v></c>"
            made[key] = piece
        add(piece)
    return out


def _string(ws, value: str) -> str:
    """An inline string's XML after its style, as `_write_cell` writes it (neither cut nor rich: see _styles)."""
    text = XMLwriter._escape_control_characters(value)
    preserve = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    return f' t="inlineStr"><is><t{preserve}>{ws._escape_data(text)}</t></is></c>'


def _row_opening(ws, row: int) -> tuple[str, str]:
    """`<row r="` and what follows the row number, as `_write_row` writes them for a row without attributes."""
    saved, ws.fh = ws.fh, io.StringIO()
    try:
        ws._write_row(row, None)
        text = ws.fh.getvalue()
    finally:
        ws.fh = saved
    head, tail = text.split(f'r="{row + 1}"', 1)
    return head + 'r="', '"' + tail
