"""check reuses what `lines.to_frame` found (issue 12): the distinct NIRs, names, vaccine names and codes of a
one-table batch (for the invalid identifiers, the parent NIRs, the beneficiaries and the vaccine names) and the
positions of its single table. On workbooks made by code (odd, hostile and mixed-type cells; one NIR spelt several
ways, names that fold alike, vaccine names that are not the code's, empty, invalid and parents' NIRs, duplicates;
several tables in one batch) the findings, the JSON and every line are exactly those of the exact paths (every
line's values factorized again, the tables grouped by a hash table)."""

from __future__ import annotations

import copy
import datetime as dt
import math
import random
from pathlib import Path

import pytest
from conftest import GARDASIL
from fuzzing import cases, write_case

from bordereau.check import run
from bordereau.read import lines as frames


def _exact(monkeypatch):
    to_frame, positions = frames.to_frame, run._positions
    monkeypatch.setattr(run, "to_frame", lambda table, path, regimes=None, distinct=None: to_frame(table, path,
                                                                                                      regimes))
    monkeypatch.setattr(run, "_positions", lambda frame, one_table=False: positions(frame))


def _cells(frame) -> dict:
    def cell(v):
        return type(v).__name__, "nan" if isinstance(v, float) and math.isnan(v) else repr(v)

    return {name: (str(frame[name].dtype), [cell(v) for v in frame[name].tolist()]) for name in frame.columns}


def _same(monkeypatch, paths, ref, today):
    new = run.check_files(paths, ref, today)
    with monkeypatch.context() as patch:
        _exact(patch)
        old = run.check_files(paths, ref, today)
    assert new.findings == old.findings
    assert new.as_json() == old.as_json()
    assert _cells(new.lines) == _cells(old.lines)
    return new


def _spellings(nir: str, rng: random.Random) -> str:
    return rng.choice([nir, " ".join([nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]]),
                       f" {nir} ", nir[:13] + "00", "", "2 55 08", nir])


@pytest.mark.parametrize("seed", range(8))
def test_one_table_with_odd_identities_gives_what_the_exact_paths_give(monkeypatch, book, clean_lines, ref, today,
                                                                       seed):
    rng = random.Random(seed)
    rows = []
    for _ in range(rng.choice([1, 5, 40])):
        line = copy.deepcopy(rng.choice(clean_lines))
        if line.get("nir"):
            line["nir"] = _spellings(line["nir"], rng)
        line["nom"] = rng.choice([line["nom"], line["nom"].lower(), f" {line['nom']} ", "Éloïse", "ELOISE", "", None])
        line["prenom"] = rng.choice([line["prenom"], line["prenom"].upper(), "", None, "Zoé", "ZOE"])
        if rng.random() < 0.3:  # a name that is not the code's, or none
            line["vaccin"] = rng.choice(["Nimenrix", "gardasil 9", "GARDASIL", "", None, "Vaccin HPV"])
        if rng.random() < 0.2:
            line["date_naissance"] = dt.date(1980, 1, 1)  # a parent's NIR, or a pupil too old
        if rng.random() < 0.1:
            line["code_vaccin"] = rng.choice(["", "123", GARDASIL[:-1] + "0", " " + GARDASIL])
        rows.append(line)
    path = book(rows, totals=bool(seed % 2))
    _same(monkeypatch, [path], ref, today)


def test_several_tables_take_the_exact_paths(monkeypatch, book, clean_lines, ref, today):
    one, two = book(clean_lines, "un.xlsx"), book(clean_lines[:2], "deux.xlsx")
    result = _same(monkeypatch, [one, two], ref, today)
    assert len(result.files) == 2


FUZZ = [case for case in cases(20261127, 30) if "flips" not in case[0] and "truncated" not in case[0]]


@pytest.mark.parametrize(("name", "suffix", "make"), FUZZ, ids=[case[0] for case in FUZZ])
def test_workbooks_made_by_code_give_what_the_exact_paths_give(tmp_path: Path, monkeypatch, ref, today, name, suffix,
                                                               make):
    _same(monkeypatch, [write_case(tmp_path, name, suffix, make)], ref, today)


@pytest.mark.parametrize("cells", [["a", "b", "a"], ["a", None, "c", "a"], [None, None], [], ["b"]])
@pytest.mark.parametrize("mapping", [{"a": "x", "b": "y"}, {"a": 1}, {"a": None, "c": 2.5}, {}, {"b": "x"}])
def test_a_map_of_the_distinct_values_is_the_map_of_the_column(cells, mapping):
    import numpy as np
    import pandas as pd

    from bordereau.price.split import mapped
    from bordereau.read.cells import on_distinct

    raw, codes, parsed = on_distinct(cells, lambda v: v)
    column = pd.DataFrame({"c": frames.taken(parsed, codes)})["c"]
    made, exact = mapped(column, mapping, (codes, parsed)), column.map(mapping)
    assert str(made.dtype) == str(exact.dtype)
    assert [repr(v) for v in made.tolist()] == [repr(v) for v in exact.tolist()]
    assert made.index.equals(exact.index) and isinstance(raw, np.ndarray | pd.api.extensions.ExtensionArray)
