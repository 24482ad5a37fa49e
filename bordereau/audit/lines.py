"""The verdict and the amounts of each line of an audit, vectorised.

- `claimed`: the line's « Montant total à rembourser », else its AMO + AMC amounts, else (a sheet that claims no
  amount) the recomputed one; <NA> when none can be had.
- `recomputed`: what tarifs/ give for the line on its date, at the price the tarifs allow (the negotiated price, or
  the price billed capped at the public price), whatever the sheet claims; <NA> when the line cannot be priced.
- `verdict`: `rejeté` when an error touches the line (its own, or one about its whole bordereau or file),
  `accepté avec observation` when only warnings do, else `accepté`.
- `accepted`: the recomputed amount of a line that is not rejected; `rejected`: the claimed amount of a rejected line
  (the amount at stake). Every amount is integer cents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bordereau.findings import CODES, Finding
from bordereau.price.split import split_columns
from bordereau.read.layout import Table
from bordereau.reference.data import Reference

ACCEPTED, OBSERVATION, REJECTED = "accepté", "accepté avec observation", "rejeté"
_ORDER = {code: i for i, code in enumerate(CODES)}


def touching(lines: pd.DataFrame, findings: list[Finding], tables: dict[tuple[str, str], Table], groups: dict,
             totals_only: frozenset[str]) -> dict[int, list[Finding]]:
    """The findings that touch each line, by position: its own, those of its sheet and those of its file (except the
    codes about a totals row only). Lines that nothing touches are left out."""
    dose_rows = {key: set(t.row_numbers) for key, t in tables.items()}
    own = [f for f in findings if f.row in dose_rows.get((f.path, f.sheet), ())]
    shared = [f for f in findings if f.code not in totals_only and f.row not in dose_rows.get((f.path, f.sheet), ())]
    out: dict[int, list[Finding]] = {}
    rows = lines["row"].to_numpy()
    positions = {key: dict(zip(rows[groups[key]].tolist(), groups[key].tolist(), strict=True))
                 for key in {(f.path, f.sheet) for f in own} if key in groups}  # Excel row -> position
    for f in own:
        if (i := positions.get((f.path, f.sheet), {}).get(f.row)) is not None:
            out.setdefault(i, []).append(f)
    for f in shared:
        keys = [(f.path, f.sheet)] if f.sheet is not None else [k for k in groups if k[0] == f.path]
        for key in keys:
            for i in groups.get(key, ()):
                out.setdefault(int(i), []).append(f)
    return out


def ordered(found: list[Finding], row: int) -> list[Finding]:
    """The findings touching the line at Excel row `row`: errors first, those about its whole bordereau (or file)
    before its own, then in the order of the codes table."""
    return sorted(found, key=lambda f: (f.severity != "error", f.row == row, _ORDER.get(f.code, 0)))


def verdicts(lines: pd.DataFrame, found: dict[int, list[Finding]]) -> pd.DataFrame:
    """`verdict`, `code` (the main one: the first error) and `codes` (all, errors first) of every line."""
    n = len(lines)
    verdict = np.full(n, ACCEPTED, dtype=object)
    code = np.full(n, None, dtype=object)
    codes = np.empty(n, dtype=object)
    codes[:] = [()] * n
    rows = lines["row"].to_numpy()
    for i, items in found.items():
        if len(items) == 1:  # ordered already (a line rejected for its centre's caisse, or seen before, has one)
            main = items[0]
            codes[i] = (main.code,)
        else:
            items = ordered(items, int(rows[i]))
            main, codes[i] = items[0], tuple(dict.fromkeys(f.code for f in items))
        if main.severity == "error":
            verdict[i], code[i] = REJECTED, main.code
        else:
            verdict[i] = OBSERVATION
    return pd.DataFrame({"verdict": verdict, "code": code, "codes": codes}, index=lines.index)


def recomputed(lines: pd.DataFrame, ref: Reference) -> pd.Series:
    """The total each line is due by the tarifs, at the price they allow (cents, <NA> when it cannot be priced)."""
    if lines.empty:
        return pd.Series(pd.array([], dtype="Int64"), index=lines.index)
    billed = lines["prix_unitaire"]
    capped = billed.where((billed <= lines["prix_public"]).fillna(True), lines["prix_public"])
    allowed = lines["prix_negocie"].fillna(capped)
    total = lines["total"].copy()
    repriced = (allowed.notna() & (allowed != billed)).fillna(False)
    if repriced.any():
        again = lines.loc[repriced].assign(prix_unitaire=allowed[repriced])
        total[repriced] = split_columns(again, again["classe"], ref)["total"]
    return total


def amounts(lines: pd.DataFrame, verdict: pd.Series, ref: Reference) -> pd.DataFrame:
    """`claimed`, `recomputed`, `accepted` and `rejected` of every line, in cents."""
    due = recomputed(lines, ref)
    pair = lines["montant_amo"] + lines["montant_complementaire"]
    claimed = lines["montant_total"].fillna(pair).fillna(due)
    rejected = pd.Series(verdict.to_numpy() == REJECTED, index=lines.index)
    return pd.DataFrame({
        "claimed": claimed, "recomputed": due,
        "accepted": due.where(~rejected, 0).fillna(0).astype("int64"),
        "rejected": claimed.where(rejected, 0).fillna(0).astype("int64"),
    }, index=lines.index)
