"""Raw cells to typed columns, once per distinct value: the cells of a table's columns as object arrays, the code of
each cell's distinct value, and the typed column made from the parsed distinct values and taken to every cell by
numpy (`lines.to_frame` says which parser and which type each column has)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from operator import itemgetter

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from bordereau.read.layout import Table

INVALID = object()  # a cell that holds something, but not a readable value


def factorize_cells(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct values of `raw` (-1 for a missing one) and those values, told apart by type: pandas' hash
    table makes one value of True, 1 and 1.0 (and of False, 0 and 0.0), and a cell « VRAI » among line numbers would be
    read as 1. A column of one kind of value (pandas' `infer_dtype`, in C) cannot mix them.

    >>> codes, uniques = factorize_cells(np.array([1.0, True, 1, 1.0, None, False, 0.0], dtype=object))
    >>> codes.tolist(), [repr(v) for v in uniques]
    ([0, 1, 2, 0, -1, 3, 4], ['1.0', 'True', '1', 'False', '0.0'])
    """
    return _factorized(raw)[:2]


def _factorized(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """factorize_cells, and the kind of the cells (pandas' `infer_dtype`, missing ones skipped)."""
    kind = infer_dtype(raw, skipna=True)
    if kind == "floating":  # numbers (and None): factorized as float64, a third of the time of the objects
        codes, _ = pd.factorize(raw.astype(np.float64), use_na_sentinel=True)
        return codes, raw[_firsts(codes)], kind
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    if "mixed" not in kind:
        return codes, uniques, kind
    kinds, _ = pd.factorize(np.fromiter((v.__class__.__name__ for v in raw), dtype=object, count=len(raw)))
    present = np.flatnonzero(codes >= 0)
    exact, _ = pd.factorize(codes[present].astype(np.int64) * (kinds.max() + 1) + kinds[present])
    _, first = np.unique(exact, return_index=True)  # codes count from 0 in order of first appearance
    out = np.full(len(raw), -1, dtype=np.intp)
    out[present] = exact
    return out, raw[present[first]], kind


def _firsts(codes: np.ndarray) -> np.ndarray:
    """The position of each code's first cell, the codes counting from 0 in order of first appearance (-1 missing):
    a cell comes first when its code is above all the codes before it.

    >>> _firsts(np.array([-1, 0, 0, 1, -1, 0, 2, 1])).tolist()
    [1, 3, 6]
    """
    if not len(codes):
        return np.zeros(0, dtype=np.intp)
    before = np.maximum.accumulate(np.concatenate(([-1], codes[:-1])))
    return np.flatnonzero(codes > before)


def on_distinct(values: list | np.ndarray, parse: Callable[[object], object],
                 many: Callable[[list], list] | None = None) -> tuple[np.ndarray, np.ndarray, list]:
    """Raw cells as an array, the code of each cell's distinct value (-1 for a missing one) and the parsed distinct
    values (INVALID where unreadable), the last one that of a missing cell: `parsed[codes]` is every cell's.

    `parse` runs once per distinct value (pandas' hash table finds them); `many`, when given, parses a list of them
    at once and must give what `parse` gives each (a fast path for the common values). Cells that are all text come
    back as the `str` array pandas would make of them in a frame, taken from the distinct values rather than
    inferred again from every cell.
    """
    if isinstance(values, np.ndarray):
        raw = values
    else:
        raw = np.empty(len(values), dtype=object)
        raw[:] = values
    codes, uniques, kind = _factorized(raw)
    parsed = [parse(v) for v in uniques] if many is None else many(uniques.tolist())
    parsed.append(parse(None))  # for code -1, a missing value
    if kind == "string" and len(codes) and codes.min() >= 0:  # every cell a str: none missing
        return pd.array(uniques, dtype="str").take(codes), codes, parsed
    return raw, codes, parsed


def repeated(value: object, n: int, parse: Callable[[object], object]) -> tuple[np.ndarray, np.ndarray, list]:
    """on_distinct of `n` cells that all hold `value` (a FINESS of the header block), without a hash table."""
    raw = np.empty(n, dtype=object)
    raw[:] = [value] * n
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return raw, np.full(n, -1, dtype=np.intp), [parse(None)]
    return raw, np.zeros(n, dtype=np.intp), [parse(value), parse(None)]


def typed(kind: str | None, codes: np.ndarray, parsed: list) -> tuple[object, np.ndarray]:
    """(typed column, unreadable flags) of the cells from their codes and the parsed distinct values: dates as
    datetime64[s] (NaT when empty or unreadable), money as nullable Int64, anything else as `taken` stores it (None
    when empty or unreadable). Each conversion runs on the distinct values, and numpy's indexing takes them to the
    cells."""
    bad = np.array([v is INVALID for v in parsed], dtype=bool)
    clean = [None if v is INVALID else v for v in parsed]
    if kind == "date":
        days = np.array([np.datetime64("NaT") if v is None else v for v in clean], dtype="datetime64[D]")
        return days.astype("datetime64[s]")[codes], bad[codes]
    if kind == "money":
        known = np.array([v is not None for v in clean], dtype=bool)
        try:
            cents = np.array([0 if v is None else v for v in clean], dtype=np.int64)
        except (OverflowError, TypeError, ValueError):  # pragma: no cover - parse_line_cents gives small ints
            return pd.array(np.array(clean, dtype=object)[codes], dtype="Int64"), bad[codes]
        return pd.arrays.IntegerArray(cents[codes], ~known[codes]), bad[codes]
    return taken(clean, codes), bad[codes]


def taken(distinct: list, codes: np.ndarray) -> object:
    """`distinct[codes]` as pandas would store it in a frame: text (str values and None, a str among those used) as
    pandas' `str` array, made from the distinct values rather than inferred from every cell; anything else as
    objects (pandas infers their type when it makes the frame, as before)."""
    used = distinct if len(codes) and (codes < 0).any() else distinct[:-1]
    if (len(codes) and all(v is None or v.__class__ is str for v in distinct)
            and any(v.__class__ is str for v in used)):
        return pd.array(distinct, dtype="str").take(codes)
    values = np.empty(len(distinct), dtype=object)
    values[:] = distinct
    return values[codes]


def columns_of(table: Table, keys: list[str]) -> dict[str, np.ndarray | list]:
    """The raw cells of the table's columns named by `keys`, each as one object array, from one 2-D array of the
    rows (half the time of taking the columns one by one), made by numpy's fromiter over the chained rows (a third of
    the time of np.array, which looks into every cell for a nested sequence), or from the one find_table made when it
    looked for the table's end. The rows of a sheet all have its width; should they not, the columns are taken one by
    one."""
    indices = [table.columns[key].index for key in keys]
    rows = table.rows
    shared = table.cells  # find_table's 2-D array of the dose rows, when it made one
    if len(indices) > 1 and shared is not None and len(shared) == len(rows) and rows:
        table.cells = None  # taken once: the array (10 MiB at 100,000 lines) is not kept with the table
        return dict(zip(keys, shared.T[indices], strict=True))
    width = len(rows[0]) if rows else 0
    if len(indices) > 1 and rows and width <= 2 * len(indices):  # the sheet's columns are mostly the table's
        source, where = rows, indices
    elif len(indices) > 1 and rows:  # a wide sheet: only the columns read, not all the sheet's
        source, where, width = list(map(itemgetter(*indices), rows)), list(range(len(indices))), len(indices)
    else:
        source = None
    if source is not None and set(map(len, source)) == {width}:  # else rows of unequal lengths
        cells = np.fromiter(itertools.chain.from_iterable(source), dtype=object, count=len(source) * width)
        block = cells.reshape(len(source), width)  # never looks into a cell, as np.array would
        return dict(zip(keys, block.T[where], strict=True))  # one copy, a contiguous row per column
    return {key: list(map(itemgetter(i), rows)) for key, i in zip(keys, indices, strict=True)}
