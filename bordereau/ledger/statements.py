"""Reading tabular files that are not bordereaux: payment statements and rejection statements, CSV or workbooks,
their columns found by their headers like a bordereau's."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import BordereauError, WorkbookUnreadable
from ..layout import find_header, label_index
from ..workbook import open_sheets


def _csv_rows(path: Path) -> list[list]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t|")
    except csv.Error:
        dialect = csv.excel
        dialect.delimiter = ";"
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def read_table(path: Path, labels: dict[str, tuple[str, ...]], required: tuple[str, ...],
               what: str) -> list[dict]:
    """Rows of the first sheet (or CSV) whose header names the `required` columns, as {key: raw value, "_row": n}."""
    if not path.exists():
        raise BordereauError(f"{path} : fichier introuvable")
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
                continue
            out.append({**values, "_row": number})
        return out
    names = ", ".join(labels[k][0] for k in required)
    raise BordereauError(f"{path} : aucun tableau de {what} reconnu (colonnes attendues : {names})")
