"""Opening a workbook safely and reading its cell values with python-calamine.

Before calamine decompresses anything, the file's size and its zip table of contents are inspected (entry count,
total uncompressed size, compression ratio): calamine itself sets no limit. Problems raise WorkbookUnreadable with a
French reason; the caller turns it into a FILE_UNREADABLE finding.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import ParseError

import python_calamine as calamine
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedET

from bordereau.errors import WorkbookUnreadable, os_cause
from bordereau.read.extent import column_number, ods_extents, quick_extent, xlsx_extent

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 100 * 2**20
    max_entries: int = 10_000
    max_uncompressed: int = 512 * 2**20
    max_ratio: int = 200
    max_rows: int = 1_048_576
    max_cells: int = 10_000_000  # rows x columns from A1 to the farthest cell: calamine allocates all of it


LIMITS = Limits()
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class RawSheet:
    name: str
    rows: list[list]  # cell values from A1, as calamine gives them


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} Mio"


# what zipfile and zlib raise on a damaged archive: bad CRC, truncated stream, a flag saying "encrypted", a
# compression method or a zip version it does not know...
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, ValueError, KeyError,
               OSError, struct.error, MemoryError)
_CORRUPT = "archive corrompue (le fichier n'est pas un classeur Excel valide)"


def _inspect_zip(path: Path, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > limits.max_entries:
                raise WorkbookUnreadable(f"{len(entries)} éléments dans l'archive (limite {limits.max_entries})")
            total = sum(e.file_size for e in entries)
            if total > limits.max_uncompressed:
                raise WorkbookUnreadable(
                    f"contenu décompressé de {_mib(total)} (limite {_mib(limits.max_uncompressed)})")
            for e in entries:
                if e.file_size > 2**20 and e.file_size > limits.max_ratio * max(e.compress_size, 1):
                    raise WorkbookUnreadable(
                        f"taux de compression anormal ({e.file_size // max(e.compress_size, 1)}:1 pour {e.filename}) :"
                        " fichier suspect (bombe de décompression)")
            names = [e.filename for e in entries]
            _check_extents(archive, names, limits)
    except WorkbookUnreadable:
        raise
    except _ZIP_ERRORS:
        raise WorkbookUnreadable(_CORRUPT) from None


_DIMENSION = re.compile(rb'<dimension\b[^>]*\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _too_large(what: str, rows: int, columns: int, limits: Limits) -> None:
    if rows > limits.max_rows or rows * columns > limits.max_cells:
        raise WorkbookUnreadable(
            f"{what} de {rows} lignes sur {columns} colonnes : trop grande (limite {limits.max_cells:_} cellules)"
            .replace("_", "\u202f") + " ; supprimez les cellules isolées loin du tableau")


def _check_extents(archive: zipfile.ZipFile, names: list[str], limits: Limits) -> None:
    """Every sheet's used range, as its `<dimension>` declares it and as its cells really reach, before calamine
    allocates it: a stray cell in XFD1048576 makes calamine ask for 100 GB and abort the process."""
    sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    for part in sheets:
        with archive.open(part) as handle:
            head = handle.read(4096)
        found = _DIMENSION.search(head)
        if found and found.group(3):
            rows = int(found.group(4)) - int(found.group(2)) + 1
            columns = column_number(found.group(3)) - column_number(found.group(1)) + 1
            used = b"%s%s:%s%s" % found.group(1, 2, 3, 4)
            _too_large(f"plage utilisée {used.decode()}", rows, columns, limits)
        bound = quick_extent(archive, part)
        if bound is None or bound[0] > limits.max_rows or bound[0] * bound[1] > limits.max_cells:
            rows, columns = xlsx_extent(archive, part)  # exact: the bound may be far above the truth
            _too_large("feuille", rows, columns, limits)
    if not sheets and "content.xml" in names:
        for rows, columns in ods_extents(archive):
            _too_large("feuille", rows, columns, limits)


def open_sheets(path: Path, limits: Limits = LIMITS) -> list[RawSheet]:
    """Every worksheet of a workbook, as rows of values starting at A1."""
    guard(path, limits)
    return parse_sheets(path, limits)


def guard(path: Path, limits: Limits = LIMITS) -> None:
    """What must hold before calamine opens the file: its size, its zip table of contents, each sheet's extent."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            magic = handle.read(8)
    except OSError as exc:
        raise WorkbookUnreadable(f"lecture impossible : {os_cause(exc, reading=True)}") from None  # strerror is English
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


def parse_sheets(path: Path, limits: Limits = LIMITS) -> list[RawSheet]:
    """The worksheets as calamine reads them, once `guard` has passed (never before: see open_sheets)."""
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
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # calamine raises unrelated types, and a Rust panic is a BaseException
        raise WorkbookUnreadable(f"classeur corrompu ou format non reconnu ({exc.__class__.__name__})") from None
    if not sheets:
        raise WorkbookUnreadable("aucune feuille de calcul")
    return sheets


_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)\br=\"([A-Z]+\d+)\"([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)


_FORMULA = re.compile(rb"<(?:\w+:)?f\b")


def _may_hold_problems(xml: bytes) -> bool:
    """False when no cell of the sheet can be a formula or an error value, found without a step per cell (a sheet of
    100,000 lines takes seconds cell by cell): an error cell's attributes hold `"e"` however the per-cell test reads
    them, and a formula's `<f>` (or `<x:f>`) lies in the cell's body.

    >>> _may_hold_problems(b'<c r="A1"><v>1</v></c>'), _may_hold_problems(b'<c r="A1"><f>B1</f></c>')
    (False, True)
    >>> _may_hold_problems(b'<c r="A1" t="e"><v>#N/A</v></c>'), _may_hold_problems(b'<x:c r="A1"><x:f>1</x:f></x:c>')
    (True, True)
    """
    if b'"e"' in xml:
        return True
    return (b"<f" in xml or b":f" in xml) and _FORMULA.search(xml) is not None


def formula_problems(path: Path, sheet_name: str) -> dict[str, str]:
    """Cells of an xlsx sheet that calamine reads as empty although they are not: {cell: ""} for a formula with no
    cached value (the workbook was never recalculated), {cell: "#DIV/0!"} for an error value. Only the sheet's XML
    tells them apart from empty cells. A part that cannot be found or read gives no cell.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            target = _sheet_part(archive, sheet_name)
            if target is None:
                return {}
            xml = archive.read(target)
    except (*_ZIP_ERRORS, ParseError, DefusedXmlException):
        return {}
    if not _may_hold_problems(xml):
        return {}
    cells = {}
    for match in _CELL.finditer(xml):
        attributes, body = match.group(1) + match.group(3), match.group(4) or b""
        if re.search(rb'\bt="e"', attributes):
            value = re.search(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>", body)
            cells[match.group(2).decode()] = value.group(1).decode("utf-8", "replace") if value else "#ERREUR"
        elif re.search(rb"<(?:\w+:)?f\b", body) and not re.search(rb"<(?:\w+:)?v>[^<]+</", body):
            cells[match.group(2).decode()] = ""
    return cells


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The zip part of a sheet, from workbook.xml and its relationships, parsed as XML (any prefix, any attribute
    order, character references)."""
    workbook = DefusedET.fromstring(archive.read("xl/workbook.xml"))
    rels = DefusedET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for sheet in workbook.iter():
        if _local(sheet.tag) != "sheet" or sheet.get("name") != sheet_name:
            continue
        rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
        for rel in rels.iter():
            if _local(rel.tag) == "Relationship" and rel.get("Id") == rid and rel.get("Target"):
                target = rel.get("Target")
                return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return None
