"""What the ledger knows about the lines being checked: doses already billed, earlier doses of the same
beneficiaries. Lines are matched on keyed hashes only; the queries go by chunks of distinct keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bordereau.distinct import distinct_values as distinct
from bordereau.ledger.schema import billed_lines, exports, fir_lines

CHUNK = 500


def line_keys(ledger, who: pd.Series, vaccine: pd.Series, day: pd.Series) -> pd.DataFrame:
    """`beneficiary_key` and `dose_key` of each line (None where the beneficiary is unknown)."""
    days = pd.Series(day.to_numpy().astype("datetime64[D]").astype(str), index=day.index)
    beneficiary_text = "B|" + who
    dose_text = "D|" + who + "|" + vaccine.astype(object).where(vaccine.notna(), "") + "|" + days
    hashes = ledger.hasher.many(pd.concat([beneficiary_text, dose_text]).dropna().to_numpy(dtype=object).tolist())
    return pd.DataFrame({"beneficiary_key": beneficiary_text.map(hashes), "dose_key": dose_text.map(hashes)},
                        index=who.index)


def _select(ledger, column: sa.Column, keys: list[str], *columns: sa.Column) -> pd.DataFrame:
    rows = []
    with ledger.engine.connect() as connection:
        among = _among if connection.dialect.name == "postgresql" else _in
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start:start + CHUNK]
            rows += connection.execute(sa.select(*columns).where(among(column, chunk))).all()
    return pd.DataFrame(rows, columns=[c.name for c in columns])


def _in(column: sa.Column, keys: list[str]):
    """`column IN (k1, k2, ...)`: one bound parameter per key."""
    return column.in_(keys)


def _among(column: sa.Column, keys: list[str]):
    """`column = ANY(%s)`, the keys bound as one array: what PostgreSQL makes of an IN list itself (the same plan,
    the same rows in the same order), without SQLAlchemy and psycopg handling 500 parameters one by one (0.7 -> 0.3 s
    of this process's CPU for 100,000 keys)."""
    return column == sa.any_(sa.bindparam(None, keys, type_=sa.ARRAY(column.type)))


def billed_doses(ledger, dose_keys: pd.Series) -> pd.DataFrame:
    """Ledger lines (billed or rejected) of these doses, and those already on a FIR statement (state `billed`,
    bordereau named after the export's FIR statement, line 0)."""
    c = billed_lines.c
    keys = sorted(distinct(dose_keys))
    found = _select(ledger, c.dose_key, keys, c.dose_key, c.bordereau, c.line_no, c.state)
    fir = _select(ledger, fir_lines.c.dose_key, keys, fir_lines.c.dose_key, fir_lines.c.export_id)
    if len(fir):
        with ledger.engine.connect() as connection:
            created = {row.id: row.made_on or row.created.date() for row in connection.execute(
                sa.select(exports.c.id, exports.c.made_on, exports.c.created))}
        fir = pd.DataFrame({"dose_key": fir["dose_key"], "line_no": 0, "state": "billed",
                            "bordereau": [f"état FIR de l'export du {created[e]:%d/%m/%Y}" for e in fir["export_id"]]})
        found = pd.concat([found, fir], ignore_index=True)
    return found


def earlier_doses(ledger, beneficiary_keys: pd.Series, classe: str) -> pd.DataFrame:
    """Every dose of a vaccine class given to these beneficiaries, whoever paid: billed to a CPAM, or put on a FIR
    statement (a line without rights); `where` says where it was billed. FIR lines keep no birth date (NaT)."""
    c = billed_lines.c
    keys = sorted(distinct(beneficiary_keys))
    found = _select(ledger, c.beneficiary_key, keys, c.beneficiary_key, c.administered_on, c.bordereau, c.line_no,
                    c.classe, c.state, c.birth_date, c.dose_key)
    found = found[(found["classe"] == classe) & (found["state"] == "billed")]
    found = found.assign(where="bordereau " + found["bordereau"].astype(str) + ", ligne "
                         + found["line_no"].astype(str))
    f = fir_lines.c
    fir = _select(ledger, f.beneficiary_key, keys, f.beneficiary_key, f.administered_on, f.classe, f.dose_key,
                  f.export_id)
    fir = fir[fir["classe"] == classe]
    if len(fir):
        with ledger.engine.connect() as connection:
            created = dict(connection.execute(sa.select(exports.c.id, exports.c.created)).all())
        label = [f"état FIR de l'export du {created[e]:%d/%m/%Y}" for e in fir["export_id"]]
        fir = fir.drop(columns="export_id").assign(bordereau=label, line_no=0, state="billed", birth_date=None,
                                                   where=label)
        found = pd.concat([found, fir], ignore_index=True) if len(found) else fir
    return found.assign(administered_on=pd.to_datetime(found["administered_on"]).astype("datetime64[s]"),
                        birth_date=pd.to_datetime(found["birth_date"]).astype("datetime64[s]"))


def attach(batch, ledger) -> None:
    """Give the batch its keyed hashes and what the ledger knows of its lines."""
    d, f = batch.derived, batch.frame
    keys = line_keys(ledger, d["who"], d["vaccin_id"], f["date_administration"])
    batch.derived = d.assign(beneficiary_key=keys["beneficiary_key"], dose_key=keys["dose_key"])
    billed = billed_doses(ledger, keys["dose_key"])
    batch.history = earlier_doses(ledger, keys["beneficiary_key"], "HPV")
    # the history is read after the doses: an export that committed in between shows there first
    late = batch.history[batch.history["dose_key"].isin(distinct(keys["dose_key"]))]
    late = late.loc[~late["dose_key"].isin(set(billed["dose_key"])), ["dose_key", "bordereau", "line_no", "state"]]
    batch.billed = pd.concat([billed, late], ignore_index=True) if len(late) else billed
    rejected = batch.billed[batch.billed["state"] == "rejected"].drop_duplicates("dose_key", keep="last")
    batch.derived["rebills"] = keys["dose_key"].map(dict(zip(rejected["dose_key"], rejected["bordereau"],
                                                             strict=True)))


def empty_history() -> pd.DataFrame:
    return pd.DataFrame({"beneficiary_key": pd.Series(dtype=object),
                         "administered_on": pd.Series(dtype="datetime64[s]"),
                         "bordereau": pd.Series(dtype=object), "line_no": pd.Series(dtype=np.int64)})
