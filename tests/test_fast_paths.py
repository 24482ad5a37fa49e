"""The fast paths of issue 12 give exactly what the exact path gives, value by value: the NIR read as 15 ASCII
digits (`lines._nirs` against `PARSERS["nir"]`), on hostile, mixed-type and random values. The typed columns made from
the distinct values are compared cell by cell with the former conversion in tests/test_read_frame.py."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from fuzzing import VALUES

from bordereau.read import lines

SEPARATORS = [" ", "  ", "\t", "\n", "\u00a0", "\u202f", ".", "-", "/", "_", ""]
ODD = [
    *VALUES, float("nan"), 1, 1.0, True, False, 0, 0.0, 2**70, -(2**70), 255081416802538, 255081416802538.0,
    2.55081416802538e14, dt.date(2026, 10, 3), dt.datetime(2026, 10, 3, 8), dt.time(0, 0), "255081416802538",
    " 255081416802538 ", "2 55 08 14 168 025 38", "2\u00a055 08 14 168 025 38", "255081416802538\n",
    "２５５０８１４１６８０２５３８", "٢٥٥٠٨١٤١٦٨٠٢٥٣٨", "1 85 03 2A 123 456 78", "18503 2b12345678", "25508141680253",
    "2550814168025380", "2550814168025 3 8", " ", "", "nan", "None", "1e15", "+255081416802538", "-255081416802538",
    "255O81416802538", "²55081416802538", "2550814168025\u00b38",
]


def _random_nir(rng: random.Random) -> str:
    digits = [rng.choice("0123456789") for _ in range(rng.choice([13, 14, 15, 15, 15, 15, 16]))]
    if rng.random() < 0.1 and len(digits) >= 7:
        digits[5:7] = rng.choice(["2A", "2B", "2a"])
    if rng.random() < 0.5 and len(digits) == 15:  # a right key half the time
        head = "".join(digits[:13]).replace("2A", "19").replace("2B", "18")
        if head.isdigit():
            digits[13:] = f"{97 - int(head) % 97:02d}"
    sep = rng.choice(SEPARATORS)
    return sep.join(digits) if rng.random() < 0.5 else "".join(digits)


@pytest.mark.parametrize("seed", range(10))
def test_nirs_fast_path_gives_what_the_parser_gives(seed):
    rng = random.Random(seed)
    values = [rng.choice(ODD) if rng.random() < 0.4 else _random_nir(rng) for _ in range(500)]
    assert lines._nirs(values) == [lines.PARSERS["nir"](v) for v in values]


@pytest.mark.parametrize("n", [0, 1, 3, 1000])
def test_empty_columns_are_those_made_value_by_value(n):
    """check's columns for what a table lacks, against the value-by-value construction they replaced."""
    import pandas as pd

    from bordereau.check.run import _empty_column

    frame = pd.DataFrame({"row": range(n)})
    for key in lines.PARSERS:
        made = frame.assign(value=_empty_column(key, n))["value"]
        if key in lines.DATE_KEYS:
            before = pd.Series([pd.NaT] * n, dtype="datetime64[s]")
        elif key in lines.MONEY_KEYS:
            before = pd.array([None] * n, dtype="Int64")
        else:
            before = [None] * n
        pd.testing.assert_series_equal(made, frame.assign(value=before)["value"], check_exact=True)
        assert [repr(v) for v in made.tolist()] == [repr(v) for v in frame.assign(value=before)["value"].tolist()]


@pytest.mark.parametrize("n", [0, 1, 7])
def test_path_sheet_and_row_columns_are_those_pandas_infers_from_lists(n):
    import pandas as pd

    from bordereau.read.layout import COLUMNS, Column, Table

    columns = {"nom": Column("nom", 0, COLUMNS["nom"][0]), "nir": Column("nir", 1, COLUMNS["nir"][0])}
    table = Table("Feuille 1", 7, columns, {}, [["Dupont", "255081416802538"]] * n, list(range(8, 8 + n)))
    made = lines.to_frame(table, "dossier/f.xlsx")[["path", "sheet", "row"]]
    inferred = pd.DataFrame({"path": ["dossier/f.xlsx"] * n, "sheet": ["Feuille 1"] * n, "row": list(range(8, 8 + n))})
    pd.testing.assert_frame_equal(made, inferred, check_exact=True)
    assert {c: str(made[c].dtype) for c in made} == {c: str(inferred[c].dtype) for c in inferred}


@pytest.mark.parametrize("cells", [["a", "b", "a"], ["", "x", ""], ["é", " "], [], ["a", None], ["a", float("nan")],
                                   ["a", 1], ["1", 1.0, True], [None, None], [dt.date(2026, 10, 3), "x"]])
def test_raw_cells_are_the_column_pandas_infers_from_them(cells):
    """on_distinct gives text cells as pandas' `str` array made from the distinct values: the frame's column is the
    one pandas infers from the object array of the cells."""
    import numpy as np
    import pandas as pd

    from bordereau.read.cells import on_distinct

    raw, _, _ = on_distinct(cells, repr)
    objects = np.empty(len(cells), dtype=object)
    objects[:] = cells
    made, inferred = pd.DataFrame({"c": raw})["c"], pd.DataFrame({"c": objects})["c"]
    assert str(made.dtype) == str(inferred.dtype)
    assert [(type(v), repr(v)) for v in made.tolist()] == [(type(v), repr(v)) for v in inferred.tolist()]
