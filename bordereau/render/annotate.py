"""Annotated copies: the centre's own workbook with each faulty cell filled (red: error, orange: warning) and
commented, and a first sheet « Anomalies » listing every finding with a link to its cell. The input is never
modified: the copy is written beside the other outputs, atomically.

The copy opens on « Anomalies », the only selected sheet (two selected sheets are grouped: typing in one writes in
both). Its custom properties record a digest of each sheet (see provenance.py), so that a corrected copy sent back is
read like any workbook while the untouched « Anomalies » sheet is not. Copies of .xls and .ods inputs, rebuilt from
their values, show dates as dates and amounts in euros."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import zipfile
from collections import defaultdict
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import quote_sheetname
from openpyxl.writer.excel import ExcelWriter

from bordereau import clock
from bordereau.errors import BordereauError
from bordereau.files import atomic_path
from bordereau.findings import Finding
from bordereau.fixes import fix
from bordereau.read import provenance
from bordereau.read.layout import MONEY_COLUMNS, find_table
from bordereau.read.workbook import open_sheets
from bordereau.render.xlsx import clean, put
from bordereau.render.xlsx_print import setup_openpyxl

ERROR_FILL = PatternFill("solid", fgColor="FF8080")
WARNING_FILL = PatternFill("solid", fgColor="FFC000")
LINK_FONT = Font(color="0563C1", underline="single")
HEADERS = ("Gravité", "Code", "Feuille", "Cellule", "Élève", "Message", "Pour corriger")
DATE_FORMAT = "DD/MM/YYYY"
EURO_FORMAT = '#,##0.00\\ "€"'


def output_path(source: Path, folder: Path, name: str | None = None) -> Path:
    suffix = ".xlsm" if source.suffix.lower() == ".xlsm" else ".xlsx"
    return folder / (name.replace(".xlsx", suffix) if name else f"{source.stem}-anomalies{suffix}")


class CopyFailed(Exception):
    """The annotated copy of one workbook could not be made; the message says why, in French."""


def _load(source: Path) -> tuple[openpyxl.Workbook, dict[str, str], str | None]:
    """The workbook to annotate, the name each sheet has in it ({input sheet: copy sheet}), and a note when the copy
    could not keep the original's formatting. An .xls or .ods input, or an xlsx that openpyxl cannot load (a part
    missing, a character XML forbids, a cell type it does not know), is copied from the values the check read."""
    if source.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            book = openpyxl.load_workbook(source, keep_vba=source.suffix.lower() == ".xlsm", rich_text=True)
            return book, {name: name for name in book.sheetnames}, None
        except Exception as exc:  # openpyxl raises many types for what it cannot load
            note = f"mise en forme non reprise : openpyxl ne peut pas ouvrir ce classeur ({exc.__class__.__name__})"
            return (*_values_copy(source), note)
    return (*_values_copy(source), None)


def _values_copy(source: Path) -> tuple[openpyxl.Workbook, dict[str, str]]:
    """A new workbook holding the values of every sheet; user text stays text (never a formula)."""
    book = openpyxl.Workbook()
    book.properties.created = _utc_now()  # the workbook is made now, by the tool's clock
    book.remove(book.active)
    names: dict[str, str] = {}
    for sheet in open_sheets(source):
        ws = book.create_sheet(_sheet_title(sheet.name, book.sheetnames))
        names[sheet.name] = ws.title
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value != "" and value is not None:
                    put(ws.cell(r, c), value)
        _formats(ws, sheet)
    return book, names


def _sheet_title(name: str, taken: list[str]) -> str:
    """A title Excel accepts (31 characters, none of \\ / ? * [ ] :), distinct from those taken.

    >>> _sheet_title("Octobre/2026", []), _sheet_title("a:b", ["a_b"]), len(_sheet_title("x" * 40, []))
    ('Octobre_2026', 'a_b (2)', 31)
    """
    base = re.sub(r"[\\/?*\[\]:]", "_", name).strip("'")[:31] or "Feuille"
    title, n = base, 2
    while title.lower() in (t.lower() for t in taken):
        title = f"{base[:31 - len(str(n)) - 3]} ({n})"
        n += 1
    return title


def _anchor(ws, ref: str) -> str:
    """The cell that carries a comment for `ref`: the top-left cell of the merged range that holds it."""
    for merged in ws.merged_cells.ranges:
        if ref in merged:
            return merged.start_cell.coordinate
    return ref


def _formats(ws, sheet) -> None:
    """Dates shown as dates (JJ/MM/AAAA) and the bordereau's amount columns in euros, as in the centre's file."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.is_date:
                cell.number_format = DATE_FORMAT
    table = find_table(sheet)
    if table is None:
        return
    money = [c.index + 1 for key, c in table.columns.items() if key in MONEY_COLUMNS]
    for column in money:
        for (cell,) in ws.iter_rows(min_row=table.header_row + 1, min_col=column, max_col=column):
            if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                cell.number_format = EURO_FORMAT


def annotate(source: Path, findings: list[Finding], folder: Path, name: str | None = None,
             inputs: tuple[Path, ...] = (), pupils: dict[tuple, str] | None = None) -> tuple[Path, str | None]:
    """Write the annotated copy of `source` into `folder`; returns its path and a note when the copy could not keep
    the original's formatting. Raises CopyFailed when no copy could be written. `pupils` names the pupil of each
    line, (path, sheet, row) -> « NOM P. »."""
    target = output_path(source, folder, name)
    if source.suffix.lower() in (".xlsx", ".xlsm") and _by_parts(source, findings, target, inputs, pupils or {}):
        return target, None
    try:
        book, names, note = _load(source)
    except Exception as exc:
        raise CopyFailed(f"classeur illisible pour la copie ({exc.__class__.__name__})") from None
    try:
        own = _mark(book, findings, names, pupils or {})
        with atomic_path(target, inputs=(source, *inputs)) as temp:
            _save(book, temp)
            _stamp(book, temp, own)
    except (OSError, BordereauError):  # the folder cannot be written (read-only, full, a file): exit 2
        raise
    except Exception as exc:  # openpyxl cannot write what it loaded
        raise CopyFailed(f"écriture de la copie impossible ({exc.__class__.__name__})") from None
    return target, note


class _OtherRoad(Exception):
    """The copy cannot be made by editing the workbook's parts: openpyxl makes it."""


def _by_parts(source: Path, findings: list[Finding], target: Path, inputs: tuple[Path, ...],
              pupils: dict[tuple, str]) -> bool:
    """The copy made by editing the workbook's parts (annotate_parts), fast and keeping everything else byte for
    byte; False when that road cannot make it (openpyxl then does)."""
    from bordereau.render import annotate_parts

    try:
        sheet_names = [s.name for s in annotate_parts.sheet_list(source)]
    except Exception:  # a part missing or damaged: openpyxl, or the copy of the values, will say
        return False
    try:
        with atomic_path(target, inputs=(source, *inputs)) as temp:
            small = openpyxl.Workbook()
            small.remove(small.active)
            own = _findings_sheet(small, findings, {n: n for n in sheet_names}, pupils, taken=sheet_names)
            buffer = io.BytesIO()
            _save(small, buffer)
            try:
                copy = annotate_parts.prepare(source, findings, buffer.getvalue(), own)
            except Exception:  # Unsupported, or a part these edits do not understand
                raise _OtherRoad from None
            copy.write(temp)
            copy.stamp(temp, provenance.PROPERTY, _record(source, temp, own, buffer.getvalue()))
    except _OtherRoad:
        return False
    except (OSError, BordereauError):  # the folder cannot be written (read-only, full, a file): exit 2
        raise
    except Exception as exc:  # openpyxl cannot write the findings
        raise CopyFailed(f"écriture de la copie impossible ({exc.__class__.__name__})") from None
    return True


def _record(source: Path, temp: Path, own: str, small: bytes) -> str:
    """The provenance record of the copy `temp` of `source`: its sheets' values are the source's (only formats,
    comments and « Anomalies » are added), so the digests the check kept of them (provenance.keeping) are the copy's,
    and « Anomalies »' values are those of the small workbook openpyxl wrote; without kept digests, the copy is
    read back. tests/test_annotate_parts.py proves both give the same record."""
    digests = provenance.kept(source)
    if digests is None:
        return provenance.record(open_sheets(temp), [own])
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(small))
    rows = book.get_sheet_by_name(own).to_python(skip_empty_area=False)
    return provenance.record_of(own, provenance.sheet_digest(own, rows), digests)


def _mark(book: openpyxl.Workbook, findings: list[Finding], names: dict[str, str], pupils: dict[tuple, str]) -> str:
    """Fill and comment each cell a finding is about, and add the « Anomalies » sheet (its name is returned)."""
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.sheet in names and f.cell:
            ws = book[names[f.sheet]]
            by_cell[(ws.title, _anchor(ws, f.cell))].append(f)
    for (sheet, ref), items in by_cell.items():
        cell = book[sheet][ref]
        cell.fill = ERROR_FILL if any(f.severity == "error" for f in items) else WARNING_FILL
        text = "\n".join(f"{'Erreur' if f.severity == 'error' else 'Avertissement'} {f.code} : {f.message}"
                         for f in items)
        cell.comment = Comment(clean(text), "bordereau", width=320, height=40 + 40 * len(items))
    return _findings_sheet(book, findings, names, pupils)


def _stamp(book: openpyxl.Workbook, temp: Path, own: str) -> None:
    """Record the digest of every sheet as written (read back by the reader that will read it), then save again:
    properties are not cell values, the digests still hold."""
    note = provenance.record(open_sheets(temp), [own])
    props = book.custom_doc_props
    for prop in [p for p in props.props if p.name == provenance.PROPERTY]:  # a copy of a copy
        props.props.remove(prop)
    props.append(StringProperty(name=provenance.PROPERTY, value=note))
    _save(book, temp)


def _utc_now() -> dt.datetime:
    """The tool's clock in UTC, naive, as openpyxl writes docProps/core.xml's dates."""
    return clock.now().astimezone(dt.UTC).replace(tzinfo=None)


def _save(book: openpyxl.Workbook, path: Path | io.BytesIO) -> None:
    """`book.save(path)`, with the tool's clock as the copy's modification date: openpyxl's own save stamps the
    machine's (`--today` sets every date the tool writes). Should openpyxl fail half-way, the archive is closed
    here (openpyxl leaves it open, and Python would later report it, collected, as an ignored exception)."""
    book.properties.modified = _utc_now()
    archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    try:
        ExcelWriter(book, archive).save()  # closes the archive once written
    except BaseException:
        with contextlib.suppress(Exception):
            archive.close()
        raise


def _findings_sheet(book: openpyxl.Workbook, findings: list[Finding], names: dict[str, str],
                    pupils: dict[tuple, str], taken: list[str] = ()) -> str:
    name = "Anomalies"
    while name.lower() in {n.lower() for n in (*book.sheetnames, *taken)}:  # Excel's names ignore case
        name += "_"
    ws = book.create_sheet(name, 0)
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row, f in enumerate(findings, start=2):  # one row each, below the headers (ws.max_row scans every cell)
        put(ws.cell(row, 1), "erreur" if f.severity == "error" else "avertissement")
        put(ws.cell(row, 2), f.code)
        put(ws.cell(row, 3), f.sheet or "")
        link = put(ws.cell(row, 4), f.cell or "")
        if f.cell and f.sheet in names:
            link.hyperlink = f"#{quote_sheetname(names[f.sheet])}!{f.cell}"
            link.font = LINK_FONT
        put(ws.cell(row, 5), pupils.get((f.path, f.sheet, f.row), ""))
        put(ws.cell(row, 6), f.message)
        put(ws.cell(row, 7), fix(f.code))
        ws.cell(row, 1).fill = ERROR_FILL if f.severity == "error" else WARNING_FILL
    if not findings:
        ws.append(["", "", "", "", "", "Aucune anomalie"])
    for letter, width in zip("ABCDEFG", (14, 26, 16, 9, 18, 80, 60), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    setup_openpyxl(ws, "Anomalies du bordereau", "Anomalies", "1:1")
    book.active = 0
    for sheet in book.worksheets:  # only « Anomalies » selected: never two sheets grouped
        sheet.sheet_view.tabSelected = sheet is ws
    return name
