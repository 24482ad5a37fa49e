"""The audit history of a CPAM, kept in the ledger: the bordereaux it audited and the lines it accepted, under the
same keyed hashes as the Département's ledger (never a clear NIR). Implements `audit_history.AuditHistory`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator

import sqlalchemy as sa

from bordereau import clock
from bordereau.audit.history import PastDose
from bordereau.audit.rows import kept_columns
from bordereau.check.batch import fr_date
from bordereau.ledger import bulk
from bordereau.ledger.schema import audited_bordereaux, audited_lines, audits

CHUNK = 500


class LedgerAuditHistory:
    def __init__(self, ledger):
        self.ledger = ledger
        self.recorded: int | None = None  # the id of the audit `record` kept

    def beneficiary_keys(self, identities: Collection[str]) -> dict[str, str]:
        hasher = self.ledger.hasher
        return {i: hasher(f"B|{i}") for i in identities}

    def same_files(self, digests: dict[str, str]) -> set[str]:
        same = set()
        with self.ledger.engine.connect() as connection:
            for number, digest in digests.items():
                found = connection.execute(sa.select(audited_bordereaux.c.id).where(
                    audited_bordereaux.c.number == number, audited_bordereaux.c.sha256 == digest)).first()
                if found is not None:
                    same.add(number)
        return same

    def bordereaux_seen(self, numbers: Collection[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        numbers = sorted(set(numbers))
        with self.ledger.engine.connect() as connection:
            for start in range(0, len(numbers), CHUNK):
                rows = connection.execute(
                    sa.select(audited_bordereaux.c.number, sa.func.min(audits.c.audited_on))
                    .join(audits, audits.c.id == audited_bordereaux.c.audit_id)
                    .where(audited_bordereaux.c.number.in_(numbers[start:start + CHUNK]))
                    .group_by(audited_bordereaux.c.number)).all()
                found.update({n: f"audité le {fr_date(day)}" for n, day in rows})
        return found

    def earlier_doses(self, beneficiaries: Collection[str]) -> Iterable[PastDose]:
        """Asked through the driver, without SQLAlchemy's per-value expansion of `IN` (most of the time for 100,000
        beneficiaries): one `= ANY(array)` on PostgreSQL, chunks of CHUNK keys on SQLite; in the order of the keys,
        then of the lines. A day, and an audit's date as messages give it, are made once per distinct value."""
        keys = sorted(set(beneficiaries))
        doses = []
        days: dict = {}
        audited: dict = {}
        with self.ledger.engine.connect() as connection:
            for rows in _dose_rows(connection, keys):
                for key, vaccine, day, classe, bordereau, line_no, audited_on in rows:
                    if (when := audited.get(audited_on)) is None:
                        when = audited[audited_on] = f"audité le {fr_date(_day(audited_on))}"
                    if (given := days.get(day)) is None:
                        given = days[day] = _day(day)
                    doses.append(PastDose(key, vaccine, given, classe == "HPV",
                                          f"la ligne {line_no} du bordereau {bordereau} ({when})", bordereau or ""))
        return doses

    def record(self, audit) -> None:
        """Keep the audit, its bordereaux and its lines. The lines go in the order of their beneficiaries' keys (a
        beneficiary's in line order, `ORDER BY beneficiary_key, id` unchanged): the index of `beneficiary_key` grows
        at its end on a new ledger, and a later audit reads a beneficiary's doses from neighbouring rows."""
        kept = kept_columns(audit)
        with self.ledger.engine.begin() as connection:
            audit_id = connection.execute(audits.insert().values(
                audited_on=audit.today, cpam=audit.cpam, created=clock.now()).returning(audits.c.id)).scalar_one()
            numbers = sorted({b.number for b in audit.bordereaux if b.number and b.number not in audit.reaudited})
            if numbers:
                connection.execute(audited_bordereaux.insert(), [
                    {"audit_id": audit_id, "number": n, "sha256": audit.digests.get(n)} for n in numbers])
            if kept["bordereau"]:
                # bulk.insert gives SQLite a large page cache for the insert: the index of `beneficiary_key`
                # takes 100,000 keys at once, among those of earlier audits
                bulk.insert(connection, audited_lines, {
                    "audit_id": [audit_id] * len(kept["bordereau"]), "bordereau": kept["bordereau"],
                    "line_no": kept["ligne"], "beneficiary_key": kept["beneficiaire"],
                    "vaccine_code": kept["code_vaccin"], "classe": kept["classe"],
                    "administered_on": kept["date_administration"], "verdict": kept["verdict"],
                    "accepted": kept["accepted"]}, order_by="beneficiary_key")
        self.recorded = audit_id


_DOSES = ("SELECT l.beneficiary_key, l.vaccine_code, l.administered_on, l.classe, l.bordereau, l.line_no, "
          "a.audited_on FROM audited_lines l JOIN audits a ON a.id = l.audit_id "
          "WHERE l.verdict <> {mark} AND l.beneficiary_key {keys} ORDER BY l.beneficiary_key, l.id")


def _dose_rows(connection: sa.Connection, keys: list[str]) -> Iterator[list[tuple]]:
    """The rows of `audited_lines` not rejected of these beneficiaries, joined to their audit's date."""
    if not keys:
        return
    if connection.dialect.name == "postgresql":
        yield connection.exec_driver_sql(_DOSES.format(mark="%s", keys="= ANY(%s)"), ("rejeté", keys)).all()
        return
    for start in range(0, len(keys), CHUNK):
        part = keys[start:start + CHUNK]
        marks = ", ".join("?" * len(part))
        yield connection.exec_driver_sql(_DOSES.format(mark="?", keys=f"IN ({marks})"), ("rejeté", *part)).all()


def _day(value) -> dt.date:
    """A date as the driver gives it: a date (psycopg), ISO text (sqlite3, as SQLAlchemy's Date stores it)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
