"""Annotated copies: the centre's own workbook with each faulty cell filled (red: error, orange: warning) and
commented, and a first sheet « Anomalies » listing every finding with a link to its cell. The input is never
modified: the copy is written beside the other outputs, atomically."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import quote_sheetname

from ..errors import UsageError
from ..files import atomic_path
from ..findings import Finding
from ..workbook import open_sheets
from ..xlsx import clean, put

ERROR_FILL = PatternFill("solid", fgColor="FF8080")
WARNING_FILL = PatternFill("solid", fgColor="FFC000")
HEADERS = ("Gravité", "Code", "Feuille", "Cellule", "Message")


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
    book.remove(book.active)
    names: dict[str, str] = {}
    for sheet in open_sheets(source):
        ws = book.create_sheet(_sheet_title(sheet.name, book.sheetnames))
        names[sheet.name] = ws.title
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value != "" and value is not None:
                    put(ws.cell(r, c), value)
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


def annotate(source: Path, findings: list[Finding], folder: Path, name: str | None = None,
             inputs: tuple[Path, ...] = ()) -> tuple[Path, str | None]:
    """Write the annotated copy of `source` into `folder`; returns its path and a note when the copy could not keep
    the original's formatting. Raises CopyFailed when no copy could be written."""
    try:
        book, names, note = _load(source)
    except Exception as exc:
        raise CopyFailed(f"classeur illisible pour la copie ({exc.__class__.__name__})") from None
    target = output_path(source, folder, name)
    try:
        _mark(book, findings, names)
        with atomic_path(target, inputs=(source, *inputs)) as temp:
            book.save(temp)
    except (OSError, UsageError):
        raise
    except Exception as exc:  # openpyxl cannot write what it loaded
        raise CopyFailed(f"écriture de la copie impossible ({exc.__class__.__name__})") from None
    return target, note


def _mark(book: openpyxl.Workbook, findings: list[Finding], names: dict[str, str]) -> None:
    """Fill and comment each cell a finding is about, and add the « Anomalies » sheet."""
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
    _findings_sheet(book, findings, names)


def _findings_sheet(book: openpyxl.Workbook, findings: list[Finding], names: dict[str, str]) -> None:
    name = "Anomalies"
    while name in book.sheetnames:
        name += "_"
    ws = book.create_sheet(name, 0)
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for f in findings:
        row = ws.max_row + 1
        put(ws.cell(row, 1), "erreur" if f.severity == "error" else "avertissement")
        put(ws.cell(row, 2), f.code)
        put(ws.cell(row, 3), f.sheet or "")
        link = put(ws.cell(row, 4), f.cell or "")
        if f.cell and f.sheet in names:
            link.hyperlink = f"#{quote_sheetname(names[f.sheet])}!{f.cell}"
            link.font = Font(color="0563C1", underline="single")
        put(ws.cell(row, 5), f.message)
        ws.cell(row, 1).fill = ERROR_FILL if f.severity == "error" else WARNING_FILL
    if not findings:
        ws.append(["", "", "", "", "Aucune anomalie"])
    for letter, width in zip("ABCDE", (14, 26, 16, 9, 100), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    book.active = 0
