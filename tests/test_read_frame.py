"""The typed columns of `lines.to_frame` are found with a dict and one transpose of the rows (issue 12): on workbooks
made by code (the fuzz generator's odd, hostile and mixed-type cases in .xlsx, .xlsm and .ods, and tables of every
kind of value a reader gives) they are exactly those the pandas-factorize version before gave (kept here as the
reference): same raw cells with their types, parsed values, unreadable flags and dtypes, and the same findings."""

from __future__ import annotations

import datetime as dt
import math
import random
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fuzzing import VALUES, cases, write_case

from bordereau.check.run import check_files
from bordereau.errors import WorkbookUnreadable
from bordereau.read import lines
from bordereau.read.layout import COLUMNS, Column, Table, find_table
from bordereau.read.workbook import open_sheets


def _reference_on_distinct(values, parse, many=None):
    """Every cell parsed on its own by `parse` (never the fast path `many`), a missing one (None, NaN) as None: what
    the parse once per distinct value must give (before 2026-11-26, pandas' factorize made one value of True, 1 and
    1.0, and of False, 0 and 0.0)."""
    raw = np.empty(len(values), dtype=object)
    raw[:] = values
    parsed = [parse(None if v is None or (isinstance(v, float) and math.isnan(v)) else v) for v in raw]
    return raw, np.arange(len(raw)), [*parsed, parse(None)]


def _reference_typed(key, codes, parsed):
    """The typed column as it was made before it was made from the distinct values (2026-11-26): every cell's value
    in an object array, converted by numpy or pandas."""
    cells = [parsed[c] for c in codes]
    bad = np.array([v is lines.INVALID for v in cells], dtype=bool)
    clean = np.empty(len(cells), dtype=object)
    clean[:] = [None if v is lines.INVALID else v for v in cells]
    if key in lines.DATE_KEYS:
        return pd.Series(clean.astype("datetime64[D]")).astype("datetime64[s]").to_numpy(), bad
    if key in lines.MONEY_KEYS:
        return pd.array(clean, dtype="Int64"), bad
    return clean, bad


def _reference_columns(table, keys):
    return {key: list(map(itemgetter(table.columns[key].index), table.rows)) for key in keys}


def _reference(monkeypatch):
    monkeypatch.setattr(lines, "_on_distinct", _reference_on_distinct)
    monkeypatch.setattr(lines, "_typed", _reference_typed)
    monkeypatch.setattr(lines, "_repeated", lambda value, n, parse: _reference_on_distinct([value] * n, parse))
    monkeypatch.setattr(lines, "_columns", _reference_columns)


def _cells(frame: pd.DataFrame) -> dict[str, object]:
    """Every column's dtype and every cell's type and value (1, 1.0 and True told apart, NaN equal to itself)."""
    def cell(v):
        return type(v).__name__, "nan" if isinstance(v, float) and math.isnan(v) else repr(v)

    return {name: (str(frame[name].dtype), [cell(v) for v in frame[name].tolist()]) for name in frame.columns}


def _both(monkeypatch, make):
    new = make()
    with monkeypatch.context() as patch:
        _reference(patch)
        old = make()
    return new, old


MIXED = [*VALUES, float("nan"), 1, 1.0, True, 0, 0.0, -0.0, False, dt.date(2026, 10, 3), dt.datetime(2026, 10, 3),
         "1", " 1 ", 45935.0, 45935, 2**70, -(2**70), dt.time(0, 0)]


@pytest.mark.parametrize("seed", range(20))
def test_every_kind_of_value_in_every_column_gives_the_same_frame(monkeypatch, seed):
    """Narrow and wide sheets (the table's columns, or few among many), rows of unequal lengths, 0 to 400 rows."""
    rng = random.Random(seed)
    keys = list(COLUMNS)
    rng.shuffle(keys)
    columns = {key: Column(key, i, COLUMNS[key][0]) for i, key in enumerate(keys[:rng.randint(1, len(keys))])}
    width = len(columns) + rng.choice([0, 1, 3, 40])
    pool = rng.sample(MIXED, rng.randint(1, len(MIXED)))
    rows = [[rng.choice(pool) for _ in range(width)] for _ in range(rng.choice([0, 1, 2, 50, 400]))]
    if seed % 4 == 0:
        for row in rows[::3]:
            row.extend(rng.choice(pool) for _ in range(rng.randint(1, 3)))
    block = {"finess_juridique": ("590000014", "B3")} if seed % 2 else {}
    table = Table("Feuille", 7, columns, block, rows, list(range(8, 8 + len(rows))))
    regimes = {"01": "Régime général", "02": "Mutualité sociale agricole (MSA)"} if seed % 3 else None
    new, old = _both(monkeypatch, lambda: lines.to_frame(table, "f.xlsx", regimes))
    assert _cells(new) == _cells(old)


FUZZ = [case for case in cases(20261126, 60) if "flips" not in case[0] and "truncated" not in case[0]]


@pytest.mark.parametrize(("name", "suffix", "make"), FUZZ, ids=[case[0] for case in FUZZ])
def test_workbooks_made_by_code_give_the_same_frames_and_findings(tmp_path: Path, monkeypatch, ref, today,
                                                                  name, suffix, make):
    path = write_case(tmp_path, name, suffix, make)
    try:
        sheets = open_sheets(path)
    except WorkbookUnreadable:
        sheets = []
    for sheet in sheets:
        table = find_table(sheet)
        if table is not None:
            new, old = _both(monkeypatch, lambda table=table: lines.to_frame(table, str(path)))
            assert _cells(new) == _cells(old)
    new, old = _both(monkeypatch, lambda: check_files([path], ref, today))
    assert new.findings == old.findings
    assert new.as_json() == old.as_json()
    assert _cells(new.lines) == _cells(old.lines)
