"""The ledger's bulk insert (issue 12): PostgreSQL's COPY and SQLite's prepared statement keep the guarantees of a
plain insert, on both engines: the values read back as written, a dose billed twice fails the whole insert, and
nothing of it stays."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from test_ledger import db, rows  # noqa: F401 - db is a fixture

from bordereau.ledger import bulk, open_ledger
from bordereau.ledger.schema import billed_lines, bordereaux, exports


def _lines(number: str, doses: list[str]) -> dict[str, list]:
    n = len(doses)
    return {"bordereau": [number] * n, "line_no": list(range(1, n + 1)), "dose_key": doses,
            "beneficiary_key": ["b" * 64] * n, "vaccine_code": ["3400930056202"] * n, "classe": ["HPV"] * n,
            "administered_on": [dt.date(2026, 10, 5)] * n, "coverage": ["droit_commun"] * n,
            "regime": [None] * n, "prix": [13568] * n, "amo": [8819] * n, "complementaire": [0] * n,
            "total": [8819] * n, "state": ["billed"] * n, "nom": ["O'HARA, Zoé\t«»"] * n, "prenom": [None] * n,
            "birth_date": [dt.date(2013, 3, 12)] * n}


def _bordereau(connection, number: str) -> None:
    export_id = connection.execute(exports.insert().values(
        created=dt.datetime(2026, 11, 23, 10), out_dir="/x", state="done").returning(exports.c.id)).scalar_one()
    connection.execute(bordereaux.insert().values(
        number=number, export_id=export_id, cpam="595", finess_geographique="590780102", centre="Lille",
        period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 10, 31), created=dt.datetime(2026, 11, 23),
        lines=2, prix=0, amo=0, complementaire=0, total=0, file_name=f"{number}.xlsx"))


def test_bulk_lines_read_back_as_written(db, tmp_path):  # noqa: F811
    ledger = open_ledger(db, tmp_path / "key")
    with ledger.engine.begin() as connection:
        _bordereau(connection, "HPV-1")
        bulk.insert(connection, billed_lines, _lines("HPV-1", ["d" * 64, "e" * 64]))
    [first, second] = sorted(rows(db, billed_lines), key=lambda r: r["line_no"])
    assert (first["dose_key"], second["dose_key"]) == ("d" * 64, "e" * 64)
    assert first["administered_on"] == dt.date(2026, 10, 5) and first["birth_date"] == dt.date(2013, 3, 12)
    assert (first["nom"], first["prenom"], first["regime"], first["total"]) == ("O'HARA, Zoé\t«»", None, None, 8819)


def test_a_dose_billed_twice_fails_the_whole_bulk_insert(db, tmp_path):  # noqa: F811
    ledger = open_ledger(db, tmp_path / "key")
    with ledger.engine.begin() as connection:
        _bordereau(connection, "HPV-1")
    with pytest.raises(sa.exc.IntegrityError), ledger.engine.begin() as connection:
        bulk.insert(connection, billed_lines, _lines("HPV-1", ["d" * 64, "d" * 64]))
    assert rows(db, billed_lines) == [] and len(rows(db, bordereaux)) == 1


def test_sqlite_gets_its_page_cache_back_after_a_bulk_insert_that_worked_or_failed(tmp_path):
    """The insert raises SQLite's page cache (bulk.CACHE_KIB) for itself only: the pooled connection keeps its own."""
    ledger = open_ledger(str(tmp_path / "ledger.sqlite"), tmp_path / "key")
    with ledger.engine.begin() as connection:
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        assert -before < bulk.CACHE_KIB
        _bordereau(connection, "HPV-1")
        bulk.insert(connection, billed_lines, _lines("HPV-1", ["d" * 64, "e" * 64]))
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == before
    with pytest.raises(sa.exc.IntegrityError), ledger.engine.begin() as connection:
        bulk.insert(connection, billed_lines, _lines("HPV-1", ["f" * 64, "f" * 64]))
    with ledger.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == before
    assert len(rows(str(tmp_path / "ledger.sqlite"), billed_lines)) == 2


def test_the_ledger_lookups_by_key_find_what_an_in_list_finds_in_the_same_order(db, tmp_path, monkeypatch):  # noqa: F811
    """history._select asks PostgreSQL `= ANY(array)` instead of an IN list of 500 parameters: the same rows, in the
    same order (a dose rejected twice, billed again, keys missing, chunks of several queries), on both engines."""
    from bordereau.ledger import history

    ledger = open_ledger(db, tmp_path / "key")
    doses = [f"{n:064x}" for n in range(0, 120, 2)]
    with ledger.engine.begin() as connection:
        for number, state in (("HPV-1", "rejected"), ("HPV-2", "rejected"), ("HPV-3", "billed")):
            _bordereau(connection, number)
            lines = _lines(number, doses)
            lines["state"] = [state] * len(doses)
            lines["beneficiary_key"] = [f"{n % 7:064x}" for n in range(len(doses))]
            bulk.insert(connection, billed_lines, lines)
    monkeypatch.setattr(history, "CHUNK", 16)
    c = billed_lines.c
    wanted = [f"{n:064x}" for n in range(120)]
    for column, keys in ((c.dose_key, wanted), (c.beneficiary_key, wanted[:9])):
        fast = history._select(ledger, column, keys, c.dose_key, c.bordereau, c.line_no, c.state)
        with monkeypatch.context() as m:
            m.setattr(history, "_among", history._in)
            exact = history._select(ledger, column, keys, c.dose_key, c.bordereau, c.line_no, c.state)
        assert len(fast) == 180 and fast.equals(exact)


def test_date_columns_with_repeated_days_and_nothing_read_back_as_written(db, tmp_path):  # noqa: F811
    """SQLite's date columns are written once per distinct day (bulk._sqlite_column); a column that holds anything
    but days and nothing (a datetime, here) goes value by value: both read back as written, in line order."""
    ledger = open_ledger(db, tmp_path / "key")
    days = [dt.date(2026, 10, 5), dt.date(2026, 10, 5), dt.date(2025, 1, 31), dt.date(2026, 10, 5)]
    births = [None, dt.date(2013, 3, 12), None, dt.date(2013, 3, 12)]
    lines = _lines("HPV-1", [f"{n:064x}" for n in range(4)])
    lines["administered_on"], lines["birth_date"] = days, births
    with ledger.engine.begin() as connection:
        _bordereau(connection, "HPV-1")
        bulk.insert(connection, billed_lines, lines)
    stored = sorted(rows(db, billed_lines), key=lambda r: r["line_no"])
    assert [r["administered_on"] for r in stored] == days and [r["birth_date"] for r in stored] == births
    assert bulk._sqlite_column(days + births) == [d and d.isoformat() for d in days + births]
    moments = [dt.datetime(2026, 11, 23, 10, 5), dt.date(2026, 1, 2), None]
    assert bulk._sqlite_column(moments) == ["2026-11-23 10:05:00", "2026-01-02", None]
    assert bulk._sqlite_column([[1], dt.date(2026, 1, 2)]) == [[1], "2026-01-02"]  # unhashable: value by value


def test_columns_of_unequal_lengths_insert_nothing(db, tmp_path):  # noqa: F811
    ledger = open_ledger(db, tmp_path / "key")
    lines = _lines("HPV-1", ["d" * 64, "e" * 64])
    lines["nom"] = ["A"]
    with pytest.raises(ValueError), ledger.engine.begin() as connection:
        _bordereau(connection, "HPV-1")
        bulk.insert(connection, billed_lines, lines)
    assert rows(db, billed_lines) == [] and rows(db, bordereaux) == []
    with ledger.engine.begin() as connection:  # no column, no row: nothing to do
        bulk.insert(connection, billed_lines, {})
        bulk.insert(connection, billed_lines, {name: [] for name in lines})
    assert rows(db, billed_lines) == []


def test_rows_ordered_by_a_column_get_their_ids_in_that_order_equal_values_in_theirs(db, tmp_path):  # noqa: F811
    """`order_by` inserts the rows sorted by one column, a stable sort: the ids follow that column, and the rows of
    one value keep the order they were given in (what `audited_lines` relies on: ORDER BY beneficiary_key, id)."""
    from bordereau.ledger.schema import audited_lines, audits

    ledger = open_ledger(db, tmp_path / "key")
    keys = ["c" * 64, "a" * 64, "c" * 64, "b" * 64, "a" * 64, "c" * 64]
    with ledger.engine.begin() as connection:
        audit_id = connection.execute(audits.insert().values(
            audited_on=dt.date(2026, 11, 23), cpam="595", created=dt.datetime(2026, 11, 23, 10))
            .returning(audits.c.id)).scalar_one()
        bulk.insert(connection, audited_lines, {
            "audit_id": [audit_id] * 6, "bordereau": ["HPV-1"] * 6, "line_no": list(range(1, 7)),
            "beneficiary_key": keys, "vaccine_code": ["3400930056202"] * 6, "classe": ["HPV"] * 6,
            "administered_on": [dt.date(2026, 10, day) for day in range(1, 7)], "verdict": ["accepté"] * 6,
            "accepted": [9850] * 6}, order_by="beneficiary_key")
    stored = sorted(rows(db, audited_lines), key=lambda r: r["id"])
    assert [(r["beneficiary_key"][0], r["line_no"]) for r in stored] == [
        ("a", 2), ("a", 5), ("b", 4), ("c", 1), ("c", 3), ("c", 6)]
    assert [r["administered_on"].day for r in stored] == [2, 5, 4, 1, 3, 6]
