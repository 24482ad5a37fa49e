"""Reading tabular files that are not bordereaux: payment statements and rejection statements, CSV or workbooks,
their columns found by their headers like a bordereau's.

A CSV's encoding is detected: UTF-8 (with or without BOM), UTF-16 with a BOM, else cp1252 (what banks and the Trésor
export); its delimiter is sniffed.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from bordereau.errors import BordereauError, WorkbookUnreadable
from bordereau.read.layout import find_header, label_index
from bordereau.read.workbook import open_sheets


def decode(raw: bytes) -> str:
    """The text of a CSV file, whatever encoding a bank or a spreadsheet gave it.

    >>> decode("Libellé".encode("cp1252")), decode("Libellé".encode("utf-8-sig")), decode("é".encode("utf-16"))
    ('Libellé', 'Libellé', 'é')
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # every byte is a character in cp1252 but five


def _csv_rows(path: Path) -> list[list]:
    text = decode(path.read_bytes())
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t|")
    except csv.Error:
        dialect = csv.excel
        dialect.delimiter = ";"
    return [row for row in csv.reader(io.StringIO(text), dialect)]


@dataclass(frozen=True)
class Table:
    rows: list[dict]  # {key: raw value, "_row": n} per non-empty row under the header
    preamble: list[list]  # the rows above the header (a bank statement's account, period...)
    columns: frozenset[str]  # the keys found in the header


def read_table(path: Path, labels: dict[str, tuple[str, ...]], required: tuple[str, ...],
               what: str) -> list[dict]:
    """Rows of the first sheet (or CSV) whose header names the `required` columns, as {key: raw value, "_row": n}."""
    return find_table(path, labels, required, what).rows


def must_be_a_file(path: Path) -> None:
    """Refuse, in French, a statement path that is missing or a folder: the commands say so before they open (or
    create) the ledger."""
    if not path.exists():
        raise BordereauError(f"{path} : fichier introuvable")
    if path.is_dir():  # the reader said « lecture impossible (Is a directory) », in English
        raise BordereauError(f"{path} : c'est un dossier ; donnez le fichier lui-même (.csv, .xlsx)")


def find_table(path: Path, labels: dict[str, tuple[str, ...]], required: tuple[str, ...], what: str,
               stop_at_blank: bool = False) -> Table:
    """The table of `read_table`, with the rows above its header; with `stop_at_blank`, the table ends at its first
    empty row (what follows, a signature block, is not read)."""
    must_be_a_file(path)
    try:
        sheets = [("", _csv_rows(path))] if path.suffix.lower() in (".csv", ".txt") else [
            (s.name, s.rows) for s in open_sheets(path)]
    except WorkbookUnreadable as exc:
        raise BordereauError(f"{path} : {exc}") from None
    by_label = label_index(labels)
    for _, rows in sheets:
        found = find_header(rows, by_label, len(required))
        if found is None or not set(required) <= set(found[1]):
            continue
        header, columns = found
        out = []
        for number, row in enumerate(rows[header + 1:], start=header + 2):
            values = {key: (row[c.index] if c.index < len(row) else None) for key, c in columns.items()}
            if all(v in (None, "") or (isinstance(v, str) and not v.strip()) for v in values.values()):
                if stop_at_blank:
                    break
                continue
            out.append({**values, "_row": number})
        return Table(out, rows[:header], frozenset(columns))
    names = ", ".join(labels[k][0] for k in required)
    raise BordereauError(f"{path} : aucun tableau de {what} reconnu (colonnes attendues : {names})")
