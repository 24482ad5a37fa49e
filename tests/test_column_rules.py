"""The column rules as boolean masks (bordereau/schema.py) find exactly what the pandera schema they replaced found
(tests/pandera_schema.py, kept as it was): the same cells with the same codes, each once, on the examples and on the
frames of fuzzed workbooks, whose cells hold every kind of value. Their order may differ (pandera's follows its own
bookkeeping): check sorts every finding by its place and code, and no two rules give one cell the same code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pandera_schema
import pytest
from fuzzing import cases, write_case

import bordereau.check.run as check
from bordereau.check import schema
from bordereau.reference.data import load_reference

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.xlsx"))


@pytest.fixture(scope="module")
def ref():
    return load_reference()


def _frame(paths: list[Path], ref) -> pd.DataFrame:
    result = check.check_files(paths, ref, dt.date(2026, 11, 23))
    return result.lines


def _both(frame: pd.DataFrame, ref) -> tuple[list, list]:
    nirs, codes = schema.identifier_problems(frame)
    regimes = set(ref.regimes)
    old = pandera_schema.failures(frame, pandera_schema.line_schema(frame, regimes, nirs, codes))
    new = schema.failures(frame, regimes, nirs, codes)
    assert len(set(new)) == len(new)
    return sorted(old), sorted(new)


def test_examples_give_the_same_failures(ref):
    frame = _frame(EXAMPLES, ref)
    old, new = _both(frame, ref)
    assert new == old
    assert {code for _, _, code in new} >= {"REQUIRED_MISSING", "NIR_INVALID", "DATE_INVALID"}  # errors example


def test_fuzzed_workbooks_give_the_same_failures(ref, tmp_path):
    compared = 0
    for name, suffix, make in cases(20261124, 60):
        path = write_case(tmp_path, name, suffix, make)
        frame = _frame([path], ref)
        if frame.empty:
            continue
        old, new = _both(frame, ref)
        assert new == old, name
        compared += bool(new)
    assert compared >= 10
