"""Work once per distinct value: the rows of a frame keyed by the distinct combinations of some of its columns.

A bordereau of 100,000 lines holds a few hundred distinct (vaccine, date) pairs and a few dozen rate keys: prices,
rates and splits are computed once per combination and taken back to every row by numpy indexing, never by a loop
over the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd


def distinct_values(values: pd.Series) -> set:
    """The set of a column's values, NA left out, taken from its numpy array of objects: iterating a pandas array
    builds each value through `__getitem__` (0.1 s per 100,000 keys).

    >>> sorted(distinct_values(pd.Series(["b", None, "a", "b"], dtype="str")))
    ['a', 'b']
    """
    return set(values.dropna().to_numpy(dtype=object))


def group_codes(columns: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """(code of each row, position of each code's first row) for the distinct combinations of `columns` (equal
    lengths), numbered in order of first appearance, as `groupby(sort=False, dropna=False).ngroup()` numbers them: a
    missing value (None, NaN, NaT, <NA>) is one value of its own.

    >>> codes, firsts = group_codes([pd.Series(["a", "b", "a", None]), pd.Series([1, 2, 1, None])])
    >>> codes.tolist(), firsts.tolist()
    ([0, 1, 0, 2], [0, 1, 3])
    """
    key, _ = _combined(columns)
    codes = pd.factorize(key)[0].astype(np.int64, copy=False)
    return codes, (np.unique(codes, return_index=True)[1] if len(codes) else np.zeros(0, dtype=np.int64))


def recoded(codes: np.ndarray, values: list) -> tuple[np.ndarray, np.ndarray]:
    """`pd.factorize` of the column `values[codes]` (None missing; code -1 takes the last value), from the values
    alone: equal values under several codes become one, numbered in order of first appearance in the column, as the
    codes are.

    >>> codes, uniques = recoded(np.array([0, 1, 2, -1, 1, 3]), ["b", "a", "b", None, None])
    >>> codes.tolist(), uniques.tolist()
    ([0, 1, 0, -1, 1, -1], ['b', 'a'])
    """
    distinct = np.empty(len(values), dtype=object)
    distinct[:] = values
    inner, uniques = pd.factorize(distinct)
    return inner[codes], uniques


def present_groups(columns: Sequence) -> np.ndarray:
    """The code of each row for the distinct combinations of `columns`, -1 where one of them is missing, numbered in
    order of first appearance among complete rows: `groupby(sort=False).ngroup()` (dropna).

    >>> present_groups([pd.Series(["a", "b", "a", None, "b"]), pd.Series([1, 2, 1, 1, None])]).tolist()
    [0, 1, 0, -1, -1]
    """
    key, missing = _combined(columns)
    out = np.full(len(key), -1, dtype=np.int64)
    if (~missing).any():
        out[~missing] = pd.factorize(key[~missing])[0]
    return out


_LIMIT = 2**62


def _combined(columns: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """One int64 per row that is equal where every column is (mixed radix of each column's codes; renumbered when
    it would overflow), and where a column is missing."""
    n = len(columns[0]) if len(columns) else 0
    key, size = np.zeros(n, dtype=np.int64), 1
    missing = np.zeros(n, dtype=bool)
    for column in columns:
        codes, radix = _codes(column)
        missing |= codes < 0
        if size * radix >= _LIMIT:
            key, distinct = pd.factorize(key)
            size = len(distinct)
        key, size = key * radix + (codes.astype(np.int64) + 1), size * radix
    return key, missing


def _codes(column) -> tuple[np.ndarray, int]:
    """(code of each value from -1 (missing) up, the number of codes): small integers as they are, anything else
    factorized."""
    if isinstance(column, np.ndarray) and column.dtype.kind in "iu" and len(column):
        low, high = int(column.min()), int(column.max())
        if high - low <= 4 * len(column):
            return column.astype(np.int64) - low, high - low + 2
    codes, uniques = pd.factorize(_plain(column), use_na_sentinel=True)
    return codes, len(uniques) + 1


def _plain(column):
    """A text column as an object array: pandas factorizes those at half the cost of its `str` dtype."""
    if isinstance(column, pd.Series) and isinstance(column.dtype, pd.StringDtype):
        return column.to_numpy(dtype=object)
    return column


def rows_of(frame: pd.DataFrame, keys: list[str], compute: Callable) -> tuple[np.ndarray, list]:
    """(code of each row, [compute(*values) per distinct combination of the key columns]): `compute` runs once per
    combination, missing values reaching it as None."""
    codes, firsts = group_codes([frame[k] for k in keys])
    distinct = frame[keys].iloc[firsts].astype(object)
    distinct = distinct.where(distinct.notna(), None)
    return codes, [compute(*values) for values in distinct.itertuples(index=False, name=None)]


def int_column(values: Sequence, codes: np.ndarray) -> pd.arrays.IntegerArray:
    """A nullable Int64 array from one value (int or None) per distinct combination, taken to each row by `codes`."""
    known = np.array([v is not None for v in values], dtype=bool)
    ints = np.array([v if v is not None else 0 for v in values], dtype=np.int64)
    return pd.arrays.IntegerArray(ints[codes], ~known[codes]) if len(values) else pd.array([], dtype="Int64")


def object_column(values: Sequence, codes: np.ndarray) -> np.ndarray:
    """An object array from one value per distinct combination, taken to each row by `codes`."""
    distinct = np.empty(len(values), dtype=object)
    distinct[:] = values
    return distinct[codes]
