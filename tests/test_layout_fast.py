"""`find_table` finds the end of a table with numpy (issue 12): the rows whose identity cells (NIR, dates) are all
filled are dose lines without a look, and only the others go through the exact tests (empty row, row of totals).
On sheets made by code (hostile and mixed-type values, empty identity cells at the start, middle and end, empty rows
with doses after them, totals rows labelled or not, rows of unequal lengths, wide sheets, no identity column), it
finds exactly the table the row-by-row loop finds, and `columns_of` takes the same cells from its 2-D array as from
the rows."""

from __future__ import annotations

import datetime as dt
import math
import random
from operator import itemgetter

import numpy as np
import pytest
from fuzzing import VALUES

from bordereau.read import layout
from bordereau.read.cells import columns_of
from bordereau.read.layout import COLUMNS, find_table
from bordereau.read.workbook import RawSheet

HEADERS = ["N° de ligne", "Nom", "Prénom", "NIR", "Date de naissance", "Code régime", "Prise en charge", "Vaccin",
           "Code CIP/UCD", "Date d'administration", "N° de dose", "Prix unitaire TTC", "Montant AMO",
           "Montant AMC", "Montant total"]
ODD = [*VALUES, float("nan"), 1, 1.0, True, 0, 0.0, -0.0, False, dt.date(2026, 10, 3), "Total", "Sous-total",
       " total général ", "\u00a0", "\t"]


def _exact(sheet: RawSheet):
    """find_table as it was: every row looked at in turn (the fast path refused)."""
    saved = layout._cells_after
    layout._cells_after = lambda *args: None
    try:
        return find_table(sheet)
    finally:
        layout._cells_after = saved


def _same(value: object) -> tuple:
    return type(value).__name__, "nan" if isinstance(value, float) and math.isnan(value) else repr(value)


def _row(rng: random.Random, width: int, headers: list[str], kind: str) -> list:
    if kind == "empty":
        return [rng.choice(["", None, "  ", "\u00a0"]) for _ in range(width)]
    if kind == "totals":
        row = [""] * width
        at = rng.choice([i for i, h in enumerate(headers) if h.startswith(("Montant", "Prix"))] or [0])
        row[at] = rng.choice([98.5, "197,00", "Total", "TOTAL", "sous-total"])
        if rng.random() < 0.3:
            row[0] = "Total"
        return row
    row = [rng.choice(ODD) if rng.random() < 0.3 else f"v{rng.randint(0, 9)}" for _ in range(width)]
    for i, header in enumerate(headers):  # identity cells: filled, or empty now and then
        if header in ("NIR", "Date de naissance", "Date d'administration"):
            row[i] = "" if rng.random() < (0.3 if kind == "gappy" else 0.02) else rng.choice(
                ["255081416802538", dt.date(2013, 5, 1), 45935.0, "x", 0, False])
    return row


def _sheet(seed: int) -> RawSheet:
    rng = random.Random(seed)
    headers = HEADERS[:] if seed % 5 else [h for h in HEADERS if h not in ("NIR", "Date de naissance",
                                                                            "Date d'administration")]
    rng.shuffle(headers)
    extra = rng.choice([0, 0, 2, 40])  # a wide sheet now and then: its columns are taken one by one
    width = len(headers) + extra
    top = [["Centre de vaccination", "", "SPS"], ["FINESS géographique", 590780102.0]]
    rows = [row + [""] * (width - len(row)) for row in top]
    rows.append(headers + [""] * extra)
    for _ in range(rng.choice([0, 1, 3, 60, 300])):
        rows.append(_row(rng, width, headers + [""] * extra, rng.choice(["dose", "dose", "dose", "gappy"])))
    ending = rng.choice(["none", "empty", "totals", "empty-then-doses", "totals-then-doses"])
    if ending != "none":
        rows.append(_row(rng, width, headers, "empty" if ending.startswith("empty") else "totals"))
    if ending.endswith("doses"):
        rows.extend(_row(rng, width, headers, "dose") for _ in range(rng.randint(1, 5)))
    if seed % 7 == 0 and len(rows) > 5:  # rows of unequal lengths
        for row in rows[4::5]:
            row.extend([""] * rng.randint(1, 3))
    if seed % 11 == 0 and len(rows) > 4:
        rows[-1] = rows[-1][:len(headers)]
    return RawSheet(f"Feuille {seed}", rows)


def _table(table) -> dict:
    return {"header_row": table.header_row, "columns": table.columns, "block": table.block,
            "rows": [[_same(v) for v in row] for row in table.rows], "row_numbers": table.row_numbers,
            "totals": None if table.totals_row is None else [_same(v) for v in table.totals_row],
            "totals_row_number": table.totals_row_number, "gap": table.gap}


@pytest.mark.parametrize("seed", range(60))
def test_the_table_found_with_numpy_is_the_one_found_row_by_row(seed):
    sheet = _sheet(seed)
    fast, exact = find_table(sheet), _exact(sheet)
    assert (fast is None) == (exact is None)
    if fast is None:
        return
    assert _table(fast) == _table(exact)
    assert all(a is b for a, b in zip(fast.rows, exact.rows, strict=True))  # the sheet's own rows, not copies
    keys = [key for key in COLUMNS if key in fast.columns]
    shared, by_rows = columns_of(fast, keys), columns_of(exact, keys)
    for key in keys:
        taken = list(map(itemgetter(fast.columns[key].index), fast.rows))
        assert [_same(v) for v in np.asarray(shared[key], dtype=object).tolist()] == [_same(v) for v in taken]
        assert [_same(v) for v in np.asarray(by_rows[key], dtype=object).tolist()] == [_same(v) for v in taken]


def test_the_fast_path_is_taken_on_a_plain_sheet():
    sheet = _sheet(1)
    while len(sheet.rows) < 10:
        sheet = _sheet(len(sheet.rows) * 5 + 1)
    table = find_table(RawSheet("B", [row[:len(HEADERS)] for row in sheet.rows]))
    assert table.cells is not None and len(table.cells) == len(table.rows)
