"""The audit's fast paths (issue 12) against the exact ones they replace: line numbers taken as they are, the distinct
beneficiaries of a column, the keyed hash from a copied HMAC state, the SQLite page cache given back after an audit's
lines are inserted, and a first audit's history checks that copy nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import random

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from test_audit_ledger import DOSES, TODAY, exported, odd_line_numbers, with_rejected
from test_ledger import db  # noqa: F401 - db is a fixture

from bordereau.audit import history as audit_history
from bordereau.audit.history import MemoryHistory, PastDose
from bordereau.audit.rows import line_number, line_numbers
from bordereau.audit.run import audit_files, audit_inputs
from bordereau.check.run import check_files
from bordereau.ledger import open_ledger
from bordereau.ledger.audits import LedgerAuditHistory
from bordereau.ledger.keys import Hasher
from bordereau.render.audit_json import dumps

HOSTILE = ["12", 7, 3.0, "A3", None, "٣", "  ", True, False, "0012", 2**40, -4, "-4", "1e3", 0, "0", float("nan"),
           np.int64(5), np.float64(2.0), b"12", "¹²", "12 ", pd.NA, pd.NaT, 10**30, -(10**30), [], (1,), 3 + 0j]


def test_line_numbers_are_line_number_of_each_line():
    draw = random.Random(1212)
    values = HOSTILE + [draw.choice(HOSTILE) if draw.random() < 0.3 else draw.randrange(-50, 10**7)
                        for _ in range(3000)]
    rows = [draw.randrange(1, 10**6) for _ in values]
    assert line_numbers(values, rows) == [line_number(n, r) for n, r in zip(values, rows, strict=True)]
    assert [type(n) for n in line_numbers(values, rows)] == [int] * len(values)
    assert line_numbers([], []) == []


def test_the_keyed_hash_is_hmac_sha256_of_the_text():
    draw = random.Random(7)
    for size in (32, 64, 65, 200):
        key = bytes(draw.randrange(256) for _ in range(size))
        hasher = Hasher(key)
        texts = ["", "B|N214075913890066|2014-07-05", "é" * 100, "x" * 10_000, "\u0000", "🙂|B"]
        texts += ["".join(chr(draw.randrange(32, 0x3000)) for _ in range(draw.randrange(80))) for _ in range(200)]
        for text in texts * 2:  # each hash from a fresh copy: asking twice gives the same
            assert hasher(text) == hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        assert hasher.many(texts) == {t: hmac.new(key, t.encode(), hashlib.sha256).hexdigest() for t in texts}


@pytest.mark.parametrize("dtype", ["str", object])
def test_distinct_is_the_set_of_the_values_present(dtype):
    draw = random.Random(3)
    values = [draw.choice(["a", "b", "é", "", None, " a", "N1|2014-01-01"]) for _ in range(500)]
    series = pd.Series(values, dtype=dtype)
    assert audit_history._distinct(series) == set(series.dropna())
    assert audit_history._distinct(series.iloc[:0]) == set() == set(series.iloc[:0].dropna())
    mixed = pd.Series(["a", None, float("nan"), pd.NA, "a", 3], dtype=object)
    assert audit_history._distinct(mixed) == set(mixed.dropna()) == {"a", 3}


def _exact_history_findings(lines, tables, ref, history, reaudited=()):
    """history_findings as it was before the fast path: every line with a key and a date copied first."""
    keyed = lines[lines["beneficiaire_cle"].notna() & lines["date_administration"].notna()]
    past = [d for d in history.earlier_doses(set(keyed["beneficiaire_cle"])) if d.bordereau not in reaudited]
    if not past:
        return
    by_who: dict[str, list[PastDose]] = {}
    for dose in past:
        by_who.setdefault(dose.beneficiary, []).append(dose)
    schedule = ref.schedules.get("HPV")
    for i in keyed.index[keyed["beneficiaire_cle"].isin(by_who)]:
        line = lines.loc[i]
        cell = tables[(line["path"], line["sheet"])].cell("date_administration", int(line["row"]))
        day = line["date_administration"].date()
        for dose in by_who[line["beneficiaire_cle"]]:
            yield from audit_history._against(line, cell, day, dose, schedule)
    if schedule is not None:
        yield from audit_history._too_many(lines, keyed, by_who, tables, schedule)


def test_the_history_checks_find_what_the_exact_ones_find(ref, tmp_path):
    """No copy of the lines when the history has no earlier dose; with earlier doses (one per beneficiary, some the
    same day: duplicates, others too close: intervals), the findings of the exact path, in its order."""
    folder = exported(ref, tmp_path, DOSES)
    odd_line_numbers(folder)
    paths = with_rejected(ref, tmp_path, folder)
    first = audit_files(paths, ref, TODAY, "595", MemoryHistory())
    lines = first.lines
    tables = check_files(audit_inputs(paths), ref, TODAY).tables
    assert list(audit_history.history_findings(lines, tables, ref, MemoryHistory())) == []
    keyed = lines[lines["beneficiaire_cle"].notna() & lines["date_administration"].notna()]
    doses = [PastDose(k, v, d.date() - dt.timedelta(days=40 * (i % 3)), True, f"ailleurs {i}", f"X{i % 2}")
             for i, (k, v, d) in enumerate(zip(keyed["beneficiaire_cle"], keyed["cip13"],
                                               keyed["date_administration"], strict=True))]
    later = MemoryHistory(doses=doses)
    for reaudited in ((), ("X1",)):
        found = list(audit_history.history_findings(lines, tables, ref, later, reaudited))
        assert found == list(_exact_history_findings(lines, tables, ref, later, reaudited))
        assert {"DUPLICATE_LINE", "DOSE_INTERVAL_TOO_SHORT"} <= {f.code for f in found}


def test_the_sqlite_page_cache_is_given_back_after_the_lines_are_inserted(db, ref, tmp_path):  # noqa: F811
    folder = exported(ref, tmp_path, DOSES)
    ledger = open_ledger(db)
    history = LedgerAuditHistory(ledger)
    with ledger.engine.connect() as connection:
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar() if db.endswith(".sqlite") else None
    audit = audit_files([folder], ref, TODAY, "595", history)
    assert history.recorded is not None and len(audit.lines)
    if before is not None:
        with ledger.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == before
    with ledger.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM audited_lines")).scalar()
    assert stored == len(audit.lines)
    ledger.engine.dispose()


def test_the_json_of_odd_line_numbers_is_the_exact_one(ref, tmp_path):
    """`dumps` writes each line's number through the fast path; the document is the one of `audit_json`."""
    import json

    from bordereau.render.audit_json import audit_json

    folder = exported(ref, tmp_path, DOSES)
    odd_line_numbers(folder)
    audit = audit_files(with_rejected(ref, tmp_path, folder), ref, TODAY, "595", MemoryHistory())
    assert len(set(map(type, audit.lines["ligne"]))) > 1
    document = json.loads(dumps(audit))
    assert document == json.loads(json.dumps(audit_json(audit)))
    assert [line["ligne"] for line in document["lines"]] == [
        line_number(n, r) for n, r in zip(audit.lines["ligne"], audit.lines["row"], strict=True)]


ODD_VALUES = ["", "é\n\"\\\t\u0000\u2028🙂", "NIR 2 14 07 59 *** *** **", 0, -1, 2**70, True, False, None, 1, "1",
              "</script>", " "]


@pytest.mark.parametrize("seed", range(6))
def test_lists_of_objects_are_written_as_json_dumps_writes_them(seed):
    """`_list_text` against json.dumps(indent=1) one level deep: flat objects alike (the fast path, True and 1 in
    one column), and anything else (objects with other keys or key orders, nested values, floats, empty objects)."""
    from bordereau.render.audit_json import _list_text

    draw = random.Random(seed)
    keys = ["bordereau", "ligne", "code", "motif", "é\"k"]
    flat = [{k: draw.choice(ODD_VALUES) for k in keys} for _ in range(draw.randrange(1, 300))]
    others = [
        flat, [], [{}], [{"a": 1}, {}], [*flat, {k: 1 for k in reversed(keys)}], [*flat, {"a": 1}],
        [*flat, {**flat[0], "x": [1, {"y": None}]}], [{"a": 1.5}, {"a": float("nan")}], [{"a": [], "b": {}}],
        ["texte", 3, None, [1, 2]], [{"a": 1}, "b"], [{1: "a"}, {1: "b"}], [{"a": True}, {"a": 1}, {"a": 1}],
    ]
    for items in others:
        expected = json.dumps({"x": 1, "k": items}, ensure_ascii=False, indent=1)
        assert expected == '{\n "x": 1,\n "k": ' + _list_text(items) + "\n}"


def _exact_verdicts(lines, found):
    """`verdicts` before its fast path: every line's findings ordered."""
    from bordereau.audit.lines import ACCEPTED, OBSERVATION, REJECTED, ordered

    n = len(lines)
    verdict, code, codes = np.full(n, ACCEPTED, dtype=object), np.full(n, None, dtype=object), np.empty(n, object)
    codes[:] = [()] * n
    for i, items in found.items():
        items = ordered(items, int(lines["row"].iat[i]))
        codes[i] = tuple(dict.fromkeys(f.code for f in items))
        if items[0].severity == "error":
            verdict[i], code[i] = REJECTED, items[0].code
        else:
            verdict[i] = OBSERVATION
    return pd.DataFrame({"verdict": verdict, "code": code, "codes": codes}, index=lines.index)


def test_verdicts_are_the_exact_ones(ref, tmp_path):
    """One finding on a line is taken as it is; several are ordered: on the examples (errors, warnings, several codes
    on a line), a bordereau audited for another caisse (one finding per line) and fuzzed workbooks."""
    from pathlib import Path

    from fuzzing import cases, write_case

    from bordereau.audit.lines import verdicts

    examples = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.xlsx"))
    folder = exported(ref, tmp_path, DOSES)
    audits = [audit_files(examples, ref, TODAY, "595"), audit_files([folder], ref, TODAY, "594")]
    audits += [audit_files([write_case(tmp_path, name, suffix, make)], ref, TODAY, "595")
               for name, suffix, make in cases(1717, 15)]
    sizes = set()
    for audit in audits:
        sizes |= {len(items) for items in audit.touching.values()}
        pd.testing.assert_frame_equal(verdicts(audit.lines, audit.touching),
                                      _exact_verdicts(audit.lines, audit.touching))
    assert {1, 2} <= sizes
