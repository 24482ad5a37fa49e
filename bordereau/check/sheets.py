"""Rules about a whole table: its columns, its header block (centre, FINESS, period), its totals row.

A FINESS given once in the header block is checked once, at its cell; a FINESS given in a column is checked per
distinct value and reported on each line that carries it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from bordereau.distinct import group_codes
from bordereau.findings import Finding, make
from bordereau.identifiers import finess_compact, finess_problem
from bordereau.money import format_eur, from_cents
from bordereau.read.layout import COLUMNS, MONEY_COLUMNS, Table
from bordereau.read.lines import INVALID, parse_cents, parse_date
from bordereau.reference.data import Reference
from bordereau.text import clean_text

FINESS_KINDS = {"finess_geographique": "géographique", "finess_juridique": "juridique"}
_IMPLAUSIBLE = 10**11  # cents: a billion euros, beyond any bordereau
TOTALS_ONLY = frozenset({"CLAIMED_TOTAL_MISMATCH"})  # codes about a totals row only: they leave its lines alone


def missing_columns(table: Table, path: str) -> list[Finding]:
    findings = []
    for key, (label, required, _) in COLUMNS.items():
        if key in table.columns:
            continue
        if required or (key.startswith("finess") and key not in table.block):
            findings.append(make("COLUMN_MISSING", path, table.sheet, None, None, key, label=label))
    return findings


def period(table: Table, path: str) -> tuple[pd.Timestamp, pd.Timestamp, list[Finding]]:
    """The period of the header block (NaT when absent) and the findings about unreadable dates."""
    bounds, findings = [], []
    for key, label in (("periode_debut", "Période du"), ("periode_fin", "au")):
        value = parse_date(table.block[key][0]) if key in table.block else None
        if value is INVALID:
            cell = table.block[key][1]
            findings.append(make("DATE_INVALID", path, table.sheet, _row(cell), cell, key, label=label,
                                 value=str(table.block[key][0])))
            value = None
        bounds.append(pd.Timestamp(value) if value else pd.NaT)
    return bounds[0], bounds[1], findings


def _row(cell: str) -> int:
    return int(cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def finess(table: Table, path: str, frame: pd.DataFrame, ref: Reference) -> Iterator[Finding]:
    """FINESS_INVALID, CENTRE_UNKNOWN and FINESS_MISMATCH, at the header-block cell or on each line."""
    absent = pd.Series(None, index=frame.index, dtype=object)
    geo = frame.get("finess_geographique", absent)
    legal = frame.get("finess_juridique", absent)
    groups = _pairs(geo, legal, frame.index)
    if frame.empty:  # a table without lines: its header block is still checked
        groups = {tuple(_compact(table.block.get(k, (None,))[0]) for k in ("finess_geographique", "finess_juridique")):
                  pd.Index([])}
    for (g, j), rows in groups.items():
        g, j = (None if v is None or v != v else v for v in (g, j))
        for code, key, values in _finess_problems(g, j, ref):
            yield from _at(table, path, frame, rows, code, key, values)


def _pairs(geo: pd.Series, legal: pd.Series, index: pd.Index) -> dict[tuple, pd.Index]:
    """The lines (index labels) of each distinct (FINESS géographique, juridique) pair, in order of first appearance;
    a missing FINESS is None."""
    if not len(index):
        return {}
    codes, firsts = group_codes([geo, legal])
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(firsts)))[:-1]
    values = [[None if v is None or v != v else v for v in column.to_numpy(dtype=object)[firsts].tolist()]
              for column in (geo, legal)]
    return {pair: index[rows] for pair, rows in zip(zip(*values, strict=True), np.split(order, bounds), strict=True)}


def _compact(value: object) -> str | None:
    """A header-block FINESS as the lines carry it (typed as a number, a boolean, text with spaces...).

    >>> _compact(590780102.0), _compact(True), _compact("  "), _compact(None)
    ('590780102', 'TRUE', None, None)
    """
    return None if clean_text(value) is None else finess_compact(value)


def _finess_problems(geo: str | None, legal: str | None, ref: Reference) -> Iterator[tuple[str, str, dict]]:
    geo_ok = True
    for key, value in (("finess_geographique", geo), ("finess_juridique", legal)):
        if value is None:
            continue
        problem = finess_problem(value)
        if problem:
            geo_ok = geo_ok and key != "finess_geographique"
            yield "FINESS_INVALID", key, {"kind": FINESS_KINDS[key], "value": value, "reason": problem}
    if geo is None or not geo_ok:
        return
    centre = ref.centre_by_finess.get(geo)
    if centre is None:
        yield "CENTRE_UNKNOWN", "finess_geographique", {
            "detail": f"FINESS géographique « {geo} » : aucun centre de centres.yaml ne porte ce numéro"}
    elif legal is not None and not finess_problem(legal) and legal != centre.finess_juridique:
        yield "FINESS_MISMATCH", "finess_juridique", {"value": legal, "centre": centre.nom,
                                                       "expected": centre.finess_juridique}


def _at(table: Table, path: str, frame: pd.DataFrame, rows: pd.Index, code: str, key: str,
        values: dict) -> Iterator[Finding]:
    if key in table.columns:
        for i in rows:
            row = int(frame.at[i, "row"])
            yield make(code, path, table.sheet, row, f"{table.columns[key].letter}{row}", key, **values)
    elif key in table.block:
        cell = table.block[key][1]
        yield make(code, path, table.sheet, _row(cell), cell, key, **values)


def claimed_totals(lines: pd.DataFrame, tables: dict[tuple[str, str], Table], groups: dict) -> Iterator[Finding]:
    """CLAIMED_TOTAL_MISMATCH: a cell of the totals row that is not the sum of its column's lines (`groups`: the
    positions of each table's lines). A column with an empty or unreadable line, or a sum beyond any bordereau's
    (a NIR typed as an amount), cannot be verified: its line findings say what to correct first."""
    for key, table in tables.items():
        if table.totals_row is None or key not in groups:
            continue
        part = lines.iloc[groups[key]]
        for column in (c for c in MONEY_COLUMNS if c in table.columns and c in lines):
            index = table.columns[column].index
            raw = table.totals_row[index] if index < len(table.totals_row) else None
            claimed = parse_cents(raw)
            if claimed is None or part[column].isna().any():
                continue
            actual = int(part[column].sum())
            if claimed == actual or max(abs(actual), 0 if claimed is INVALID else abs(claimed)) >= _IMPLAUSIBLE:
                continue
            shown = f"« {clean_text(raw)} »" if claimed is INVALID else format_eur(from_cents(claimed))
            difference = "" if claimed is INVALID else format_eur(from_cents(claimed - actual))
            yield make("CLAIMED_TOTAL_MISMATCH", key[0], key[1], table.totals_row_number,
                       f"{table.columns[column].letter}{table.totals_row_number}", column, label=COLUMNS[column][0],
                       claimed=shown, actual=format_eur(from_cents(actual)), lines=len(part),
                       difference=difference or "?")
