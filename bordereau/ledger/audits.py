"""The audit history of a CPAM, kept in the ledger: the bordereaux it audited and the lines it accepted, under the
same keyed hashes as the Département's ledger (never a clear NIR). Implements `audit_history.AuditHistory`."""

from __future__ import annotations

from collections.abc import Collection, Iterable

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
        return {i: self.ledger.hasher(f"B|{i}") for i in identities}

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
        keys = sorted(set(beneficiaries))
        c = audited_lines.c
        doses = []
        with self.ledger.engine.connect() as connection:
            for start in range(0, len(keys), CHUNK):
                rows = connection.execute(
                    sa.select(c.beneficiary_key, c.vaccine_code, c.administered_on, c.classe, c.bordereau, c.line_no,
                              audits.c.audited_on)
                    .join(audits, audits.c.id == c.audit_id)
                    .where(c.beneficiary_key.in_(keys[start:start + CHUNK]), c.verdict != "rejeté")).all()
                doses += [PastDose(r.beneficiary_key, r.vaccine_code, r.administered_on, r.classe == "HPV",
                                   f"la ligne {r.line_no} du bordereau {r.bordereau} (audité le "
                                   f"{fr_date(r.audited_on)})", r.bordereau or "") for r in rows]
        return doses

    def record(self, audit) -> None:
        kept = kept_columns(audit)
        with self.ledger.engine.begin() as connection:
            audit_id = connection.execute(audits.insert().values(
                audited_on=audit.today, cpam=audit.cpam, created=clock.now()).returning(audits.c.id)).scalar_one()
            numbers = sorted({b.number for b in audit.bordereaux if b.number and b.number not in audit.reaudited})
            if numbers:
                connection.execute(audited_bordereaux.insert(), [
                    {"audit_id": audit_id, "number": n, "sha256": audit.digests.get(n)} for n in numbers])
            if kept["bordereau"]:
                bulk.insert(connection, audited_lines, {
                    "audit_id": [audit_id] * len(kept["bordereau"]), "bordereau": kept["bordereau"],
                    "line_no": kept["ligne"], "beneficiary_key": kept["beneficiaire"],
                    "vaccine_code": kept["code_vaccin"], "classe": kept["classe"],
                    "administered_on": kept["date_administration"], "verdict": kept["verdict"],
                    "accepted": kept["accepted"]})
        self.recorded = audit_id
