"""Opening a workbook safely and reading its cell values with python-calamine.

Before calamine decompresses anything, the file's size and its zip table of contents are inspected (entry count,
total uncompressed size, compression ratio): calamine itself sets no limit. Problems raise WorkbookUnreadable with a
French reason; the caller turns it into a FILE_UNREADABLE finding.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import unescape

import python_calamine as calamine

from .errors import WorkbookUnreadable

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 100 * 2**20
    max_entries: int = 10_000
    max_uncompressed: int = 512 * 2**20
    max_ratio: int = 200
    max_rows: int = 1_048_576
    max_cells: int = 30_000_000  # rows x columns of a sheet's used range: calamine allocates all of it


LIMITS = Limits()
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class RawSheet:
    name: str
    rows: list[list]  # cell values from A1, as calamine gives them


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} Mio"


def _inspect_zip(path: Path, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise WorkbookUnreadable("archive corrompue (le fichier n'est pas un classeur Excel valide)") from None
    if len(entries) > limits.max_entries:
        raise WorkbookUnreadable(f"{len(entries)} éléments dans l'archive (limite {limits.max_entries})")
    total = sum(e.file_size for e in entries)
    if total > limits.max_uncompressed:
        raise WorkbookUnreadable(f"contenu décompressé de {_mib(total)} (limite {_mib(limits.max_uncompressed)})")
    for e in entries:
        if e.file_size > 2**20 and e.file_size > limits.max_ratio * max(e.compress_size, 1):
            raise WorkbookUnreadable(
                f"taux de compression anormal ({e.file_size // max(e.compress_size, 1)}:1 pour {e.filename}) : "
                "fichier suspect (bombe de décompression)")
    _check_dimensions(path, [e.filename for e in entries if e.filename.startswith("xl/worksheets/")], limits)


_DIMENSION = re.compile(rb'<dimension\b[^>]*\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _column_number(letters: bytes) -> int:
    n = 0
    for c in letters:
        n = n * 26 + c - 64
    return n


def _check_dimensions(path: Path, parts: list[str], limits: Limits) -> None:
    """A sheet's used range, as its XML declares it before any cell: a stray cell in XFD1048576 makes calamine
    allocate rows x columns cells (100 GB), which would kill the process before any Python code could react."""
    with zipfile.ZipFile(path) as archive:
        for part in parts:
            with archive.open(part) as handle:
                head = handle.read(4096)
            found = _DIMENSION.search(head)
            if not found or not found.group(3):
                continue
            rows = int(found.group(4)) - int(found.group(2)) + 1
            columns = _column_number(found.group(3)) - _column_number(found.group(1)) + 1
            if rows > limits.max_rows or rows * columns > limits.max_cells:
                raise WorkbookUnreadable(
                    f"plage utilisée {found.group(1).decode()}{found.group(2).decode()}:{found.group(3).decode()}"
                    f"{found.group(4).decode()} de {rows} lignes sur {columns} colonnes : trop grande ; supprimez les "
                    "cellules isolées loin du tableau")


def open_sheets(path: Path, limits: Limits = LIMITS) -> list[RawSheet]:
    """Every worksheet of a workbook, as rows of values starting at A1."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            magic = handle.read(8)
    except OSError as exc:
        raise WorkbookUnreadable(f"lecture impossible ({exc.strerror})") from None
    if size == 0:
        raise WorkbookUnreadable("fichier vide")
    if size > limits.max_bytes:
        raise WorkbookUnreadable(f"fichier de {_mib(size)} (limite {_mib(limits.max_bytes)})")
    suffix = path.suffix.lower()
    if magic.startswith(b"PK"):
        _inspect_zip(path, limits)
    elif magic == _OLE_MAGIC and suffix != ".xls":
        raise WorkbookUnreadable("classeur protégé par mot de passe (chiffré) : enregistrez-le sans mot de passe")
    elif magic != _OLE_MAGIC:
        raise WorkbookUnreadable("ce n'est pas un classeur Excel (.xlsx, .xlsm, .xls) ni OpenDocument (.ods)")
    try:
        workbook = calamine.CalamineWorkbook.from_path(str(path))
        sheets = []
        for meta in workbook.sheets_metadata:
            if meta.typ != calamine.SheetTypeEnum.WorkSheet:
                continue
            sheet = workbook.get_sheet_by_name(meta.name)
            if sheet.height > limits.max_rows:
                raise WorkbookUnreadable(f"feuille « {meta.name} » de {sheet.height} lignes (limite {limits.max_rows})")
            sheets.append(RawSheet(meta.name, sheet.to_python(skip_empty_area=False)))
        workbook.close()
    except calamine.PasswordError:
        raise WorkbookUnreadable("classeur protégé par mot de passe : enregistrez-le sans mot de passe") from None
    except WorkbookUnreadable:
        raise
    except Exception as exc:  # calamine raises several unrelated types for corrupt files
        raise WorkbookUnreadable(f"classeur corrompu ou format non reconnu ({exc.__class__.__name__})") from None
    if not sheets:
        raise WorkbookUnreadable("aucune feuille de calcul")
    return sheets


_CELL = re.compile(rb"<c\b([^>]*?)\br=\"([A-Z]+\d+)\"([^>]*?)(?:/>|>(.*?)</c>)", re.S)


def formula_problems(path: Path, sheet_name: str) -> dict[str, str]:
    """Cells of an xlsx sheet that calamine reads as empty although they are not: {cell: ""} for a formula with no
    cached value (the workbook was never recalculated), {cell: "#DIV/0!"} for an error value. Only the sheet's XML
    tells them apart from empty cells.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            target = _sheet_part(archive, sheet_name)
            if target is None:
                return set()
            xml = archive.read(target)
    except (zipfile.BadZipFile, KeyError, OSError):
        return set()
    cells = {}
    for match in _CELL.finditer(xml):
        attributes, body = match.group(1) + match.group(3), match.group(4) or b""
        if re.search(rb'\bt="e"', attributes):
            value = re.search(rb"<v>([^<]*)</v>", body)
            cells[match.group(2).decode()] = value.group(1).decode() if value else "#ERREUR"
        elif b"<f" in body and not re.search(rb"<v>[^<]+</v>", body):
            cells[match.group(2).decode()] = ""
    return cells


def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    for name, rid in re.findall(r'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"', workbook):
        if unescape(name, {"&quot;": '"', "&apos;": "'"}) == sheet_name:
            found = re.search(rf'<Relationship\b[^>]*?Id="{re.escape(rid)}"[^>]*?Target="([^"]*)"', rels) or \
                re.search(rf'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="{re.escape(rid)}"', rels)
            if found:
                target = found.group(1)
                return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return None
