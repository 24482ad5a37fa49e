"""Column rules of the dose lines: required cells, readable values, allowed codes, each a mask over a whole column.

The rules run on the typed frame of `lines.to_frame` (French decimals and dates are already parsed). Each rule is named
by its finding code; `failures` gives (row index, column key, code) triples, the same ones as the pandera schema this
module replaced (tests/test_column_rules.py compares them; the order may differ, and check sorts its findings):
pandera cost a third of a second of imports at every start and as much again to validate 100,000 lines, for a
handful of boolean masks. A rule that ignores empty cells passes them, as pandera's `ignore_na` did. Identifiers are
validated once per distinct value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from bordereau.identifiers import nir_problem, vaccine_code_problem

# columns that may stay empty on a line without rights
REQUIRED_UNLESS_NO_RIGHTS = ("nir", "code_regime")
REQUIRED = ("nom", "prenom", "nir", "date_naissance", "code_regime", "prise_en_charge", "vaccin", "code_vaccin",
            "date_administration", "prix_unitaire")
UNREADABLE_CODE = {
    "date_naissance": "DATE_INVALID", "date_administration": "DATE_INVALID", "prise_en_charge": "COVERAGE_UNKNOWN",
    "prix_unitaire": "PRICE_INVALID", "montant_amo": "PRICE_INVALID", "montant_complementaire": "PRICE_INVALID",
    "montant_total": "PRICE_INVALID", "ligne": "LINE_NUMBER_INVALID",
}


def distinct_problems(values: Iterable, problem) -> dict[str, str]:
    """{value: reason} for the distinct non-empty values among `values` that `problem` rejects."""
    return {v: reason for v in dict.fromkeys(values) if pd.notna(v) and (reason := problem(v))}


def _passing_or_empty(passed: pd.Series, missing: pd.Series) -> pd.Series:
    """A rule that ignores empty cells (`missing`): an empty cell passes, and so does an undecided comparison
    (<NA>)."""
    return passed.fillna(True).astype(bool) | missing


def _missing(frame: pd.DataFrame, distinct: dict | None) -> Callable[[str], pd.Series]:
    """`frame[key].isna()` of each key, once; from the distinct values when lines.to_frame gave them (`distinct`):
    a text column's cell is missing where its distinct value is None."""
    @functools.cache
    def missing(key: str) -> pd.Series:
        if distinct is None or key not in distinct:
            return frame[key].isna()
        codes, values = distinct[key]
        return pd.Series(np.array([v is None for v in values], dtype=bool)[codes], index=frame.index)

    return missing


def line_rules(frame: pd.DataFrame, regimes: set[str], nir_problems: dict, code_problems: dict,
               distinct: dict | None = None) -> dict[str, list[tuple[str, pd.Series]]]:
    """{column key: [(finding code, passing mask), ...]} for the columns of `frame`, in the order they run.
    `distinct`: lines.to_frame's, when `frame` is that one table's."""
    no_rights = frame["prise_en_charge"].eq("sans_droits") if "prise_en_charge" in frame else False
    rules: dict[str, list[tuple[str, pd.Series]]] = {key: [] for key in frame.columns}
    missing = _missing(frame, distinct)
    for key in REQUIRED:
        if key in frame:
            bad = frame.get(f"{key}_bad", False)
            excused = no_rights if key in REQUIRED_UNLESS_NO_RIGHTS else False
            rules[key].append(("REQUIRED_MISSING", ~missing(key) | bad | excused))
    for key in UNREADABLE_CODE:
        if key in frame:
            rules[key].append((UNREADABLE_CODE[key], ~frame[f"{key}_bad"]))
    if "prix_unitaire" in frame:  # a dose is never free
        price = frame["prix_unitaire"]
        rules["prix_unitaire"].append(("PRICE_INVALID", _passing_or_empty(price > 0, missing("prix_unitaire"))))
    if "code_regime" in frame:
        regime = frame["code_regime"]
        rules["code_regime"].append(("REGIME_UNKNOWN", _passing_or_empty(regime.isin(sorted(regimes)),
                                                                          missing("code_regime"))))
    if "nir" in frame:
        nir = frame["nir"]
        rules["nir"].append(("NIR_INVALID", _passing_or_empty(~nir.isin(list(nir_problems)), missing("nir"))))
    if "code_vaccin" in frame:
        code = frame["code_vaccin"]
        rules["code_vaccin"].append(("VACCINE_CODE_INVALID",
                                     _passing_or_empty(~code.isin(list(code_problems)), missing("code_vaccin"))))
    return rules


def failures(frame: pd.DataFrame, regimes: set[str], nir_problems: dict,
             code_problems: dict) -> list[tuple[object, str, str]]:
    """(index, column key, code) of every failing cell, every rule run."""
    return [(i, key, code) for key, code, failing in failing_masks(frame, regimes, nir_problems, code_problems)
            for i in frame.index[failing]]


def failing_masks(frame: pd.DataFrame, regimes: set[str], nir_problems: dict, code_problems: dict,
                  distinct: dict | None = None) -> Iterator[tuple[str, str, np.ndarray]]:
    """(column key, code, mask of the failing lines) of every rule that some line fails, in the order they run."""
    for key, rules in line_rules(frame, regimes, nir_problems, code_problems, distinct).items():
        for code, passed in rules:
            failing = ~passed.to_numpy(dtype=bool)
            if failing.any():
                yield key, code, failing


def identifier_problems(frame: pd.DataFrame, distinct: dict | None = None) -> tuple[dict, dict]:
    """({NIR: reason}, {vaccine code: reason}) of the invalid ones among the lines'. `distinct` (lines.to_frame's,
    when the frame is one table's) gives each column's distinct values without looking at every line again."""
    return _problems(frame, "nir", nir_problem, distinct), _problems(frame, "code_vaccin", vaccine_code_problem,
                                                                       distinct)


def _problems(frame: pd.DataFrame, key: str, problem, distinct: dict | None) -> dict[str, str]:
    if key not in frame:
        return {}
    if distinct is not None and key in distinct:
        return distinct_problems(distinct[key][1], problem)  # the column's values, from its cells' distinct ones
    return distinct_problems(pd.unique(frame[key].to_numpy(dtype=object)).tolist(), problem)
