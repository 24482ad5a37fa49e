"""Everything checked together: the dose lines of all tables, the values derived from the reference data, and
the means to speak of a line in the user's coordinates (file, sheet, row, cell)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bordereau.findings import Finding, make
from bordereau.read.layout import Table
from bordereau.reference.data import Reference


def fr_date(value: object) -> str:
    """A date as JJ/MM/AAAA, '?' when missing.

    >>> fr_date(pd.Timestamp("2026-10-03")), fr_date(None)
    ('03/10/2026', '?')
    """
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return "?"
    return _day(value)


@functools.lru_cache(maxsize=4096)
def _day(value: dt.date) -> str:
    """A findings' day, spelt once per distinct day."""
    return value.strftime("%d/%m/%Y")


@dataclass
class Batch:
    frame: pd.DataFrame  # one row per dose line, columns of lines.to_frame
    tables: dict[tuple[str, str], Table]
    ref: Reference
    today: dt.date
    derived: pd.DataFrame = field(default_factory=pd.DataFrame)  # same index: classe, prices, split, centre...
    nir_problems: dict[str, str] = field(default_factory=dict)
    code_problems: dict[str, str] = field(default_factory=dict)
    billed: pd.DataFrame | None = None  # with a ledger: its lines of these doses (dose_key, bordereau, line_no, state)
    history: pd.DataFrame | None = None  # with a ledger: earlier HPV doses of the same beneficiaries
    doses: np.ndarray | None = None  # derived: a code per (beneficiary, vaccine, day), -1 when one is unknown
    # the batch is one table's: {text column: (code of each line's distinct value, those values)} (lines.to_frame)
    distinct: dict[str, tuple[np.ndarray, list]] | None = None

    _places: tuple | None = field(default=None, init=False, repr=False)  # path, sheet, row arrays; label -> position

    def line(self, code: str, i: object, key: str | None, **values: object) -> Finding:
        """A finding about line `i` (frame index), at the cell of column `key`."""
        path, sheet, row = self._place(i)
        cell = self.tables[(path, sheet)].cell(key, row) if key else None
        return make(code, path, sheet, row, cell, key, **values)

    def where(self, i: object) -> str:
        """How a message names another line: 'ligne 12 de lille.xlsx (Bordereau)'."""
        path, sheet, row = self._place(i)
        return f"la ligne {row} de {path} ({sheet})"

    def _place(self, i: object) -> tuple[str, str, int]:
        """(path, sheet, row) of line `i`, from arrays taken once: `frame.at` costs more than a finding."""
        if self._places is None:
            f = self.frame
            plain = isinstance(f.index, pd.RangeIndex) and f.index.start == 0 and f.index.step == 1
            self._places = (f["path"].to_numpy(dtype=object), f["sheet"].to_numpy(dtype=object),
                            f["row"].to_numpy(), None if plain else {label: k for k, label in enumerate(f.index)})
        paths, sheets, rows, positions = self._places
        k = int(i) if positions is None else positions[i]
        return paths[k], sheets[k], int(rows[k])


def values_at(mask: pd.Series | np.ndarray, *columns: pd.Series) -> zip:
    """(index label, value of each column) of the lines `mask` selects, every value taken at once (`Series.at` on
    each line costs more than the finding it feeds)."""
    mask = np.asarray(mask, dtype=bool)
    return zip(columns[0].index[mask], *(column[mask].tolist() for column in columns), strict=True)
