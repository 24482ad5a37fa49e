"""Everything checked together: the dose lines of all tables, the values derived from the reference data, and
the means to speak of a line in the user's coordinates (file, sheet, row, cell)."""

from __future__ import annotations

import datetime as dt
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

    def line(self, code: str, i: object, key: str | None, **values: object) -> Finding:
        """A finding about line `i` (frame index), at the cell of column `key`."""
        path, sheet, row = self.frame.at[i, "path"], self.frame.at[i, "sheet"], int(self.frame.at[i, "row"])
        cell = self.tables[(path, sheet)].cell(key, row) if key else None
        return make(code, path, sheet, row, cell, key, **values)

    def where(self, i: object) -> str:
        """How a message names another line: 'ligne 12 de lille.xlsx (Bordereau)'."""
        return f"la ligne {int(self.frame.at[i, 'row'])} de {self.frame.at[i, 'path']} ({self.frame.at[i, 'sheet']})"
