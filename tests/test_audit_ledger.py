"""The audit's lines kept in the ledger (issue 12): built from the columns (`rows.kept_columns`) and inserted through
the bulk path (bordereau/ledger/bulk.py), they are exactly the history rows an audit hands on (`rows.history_rows`,
the specification) that a history keeps: on both engines, on workbooks made by code (clean, with mistakes, with odd
line numbers, fuzzed), and a failed insert keeps nothing of the audit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from fuzzing import cases, write_case
from test_ledger import db, invoke, rows, workbook  # noqa: F401 - db is a fixture

from bordereau.audit import rows as audit_rows
from bordereau.audit.history import MemoryHistory
from bordereau.audit.run import audit_files
from bordereau.ledger import open_ledger
from bordereau.ledger.audits import LedgerAuditHistory
from bordereau.ledger.schema import audited_bordereaux, audited_lines, audits

TODAY = dt.date(2026, 11, 23)
ODD_NUMBERS = ["12", 7, 3.0, "A3", None, "٣", "  ", True, "0012", 2**40, "-4", "1e3"]


def expected(audit) -> dict[str, list]:
    """The specification: history_rows, filtered as a history keeps them, column by column."""
    kept = [r for r in audit_rows.history_rows(audit) if r["verdict"] != "rejeté" and r["beneficiaire"]
            and r["date_administration"] and r["bordereau"] not in audit.reaudited]
    return {name: [r[name] for r in kept] for name in audit_rows.KEPT}


def by_key(columns: dict[str, list]) -> dict[str, list]:
    """The columns in the order of the beneficiaries' keys, a beneficiary's lines in line order (a stable sort)."""
    order = sorted(range(len(columns["beneficiaire"])), key=columns["beneficiaire"].__getitem__)
    return {name: [values[i] for i in order] for name, values in columns.items()}


def exported(ref, tmp_path: Path, doses) -> Path:
    """An export folder (no ledger) of the Lille bordereau of `doses`."""
    invoke("export", workbook(ref, tmp_path / "a.xlsx", doses), "--out", tmp_path / "e", "--no-ledger")
    return tmp_path / "e" / "595-lille-douai"


def odd_line_numbers(folder: Path) -> None:
    """Every kind of value in the bordereau's « N° de ligne » column."""
    [sheet] = folder.glob("HPV-*.xlsx")
    book = openpyxl.load_workbook(sheet)
    page = book.active
    header = next(c for row in page.iter_rows(max_row=20) for c in row if c.value == "N° de ligne")
    for k, row in enumerate(range(header.row + 1, page.max_row + 1)):
        if isinstance(page.cell(row, 1).value, str) and page.cell(row, 1).value.lower().startswith("total"):
            break
        page.cell(row, header.column).value = ODD_NUMBERS[k % len(ODD_NUMBERS)]
    book.save(sheet)


DOSES = [(n, dt.date(2025, 10, 6) + dt.timedelta(days=n), 1) for n in range(27)]


def with_rejected(ref, tmp_path: Path, folder: Path) -> list[Path]:
    """The export folder and another bordereau billing its first dose again (DUPLICATE_LINE: a rejected line)."""
    return [folder, workbook(ref, tmp_path / "b.xlsx", [DOSES[0], (30, dt.date(2025, 11, 3), 1)])]


def test_kept_columns_are_the_history_rows_a_history_keeps(ref, tmp_path: Path):
    folder = exported(ref, tmp_path, DOSES)
    history = MemoryHistory()
    first = audit_files(with_rejected(ref, tmp_path, folder), ref, TODAY, "595", history)
    assert set(first.lines["verdict"]) == {"accepté", "rejeté"}
    assert audit_rows.kept_columns(first) == expected(first) and len(expected(first)["ligne"]) > 20
    again = audit_files([folder], ref, TODAY, "595", history)  # the same file: its lines are not kept again
    assert again.reaudited and audit_rows.kept_columns(again) == expected(again) == {n: [] for n in audit_rows.KEPT}
    odd_line_numbers(folder)
    odd = audit_files([folder], ref, TODAY, "595", MemoryHistory())
    assert audit_rows.kept_columns(odd) == expected(odd) and len(set(map(type, odd.lines["ligne"]))) > 1


def test_kept_columns_on_fuzzed_and_example_workbooks(ref, tmp_path: Path):
    paths = [write_case(tmp_path, name, suffix, make) for name, suffix, make in cases(1212, 25)]
    paths += sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.xlsx"))
    for path in paths:
        audit = audit_files([path], ref, TODAY, None, MemoryHistory())
        assert audit_rows.kept_columns(audit) == expected(audit), path.name


def test_the_ledger_keeps_exactly_the_kept_lines(db, ref, tmp_path: Path):  # noqa: F811
    folder = exported(ref, tmp_path, DOSES)
    odd_line_numbers(folder)
    history = LedgerAuditHistory(open_ledger(db))
    audit = audit_files(with_rejected(ref, tmp_path, folder), ref, TODAY, "595", history)
    assert "rejeté" in set(audit.lines["verdict"])
    stored = sorted(rows(db, audited_lines), key=lambda r: r["id"])
    want = by_key(expected(audit))  # stored in the order of the keys, a beneficiary's lines in line order
    assert want != expected(audit)  # the lines of several beneficiaries, not in the order of their keys
    names = {"bordereau": "bordereau", "ligne": "line_no", "beneficiaire": "beneficiary_key",
             "code_vaccin": "vaccine_code", "classe": "classe", "date_administration": "administered_on",
             "verdict": "verdict", "accepted": "accepted"}
    assert {k: [r[column] for r in stored] for k, column in names.items()} == want and len(stored) > 20
    assert {r["audit_id"] for r in stored} == {history.recorded}
    assert all(type(r["administered_on"]) is dt.date for r in stored)
    # and the next audit finds them: the same doses as the in-memory history gives
    memory = MemoryHistory(secret=b"")
    memory.record(audit)
    keys = set(want["beneficiaire"])
    assert sorted(history.earlier_doses(keys), key=repr) == sorted(memory.earlier_doses(keys), key=repr)


def test_a_failed_line_insert_keeps_nothing_of_the_audit(db, ref, tmp_path: Path, monkeypatch):  # noqa: F811
    folder = exported(ref, tmp_path, DOSES)
    kept = audit_rows.kept_columns

    def broken(audit):
        columns = kept(audit)
        columns["code_vaccin"][-1] = None  # NOT NULL: the last row breaks the whole insert
        return columns

    monkeypatch.setattr("bordereau.ledger.audits.kept_columns", broken)
    with pytest.raises(sa.exc.IntegrityError):
        audit_files([folder], ref, TODAY, "595", LedgerAuditHistory(open_ledger(db)))
    assert rows(db, audits) == [] and rows(db, audited_bordereaux) == [] and rows(db, audited_lines) == []


def test_the_kept_columns_fast_paths_are_the_value_by_value_ones():
    """A string column's keys are tested at once, an int64 column's amounts taken as they are: the same as testing
    and converting value by value (any other dtype), on hostile values."""
    import numpy as np
    import pandas as pd

    texts = ["a" * 64, None, "", "b", " ", "ü", None, ""]
    strings = pd.Series(texts, dtype="str")
    for column in (strings, pd.Series(texts, dtype=object), pd.Series([*texts[:-1], 5], dtype=object)):
        values = column.astype(object).to_numpy()
        exact = np.array([isinstance(k, str) and k != "" for k in values], dtype=bool)
        assert audit_rows._texts(column, values).tolist() == exact.tolist()
    for amounts in (pd.Series([0, 9850, -3, 2**40]), pd.Series([0, 9850, -3, 2**40], dtype="Int64"),
                    pd.Series([0.0, 9850.0, -3.0, 2.0**40]), pd.Series([0, 9850, -3, 2**40], dtype=object)):
        got = audit_rows._ints(amounts)
        assert got == [0, 9850, -3, 2**40] and {type(a) for a in got} == {int}


def test_a_beneficiarys_lines_keep_their_line_order_in_the_ledger_and_for_the_next_audit(db, ref, tmp_path: Path):  # noqa: F811
    """Stored in the order of the keys: within one beneficiary the ids follow the lines, and the next audit gets
    each beneficiary's doses in line order, as the in-memory history gives them."""
    doses = [(n, dt.date(2025, 10, 6) + dt.timedelta(days=n), 1) for n in range(12)]
    doses += [(n, dt.date(2026, 5, 4) + dt.timedelta(days=n), 2) for n in reversed(range(12))]
    folder = exported(ref, tmp_path, doses)
    history = LedgerAuditHistory(open_ledger(db))
    audit = audit_files([folder], ref, TODAY, "595", history)
    stored = sorted(rows(db, audited_lines), key=lambda r: r["id"])
    assert len(stored) == 24 and [r["beneficiary_key"] for r in stored] == sorted(r["beneficiary_key"] for r in stored)
    for key in {r["beneficiary_key"] for r in stored}:
        mine = [r for r in stored if r["beneficiary_key"] == key]
        assert len(mine) == 2 and mine[0]["line_no"] < mine[1]["line_no"]
        assert mine[0]["administered_on"] < mine[1]["administered_on"]
    memory = MemoryHistory(secret=b"")
    memory.record(audit)
    keys = {r["beneficiary_key"] for r in stored}
    ledger_doses, memory_doses = list(history.earlier_doses(keys)), list(memory.earlier_doses(keys))
    assert sorted(memory_doses, key=lambda d: d.beneficiary) == ledger_doses  # a stable sort: line order per key
    later = audit_files([workbook(ref, tmp_path / "c.xlsx", [doses[0]])], ref, TODAY, "595", history)
    assert "DUPLICATE_LINE" in {f.code for f in later.findings}  # later audits still see earlier ones


def test_a_record_that_fails_half_way_keeps_nothing_and_prints_nothing(db, ref, tmp_path: Path, monkeypatch):  # noqa: F811
    """The lines are in the transaction when the ledger fails (a full disk, say): `audit --json --report` prints no
    document and writes no report, and the ledger keeps nothing of the audit."""
    from test_ledger import runner

    from bordereau.errors import BordereauError
    from bordereau.ledger import bulk
    from cli import app

    folder = exported(ref, tmp_path, DOSES)
    real = bulk.insert

    def full_disk(connection, table, columns, **order):
        real(connection, table, columns, **order)
        assert connection.execute(sa.select(sa.func.count()).select_from(table)).scalar() == len(columns["verdict"])
        raise BordereauError("registre : écriture impossible, disque plein")

    monkeypatch.setattr(bulk, "insert", full_disk)
    report = tmp_path / "rapport.html"
    result = runner.invoke(app, ["audit", str(folder), "--cpam", "595", "--json", "--report", str(report),
                                 "--db", db, "--key-file", str(tmp_path / "key"), "--today", "2026-11-23"])
    assert result.exit_code == 2 and "disque plein" in result.output
    assert "{" not in result.stdout and not report.exists()
    assert rows(db, audits) == [] and rows(db, audited_bordereaux) == [] and rows(db, audited_lines) == []
