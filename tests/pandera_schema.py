"""The pandera schema of the column rules as it was before bordereau/schema.py replaced it by masks, kept to compare
the two (tests/test_column_rules.py). Column rules of the dose lines as a pandera schema: required cells, readable
values, allowed codes.

The schema runs on the typed frame of `lines.to_frame` (French decimals and dates are already parsed, so a failed
coercion cannot hide other checks). Each check is named by its finding code; `failures` turns pandera's failure
cases into (row index, column key, code) triples. Identifiers are validated once per distinct value.
"""

from __future__ import annotations

import sys

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from bordereau.identifiers import nir_problem, vaccine_code_problem


def _load_pandera_checks() -> None:
    """Import pandera's check backends now. When hypothesis is installed (it is a test dependency), pandera's data
    synthesis strategies import it, which costs a quarter of a second at every start for a feature not used here:
    hide it during that import unless something already loaded it."""
    if "hypothesis" in sys.modules:
        import pandera.backends.pandas.builtin_checks
        return
    sys.modules["hypothesis"] = None  # `import hypothesis` raises ImportError meanwhile
    try:
        import pandera.backends.pandas.builtin_checks  # noqa: F401
    finally:
        del sys.modules["hypothesis"]


_load_pandera_checks()

# columns that may stay empty on a line without rights
REQUIRED_UNLESS_NO_RIGHTS = ("nir", "code_regime")
REQUIRED = ("nom", "prenom", "nir", "date_naissance", "code_regime", "prise_en_charge", "vaccin", "code_vaccin",
            "date_administration", "prix_unitaire")
UNREADABLE_CODE = {
    "date_naissance": "DATE_INVALID", "date_administration": "DATE_INVALID", "prise_en_charge": "COVERAGE_UNKNOWN",
    "prix_unitaire": "PRICE_INVALID", "montant_amo": "PRICE_INVALID", "montant_complementaire": "PRICE_INVALID",
    "montant_total": "PRICE_INVALID", "ligne": "LINE_NUMBER_INVALID",
}


def distinct_problems(values: pd.Series, problem) -> dict[str, str]:
    """{value: reason} for the distinct non-empty values that `problem` rejects."""
    return {v: reason for v in values.dropna().unique() if (reason := problem(v))}


def line_schema(frame: pd.DataFrame, regimes: set[str], nir_problems: dict, code_problems: dict) -> pa.DataFrameSchema:
    no_rights = frame["prise_en_charge"].eq("sans_droits") if "prise_en_charge" in frame else False

    def required(key: str) -> pa.Check:
        bad = frame.get(f"{key}_bad", False)
        excused = no_rights if key in REQUIRED_UNLESS_NO_RIGHTS else False
        return pa.Check(lambda s: s.notna() | bad | excused, name="REQUIRED_MISSING", ignore_na=False)

    def readable(key: str) -> pa.Check:
        bad = frame[f"{key}_bad"]
        return pa.Check(lambda s: ~bad, name=UNREADABLE_CODE[key], ignore_na=False)

    checks: dict[str, list[pa.Check]] = {key: [] for key in frame.columns}
    for key in REQUIRED:
        if key in frame:
            checks[key].append(required(key))
    for key in UNREADABLE_CODE:
        if key in frame:
            checks[key].append(readable(key))
    if "prix_unitaire" in frame:
        checks["prix_unitaire"].append(pa.Check(lambda s: s > 0, name="PRICE_INVALID"))  # a dose is never free
    if "code_regime" in frame:
        known = sorted(regimes)
        checks["code_regime"].append(pa.Check(lambda s: s.isin(known), name="REGIME_UNKNOWN"))
    if "nir" in frame:
        checks["nir"].append(pa.Check(lambda s: ~s.isin(list(nir_problems)), name="NIR_INVALID"))
    if "code_vaccin" in frame:
        checks["code_vaccin"].append(pa.Check(lambda s: ~s.isin(list(code_problems)), name="VACCINE_CODE_INVALID"))
    return pa.DataFrameSchema(
        {key: pa.Column(checks=c, nullable=True, required=False) for key, c in checks.items() if c},
        strict=False,
    )


def failures(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> list[tuple[object, str, str]]:
    """(index, column key, code) of every failing cell, all checks run (lazy)."""
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna()]
        return list(zip(cases["index"], cases["column"], cases["check"], strict=True))
    return []


def identifier_problems(frame: pd.DataFrame) -> tuple[dict, dict]:
    nirs = distinct_problems(frame["nir"], nir_problem) if "nir" in frame else {}
    codes = distinct_problems(frame["code_vaccin"], vaccine_code_problem) if "code_vaccin" in frame else {}
    return nirs, codes
