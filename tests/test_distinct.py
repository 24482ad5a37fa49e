"""Values keyed once per distinct value (bordereau/distinct.py) are exactly those computed row by row or group by
group before (tests/derive_oracle.py, kept as it was): the derived columns (prices, rates, split, beneficiaries,
parent NIRs, duplicates), the DUPLICATE_LINE findings, the FINESS groups, the lines excluded and the table summaries,
value for value and dtype for dtype, on the examples, on fuzzed workbooks and on frames shuffled by code (names
spelt alike, twins under a parent's NIR, empty and odd cells, repeated lines, several tables)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import derive_oracle as oracle
import numpy as np
import pandas as pd
import pytest
from fuzzing import cases, write_case

import bordereau.check.run as check
from bordereau.check import rules, schema, sheets
from bordereau.check.batch import Batch
from bordereau.distinct import group_codes, present_groups
from bordereau.findings import make
from bordereau.samples import campaign_lines, plant_errors, write_bordereau

TODAY = dt.date(2026, 11, 23)
EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.xlsx"))


@pytest.fixture(scope="module")
def ref():
    from bordereau.reference.data import load_reference

    return load_reference()


def _batch(frame: pd.DataFrame, tables: dict, ref) -> Batch:
    b = Batch(frame, tables, ref, TODAY)
    b.nir_problems, b.code_problems = schema.identifier_problems(frame)
    return b


def _compare(frame: pd.DataFrame, tables: dict, ref) -> None:
    """Every fast path against the plain one, on one frame of lines."""
    if frame.empty:  # check derives nothing from no line
        return
    new, old = _batch(frame, tables, ref), _batch(frame, tables, ref)
    new.derived, old.derived = rules.derive(new), oracle.derive(old)
    pd.testing.assert_frame_equal(new.derived, old.derived, check_exact=True)
    assert list(rules.duplicates(new)) == list(oracle.duplicates(old))
    for findings in ([], _findings(frame, random.Random(len(frame)))):
        lines = frame.join(new.derived)
        groups = check._positions(lines)
        ours = check._mark_excluded(lines.copy(), findings, tables, groups)
        theirs = oracle._mark_excluded(lines.copy(), findings, tables)
        pd.testing.assert_series_equal(ours["excluded"], theirs["excluded"])
        files = sorted({Path(p) for p, _ in tables})
        assert (check._summaries(files, tables, ours, findings, groups)
                == oracle._summaries(files, tables, theirs, findings))
    for key, positions in check._positions(frame).items():
        part = frame.iloc[positions]
        geo = part.get("finess_geographique", pd.Series(None, index=part.index, dtype=object))
        legal = part.get("finess_juridique", pd.Series(None, index=part.index, dtype=object))
        ours = sheets._pairs(geo, legal, part.index)
        theirs = oracle.finess_groups(part)
        assert list(ours) == list(theirs), key
        assert all(ours[k].equals(theirs[k]) for k in ours), key


def _findings(frame: pd.DataFrame, rng: random.Random) -> list:
    """Errors and warnings on some lines, a sheet and a file (excluding them, or not)."""
    if frame.empty:
        return []
    picks = frame.sample(min(len(frame), 12), random_state=rng.randrange(2**31))
    found = [make("PRICE_INVALID" if rng.random() < 0.7 else "PRICE_CAPPED", p, s, int(r), None, "prix_unitaire",
                  label="Prix", value="x", reason="y", price="1,00 EUR", date="01/01/2026", public="1,00 EUR")
             for p, s, r in zip(picks["path"], picks["sheet"], picks["row"], strict=True)]
    path, sheet = frame["path"].iloc[0], frame["sheet"].iloc[0]
    if rng.random() < 0.3:
        found.append(make("COLUMN_MISSING", path, sheet, None, None, "nir", label="NIR"))
    if rng.random() < 0.2:
        found.append(make("FILE_UNREADABLE", path, reason="z"))
    return found


def _read(paths: list[Path], ref) -> tuple[pd.DataFrame, dict]:
    """The frame of lines check derives its values from, and the tables read."""
    tables, frames = {}, []
    for path in paths:
        file_tables, file_frames, _ = check._read_file(path, [], ref.regimes)
        tables.update({(str(path), t.sheet): t for t in file_tables})
        frames.extend(file_frames)
    return check._combine(frames), tables


def test_the_examples(ref):
    for path in EXAMPLES:
        frame, tables = _read([path], ref)
        _compare(frame, tables, ref)


def test_fuzzed_workbooks(ref, tmp_path):
    compared = 0
    for name, suffix, make_case in cases(20261126, 40):
        path = write_case(tmp_path, name, suffix, make_case)
        frame, tables = _read([path], ref)
        _compare(frame, tables, ref)
        compared += len(frame) > 0
    assert compared >= 10


def _sample(ref, folder: Path, seed: int, n: int, errors: bool, sheet: str = "Bordereau") -> Path:
    centre = ref.centre_by_finess["590780102"]
    start, end = dt.date(2025, 9, 1), dt.date(2026, 6, 30)
    lines = campaign_lines(ref, centre, n, start, end, seed=seed)
    if errors:
        lines = plant_errors(ref, centre, lines, end)
    return write_bordereau(folder / f"s{seed}-{sheet}.xlsx", centre, start, end, lines, sheet=sheet)


_NAMES = ("Dupont", " DUPONT", "dupont-", "Dupónt", "Martin", "", None)
_TEXT = ("nom", "prenom", "nir", "code_vaccin", "prise_en_charge", "code_regime", "finess_geographique",
         "finess_juridique")


def _shuffled(frame: pd.DataFrame, rng: random.Random) -> pd.DataFrame:
    """Lines drawn from the frame, then spoilt: cells emptied, values borrowed from other lines (twins, the same
    pupil twice, a parent's NIR), names spelt alike, whole lines repeated."""
    n = len(frame)
    picks = [rng.randrange(n) for _ in range(rng.randint(n // 2, 2 * n))]
    out = frame.iloc[picks].reset_index(drop=True).copy()
    m = len(out)
    for _ in range(rng.randint(0, m)):
        i, j = rng.randrange(m), rng.randrange(m)
        column = rng.choice(("nir", "nom", "prenom", "date_naissance", "date_administration", "code_vaccin",
                             "prix_unitaire", "prise_en_charge", "code_regime", "finess_geographique",
                             "finess_juridique"))
        if column in out and rng.random() < 0.3:
            out.loc[i, column] = None
        elif column in out:
            out.loc[i, column] = out.loc[j, column]
    if "nom" in out:
        for i in rng.sample(range(m), min(m, 20)):
            out.loc[i, "nom"] = rng.choice(_NAMES)
    for i in rng.sample(range(m), min(m, 10)):  # before the first public price known, after the last rates
        out.loc[i, "date_administration"] = pd.Timestamp(rng.choice(("2015-03-02", "2041-01-07", "2026-01-01")))
    if "nir" in out:  # a parent's NIR: another month of birth; a NIR in error; Corsica
        for i in rng.sample(range(m), min(m, 10)):
            out.loc[i, "nir"] = rng.choice(("185037512345678", "2850375123456", "1850320123456", "2A"))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_shuffled_frames(ref, tmp_path, seed):
    rng = random.Random(seed)
    first = _sample(ref, tmp_path, seed, 120, errors=bool(seed % 2))
    second = _sample(ref, tmp_path, seed + 100, 60, errors=True, sheet="Octobre")
    frame, tables = _read([first, second], ref)
    _compare(frame, tables, ref)
    _compare(_shuffled(frame, rng), tables, ref)


def test_group_codes_number_as_groupby_does():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({
        "a": pd.array(rng.choice(["x", "y", None, "z"], 500), dtype="str"),
        "b": pd.array(rng.choice([1, 2, None], 500), dtype="Int64"),
        "c": pd.to_datetime(rng.choice(["2026-01-01", "2026-02-01", None], 500)),
        "d": pd.Series(rng.choice([1, 2.0, "1", None, True], 500), dtype=object),
    })
    codes, firsts = group_codes([frame[c] for c in frame])
    expected = frame.groupby(list(frame), sort=False, dropna=False).ngroup().to_numpy()
    assert codes.tolist() == expected.tolist()
    assert firsts.tolist() == [int(np.flatnonzero(expected == g)[0]) for g in range(len(firsts))]
    present = present_groups([frame[c] for c in frame])
    assert present.tolist() == frame.groupby(list(frame), sort=False).ngroup().fillna(-1).astype(int).tolist()
