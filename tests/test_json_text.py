"""`check --json` and `totals --json` are written by render/json_text.py exactly as json.dumps(ensure_ascii=False,
indent=2) would write them: on any JSON-like value (hostile texts, control characters, lone surrogates, floats,
nested and empty containers, keys that are not texts), and on the findings of fuzzed workbooks."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from fuzzing import cases, write_case
from hypothesis import given, settings
from hypothesis import strategies as st

from bordereau.check.run import check_files
from bordereau.price.totals import GROUPINGS, totals
from bordereau.reference.data import load_reference
from bordereau.render.json_text import dumps

_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
            | st.text() | st.sampled_from(["\ud800", "a\udfffb", "\x00\x1f\x7f\u2028\"\\/", "212035912345678"]))
_KEYS = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                       | st.dictionaries(_KEYS, inner, max_size=4), max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_any_value(value):
    assert dumps(value) == json.dumps(value, ensure_ascii=False, indent=2)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(st.text(), st.none() | st.text() | st.integers() | st.booleans(), max_size=8)))
def test_flat_objects(findings):
    value = {"files": findings[:2], "findings": findings}
    assert dumps(value) == json.dumps(value, ensure_ascii=False, indent=2)


def test_what_json_refuses_is_refused_alike():
    for value in ({"a": Decimal("1.5")}, [dt.date(2026, 1, 1)], {(1, 2): 3}):
        with pytest.raises(TypeError):
            json.dumps(value, ensure_ascii=False, indent=2)
        with pytest.raises(TypeError):
            dumps(value)


def test_the_documents_of_fuzzed_workbooks(tmp_path):
    ref = load_reference()
    for name, suffix, make in cases(20261127, 25):
        result = check_files([write_case(tmp_path, name, suffix, make)], ref, dt.date(2026, 11, 23))
        document = result.as_json()
        assert dumps(document) == json.dumps(document, ensure_ascii=False, indent=2), name
        for by in GROUPINGS:
            sums = totals(result.lines, by, ref).as_json()
            assert dumps(sums) == json.dumps(sums, ensure_ascii=False, indent=2), name
