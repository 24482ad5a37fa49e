"""Inserting many rows at once through each engine's bulk path, inside the caller's transaction: PostgreSQL's `COPY`
(psycopg 3's `cursor.copy`), SQLite's one prepared statement run for every row (`executemany`). On SQLite the
connection's page cache is raised for the insert (and set back after it): the keyed hashes land at random places of
their indexes, and with SQLite's default 2 MB cache the transaction spilled pages to disk and read them back; half of
the insert's time at 100,000 lines. Nothing else changes: the same rows, in the same transaction.

The rows are given as columns (name -> list of Python values, None for nothing), so that no dictionary is built per
row. The caller's transaction keeps its guarantees: a unique index broken by one row fails the whole insert with
SQLAlchemy's IntegrityError, as a plain `insert` would, and nothing of it stays once the transaction rolls back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import operator
from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa


def values(series: pd.Series) -> list:
    """A column as a list of plain Python values (numpy scalars unboxed), None where pandas has nothing."""
    return series.astype(object).where(series.notna(), None).tolist()


def insert(connection: sa.Connection, table: sa.Table, columns: dict[str, list], order_by: str | None = None) -> None:
    """Insert the rows held by `columns` into `table`, in the transaction of `connection`; with `order_by`, in the
    order of that column's values (a stable sort: rows of equal values in their order). `COPY` takes the rows from
    an iterator over the columns (no list of row tuples when they keep their order); SQLAlchemy's `executemany`
    wants a list."""
    names = list(columns)
    if len({len(values) for values in columns.values()}) > 1:
        raise ValueError(f"{table.name} : colonnes de longueurs différentes")
    if not columns or not len(next(iter(columns.values()))):
        return
    if connection.dialect.name == "postgresql":
        _copy(connection, table, names, _rows(list(columns.values()), names, order_by))
        return
    # SQLite: dates as ISO text, each distinct one made once
    values = [_sqlite_column(values) if isinstance(table.c[name].type, sa.Date | sa.DateTime) else values
              for name, values in columns.items()]
    _executemany(connection, table, names, list(_rows(values, names, order_by)))


def _rows(columns: list[list], names: list[str], order_by: str | None) -> Iterable[tuple]:
    """The rows of `columns`, as they come or sorted by the (comparable) values of the column `order_by`."""
    rows = zip(*columns, strict=True)
    if order_by is None:
        return rows
    return sorted(rows, key=operator.itemgetter(names.index(order_by)))


def _sqlite_value(value):
    """What SQLAlchemy's SQLite types store: dates and times as ISO text."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _sqlite_column(values: list) -> list:
    """A column of dates (or times) as SQLite stores them. A column repeats its days: when it holds only days and
    nothing (None), each distinct day is written once and the column taken from them; any other column value by
    value."""
    try:
        distinct = set(values)
    except TypeError:  # something unhashable: stored as the driver takes it
        distinct = None
    if distinct is not None and all(v is None or v.__class__ is dt.date for v in distinct):
        texts = {v: None if v is None else v.isoformat() for v in distinct}
        return list(map(texts.__getitem__, values))
    return [_sqlite_value(value) for value in values]


CACHE_KIB = 65_536  # SQLite's page cache during a bulk insert (KiB): what 100,000 ledger lines and their indexes use


def _executemany(connection: sa.Connection, table: sa.Table, names: list[str], rows: list[tuple]) -> None:
    quoted = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join("?" for _ in names)
    with _sqlite_cache(connection):
        connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', rows)


@contextlib.contextmanager
def _sqlite_cache(connection: sa.Connection):
    """SQLite's page cache at least CACHE_KIB for the block, then as it was (a per-connection setting, not part of
    the transaction: the connection goes back to its pool as it came)."""
    before = int(connection.exec_driver_sql("PRAGMA cache_size").scalar())
    # a count of pages, or (negative) of KiB
    kib = -before if before < 0 else before * int(connection.exec_driver_sql("PRAGMA page_size").scalar()) // 1024
    if kib >= CACHE_KIB:
        yield
        return
    connection.exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {before}")


def _copy(connection: sa.Connection, table: sa.Table, names: list[str], rows: Iterable[tuple]) -> None:
    import psycopg

    quoted = ", ".join(f'"{name}"' for name in names)
    raw = connection.connection.driver_connection
    try:
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.errors.IntegrityError as exc:
        raise sa.exc.IntegrityError(f"COPY {table.name}", None, exc) from None
    except psycopg.errors.DiskFull as exc:
        from bordereau.errors import BordereauError

        raise BordereauError(f"registre {connection.engine.url.render_as_string(hide_password=True)} : "
                             "écriture impossible, disque plein") from exc
