"""A CPAM agent's audits through the service (table `service_audits`, migration 11): who audited which files or
which export, `audit --json`'s answer, the HTML report and the rejection statement (xlsx, PDF) as `audit --report`,
`--xlsx` and `--pdf` write them. The lines' history itself is the CLI's (audits.py), kept by the audit.

Only an agent of the audit's caisse sees it; anyone else is "not found" (None), never "forbidden".
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa

from bordereau import clock
from bordereau.ledger.journal import log_event
from bordereau.ledger.service_tables import service_audits


@dataclass(frozen=True)
class AuditRun:
    """What one audit gave: `audit --json`'s text, the report, the statement, the ledger's audit id."""

    answer: str
    report: str
    statement_xlsx: bytes
    statement_pdf: bytes
    audit_id: int | None
    today: dt.date

    @property
    def document(self) -> dict:
        return json.loads(self.answer)


def summary(document: dict) -> dict:
    """What the list of audits shows and keeps after a purge: the totals and the bordereaux' numbers (no name)."""
    return {"total": document["total"], "bordereaux": [b["number"] for b in document["bordereaux"]],
            "errors": sum(f["severity"] == "error" for f in document["findings"]),
            "warnings": sum(f["severity"] == "warning" for f in document["findings"])}


def save(ledger, user, run: AuditRun, names: list[str], export_id: int | None) -> int:
    """Keep the audit of the agent `user` and write it in the audit log; returns its id."""
    document = run.document
    kept = summary(document)
    with ledger.engine.begin() as connection:
        audit = connection.execute(service_audits.insert().values(
            audit_id=run.audit_id, cpam=user.cpam, login=user.login, created=clock.now(), audited_on=run.today,
            export_id=export_id, files=json.dumps(names, ensure_ascii=False),
            summary=json.dumps(kept, ensure_ascii=False), answer=run.answer, report=run.report,
            statement_xlsx=run.statement_xlsx, statement_pdf=run.statement_pdf)
            .returning(service_audits.c.id)).scalar_one()
        source = f"export {export_id}" if export_id is not None else f"{len(names)} fichier(s) envoyé(s)"
        total = document["total"]
        log_event(connection, user.login, "audit",
                  f"audit {audit} (CPAM {user.cpam}, {source}) : {', '.join(kept['bordereaux']) or 'aucun bordereau'}"
                  f" ; {total['lines']} ligne(s), {total['rejected_lines']} rejetée(s), accepté {total['accepted']},"
                  f" refusé {total['rejected']}")
    return audit


def _mine(user) -> sa.ColumnElement[bool]:
    if user.role == "cpam" and user.cpam:
        return service_audits.c.cpam == user.cpam
    return sa.false()


def listing(ledger, user) -> list[dict]:
    """The audits of the agent's caisse, newest first (`GET /api/audits`)."""
    c = service_audits.c
    query = (sa.select(c.id, c.cpam, c.login, c.created, c.audited_on, c.export_id, c.files, c.summary, c.purged_at)
             .where(_mine(user)).order_by(c.id.desc()))
    with ledger.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [item(r) for r in rows]


def item(r) -> dict:
    return {"id": r.id, "cpam": r.cpam, "login": r.login, "created": r.created.isoformat(timespec="seconds"),
            "audited_on": r.audited_on.isoformat(), "export_id": r.export_id, "files": json.loads(r.files),
            **json.loads(r.summary), "purged": r.purged_at is not None}


def find(ledger, user, audit_id: int):
    """The audit's row if the account is an agent of its caisse, else None (the service answers 404)."""
    with ledger.engine.connect() as connection:
        return connection.execute(sa.select(service_audits).where(service_audits.c.id == audit_id,
                                                                   _mine(user))).first()


def purge_audits(connection: sa.Connection, before: dt.date) -> int:
    """Remove the personal data of the service's audits made before `before`: the answer, report and statement go,
    the totals stay."""
    old = (service_audits.c.audited_on < before) & service_audits.c.purged_at.is_(None)
    return connection.execute(service_audits.update().where(old).values(
        answer=None, report=None, statement_xlsx=None, statement_pdf=None, purged_at=clock.now())).rowcount
