"""The annotated sheet's XML, edited on its bytes: the `s` (format) attribute of the faulty cells set to their own
format with a fill (a cell missing from the XML is added, empty), `<legacyDrawing>` for the comments' drawing, and the
`tabSelected` flag of every sheet cleared. Rows and cells are found by regular expressions over the sheet's bytes,
the others copied as they are; what these edits do not recognise raises Unsupported (annotate.py then takes the
openpyxl road)."""

from __future__ import annotations

import re
from collections import defaultdict, deque

from openpyxl.utils import column_index_from_string, get_column_letter

from bordereau.render import xlsx_parts as parts
from bordereau.render.xlsx_parts import Unsupported

_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
_ROW = re.compile(rb"<row\b([^>]*?)(/?)>")
_CELL = re.compile(rb"<c\b([^>]*?)(/?)>")
_R = re.compile(rb'\sr="([A-Z]*)([0-9]+)"')
_ROW_NUMBER = re.compile(rb'\sr="([0-9]+)"')
_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+[0-9]+):([A-Z]+[0-9]+)"')
# the children of a worksheet that come after <legacyDrawing> (ECMA-376, CT_Worksheet)
_AFTER_LEGACY = {b"legacyDrawingHF", b"drawingHF", b"picture", b"oleObjects", b"controls", b"webPublishItems",
                 b"tableParts", b"extLst"}
_SHEET_VIEW = re.compile(rb"<sheetView\b[^>]*>")
_TAG = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)[^>]*?(/?)>")


def split(ref: str) -> tuple[int, int]:
    found = _REF.fullmatch(ref)
    if not found:
        raise Unsupported("cell reference")
    return int(found.group(2)), column_index_from_string(found.group(1))


def anchors(data: bytes) -> list[tuple[int, int, int, int]]:
    """The merged ranges of a sheet (they follow its cells)."""
    merged = []
    for first, last in _MERGE.findall(data, max(data.rfind(b"</sheetData>"), 0)):
        (r1, c1), (r2, c2) = split(first.decode()), split(last.decode())
        merged.append((r1, c1, r2, c2))
    return merged


def anchor(merged, row: int, column: int) -> tuple[int, int]:
    for r1, c1, r2, c2 in merged:
        if r1 <= row <= r2 and c1 <= column <= c2:
            return r1, c1
    return row, column


def _styled(cell_head: bytes, style: int) -> bytes:
    return parts.set_attr(cell_head, b"s", str(style).encode())


def _rewrite_row(row: bytes, number: int, wanted: dict[int, int]) -> bytes:
    """A row's XML with the format of the cells of `wanted` ({column: format}) set; missing cells are added."""
    head_end = row.index(b">") + 1
    head, body, closing = row[:head_end], row[head_end:], b""
    if head.endswith(b"/>"):
        head, body, closing = head[:-2] + b">", b"", b"</row>"
    else:
        body, closing = body[:-len(b"</row>")], b"</row>"
    out, pos, todo = [], 0, sorted(wanted)
    added = len(todo)
    for cell in _CELL.finditer(body):
        found = _R.search(cell.group(0))
        if not found:
            raise Unsupported("cell without reference")
        column = column_index_from_string(found.group(1).decode())
        while todo and todo[0] < column:
            c = todo.pop(0)
            out.append(body[pos:cell.start()])
            out.append(b'<c r="%s%d" s="%d"/>' % (get_column_letter(c).encode(), number, wanted[c]))
            pos = cell.start()
        if todo and todo[0] == column:
            todo.pop(0)
            added -= 1
            out.append(body[pos:cell.start()])
            out.append(_styled(cell.group(0), wanted[column]))
            pos = cell.end()
    out.append(body[pos:])
    for c in todo:
        out.append(b'<c r="%s%d" s="%d"/>' % (get_column_letter(c).encode(), number, wanted[c]))
    if added:  # a cell was added: the row's span hint may no longer hold
        head = parts.drop_attr(head, b"spans")
    return head + b"".join(out) + closing


def rewrite_sheet(data: bytes, wanted: dict[tuple[int, int], bytes], styles: parts.Styles,
                  drawing: str) -> list[bytes | memoryview]:
    """The sheet with each cell of `wanted` ({(row, column): fill}) filled (its own format kept otherwise), its tab
    not selected, and `<legacyDrawing r:id="drawing">` for the comments' shapes, as pieces to write one after the
    other: the rows that change and the parts before and after <sheetData> rewritten, the rest views of `data`
    (never copied: the zip's compressor reads them)."""
    _, open_end, close = parts.block(data, b"sheetData")
    view = memoryview(data)
    by_row: dict[int, dict[int, bytes]] = defaultdict(dict)
    for (r, c), fill in wanted.items():
        by_row[r][c] = fill
    rows = deque(sorted(by_row))
    head = data[:open_end]
    out, pos = [unselect(head)], open_end
    for match in _ROW.finditer(data, open_end, close):
        if not rows:
            break
        found = _ROW_NUMBER.search(match.group(1))
        if not found:
            raise Unsupported("row without number")
        number = int(found.group(1))
        while rows and rows[0] < number:
            r = rows.popleft()
            out.append(view[pos:match.start()])
            out.append(_new_row(r, by_row[r], styles))
            pos = match.start()
        if not rows or rows[0] != number:
            continue
        rows.popleft()
        end = match.end() if match.group(2) else data.index(b"</row>", match.end()) + len(b"</row>")
        row = data[match.start():end]
        out.append(view[pos:match.start()])
        out.append(_rewrite_row(row, number, _formats(row, by_row[number], styles)))
        pos = end
    out.append(view[pos:close])
    for r in rows:
        out.append(_new_row(r, by_row[r], styles))
    out.append(add_legacy_drawing(head, data[close:], drawing))
    return out


def _formats(row: bytes, fills: dict[int, bytes], styles: parts.Styles) -> dict[int, int]:
    """{column: the format of that cell with its fill}, from the cell's own format (or the row's, or 0)."""
    own: dict[int, int] = {}
    for cell in _CELL.finditer(row):
        found = _R.search(cell.group(0))
        if found and (column := column_index_from_string(found.group(1).decode())) in fills:
            style = re.search(rb'\ss="([0-9]+)"', cell.group(0))
            own[column] = int(style.group(1)) if style else 0
    head = row[:row.index(b">") + 1]
    row_style = re.search(rb'\ss="([0-9]+)"', head) if b'customFormat="1"' in head else None
    default = int(row_style.group(1)) if row_style else 0
    return {c: styles.with_fill(own.get(c, default), fill) for c, fill in fills.items()}


def _new_row(number: int, fills: dict[int, bytes], styles: parts.Styles) -> bytes:
    cells = b"".join(b'<c r="%s%d" s="%d"/>' % (get_column_letter(c).encode(), number, styles.with_fill(0, fill))
                     for c, fill in sorted(fills.items()))
    return b'<row r="%d">%s</row>' % (number, cells)


def add_legacy_drawing(head: bytes, tail: bytes, rel_id: str) -> bytes:
    """The end of a sheet (from </sheetData>) with `<legacyDrawing r:id=...>` where the schema wants it; `head` is
    the sheet's start, whose root element names the relationships' prefix."""
    root = re.search(rb"<worksheet\b[^>]*>", head)
    if root is None:
        raise Unsupported("worksheet prefix")
    prefix = re.search(rb'xmlns:([\w.-]+)="' + parts.REL.encode() + b'"', root.group(0))
    attr = (prefix.group(1) + b":id") if prefix else b'xmlns:r="' + parts.REL.encode() + b'" r:id'
    depth, insert = 0, tail.rindex(b"</worksheet>")
    for tag in _TAG.finditer(tail, len(b"</sheetData>"), insert):
        closing, name, empty = tag.groups()
        if closing:
            depth -= 1
            continue
        if depth == 0:
            if name == b"legacyDrawing":
                raise Unsupported("legacy drawing")
            if name in _AFTER_LEGACY:
                insert = tag.start()
                break
        if not empty:
            depth += 1
    return b"".join((tail[:insert], b"<legacyDrawing ", attr, b'="', rel_id.encode(), b'"/>', tail[insert:]))


def unselect(data: bytes) -> bytes:
    """A sheet's XML (or its start) with its tab no longer selected (only « Anomalies » is)."""
    pieces = unselect_pieces(data)
    return data if pieces is None else b"".join(pieces)


def unselect_pieces(data: bytes) -> list[bytes | memoryview] | None:
    """unselect(), as pieces of the sheet to write one after the other (views of `data`, never copied); None when
    the tab is not selected (the sheet stays as it is)."""
    end = data.find(b"<sheetData")
    view = _SHEET_VIEW.search(data, 0, end if end >= 0 else len(data))
    if view is None or b'tabSelected="1"' not in view.group(0):
        return None
    whole = memoryview(data)
    return [whole[:view.start()], parts.set_attr(view.group(0), b"tabSelected", b"0"), whole[view.end():]]
