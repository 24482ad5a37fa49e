"""Exports made through the service (`POST /api/exports`): which deposited uploads went into which export and which
bordereau, the zipped PETRA folder (stored once under its SHA-256, as uploaded files are), and when it was sent.
Its tables (dispatch_tables.py) are created by migration 10.

The export itself is the `export` command's (export.run, ledger included): these tables only tie its result to the
uploads. A CPAM account sees the exports addressed to its CPAM; the Département sees all; anyone else none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import sqlalchemy as sa

from bordereau import clock
from bordereau.errors import BordereauError
from bordereau.ledger.dispatch_tables import exported_uploads, service_exports
from bordereau.ledger.journal import log_event
from bordereau.ledger.service_tables import insert_ignoring_duplicates, stored_files, uploads

EXPORTED, SENT = "exporté", "envoyé"
DEPOSITED = "déposé"


class Conflict(BordereauError):
    """Nothing to export, or an operation that does not fit the export's state (409)."""


def deposited(ledger, cpam: str) -> list:
    """The deposited, not yet exported uploads of a CPAM (id, file_name, sha256, finess), oldest first."""
    c = uploads.c
    with ledger.engine.connect() as connection:
        return connection.execute(sa.select(c.id, c.file_name, c.sha256, c.finess_geographique)
                                  .where(c.cpam == cpam, c.state == DEPOSITED, c.purged_at.is_(None))
                                  .order_by(c.id)).all()


def record(connection: sa.Connection, user, cpam: str, export_id: int, archive: bytes, folder: str, manifest: dict,
           bordereau_of: dict[int, str | None]) -> int:
    """Keep what the export made (its zip, its manifest) and mark its uploads exported, in the transaction that
    completes the ledger's export (record.complete): both are kept, or neither."""
    sha = hashlib.sha256(archive).hexdigest()
    now = clock.now()
    numbers = [f["number"] for f in manifest["files"]]
    insert_ignoring_duplicates(connection, stored_files, sha256=sha, size=len(archive), content=archive,
                               stored_at=now)
    ref = connection.execute(service_exports.insert().values(
        export_id=export_id, cpam=cpam, created=now, created_by=user.login, sha256=sha, folder=folder,
        manifest=json.dumps(manifest, ensure_ascii=False), numbers=json.dumps(numbers),
        lines=manifest["total"]["lines"], total=str(manifest["total"]["total"])
    ).returning(service_exports.c.id)).scalar_one()
    if bordereau_of:
        connection.execute(exported_uploads.insert(), [{"upload_id": upload, "export_ref": ref, "bordereau": number}
                                                       for upload, number in bordereau_of.items()])
        connection.execute(uploads.update().where(uploads.c.id.in_(list(bordereau_of)),
                                                  uploads.c.state == DEPOSITED).values(state=EXPORTED))
    log_event(connection, user.login, "export",
              f"export {ref} (CPAM {cpam}) : {len(numbers)} bordereau(x) {', '.join(numbers)} ; "
              f"envois {', '.join(str(u) for u in bordereau_of)}")
    return ref


def _visible(user) -> sa.ColumnElement[bool]:
    if user.role == "departement":
        return sa.true()
    if user.role == "cpam" and user.cpam:
        return service_exports.c.cpam == user.cpam
    return sa.false()


def item(row) -> dict:
    """An export as GET /api/exports lists it."""
    return {"id": row.id, "cpam": row.cpam, "created": row.created.isoformat(timespec="seconds"),
            "created_by": row.created_by, "bordereaux": json.loads(row.numbers), "lines": row.lines,
            "total": row.total, "sent_on": row.sent_on.isoformat() if row.sent_on else None,
            "state": SENT if row.sent_on else EXPORTED, "folder": row.folder, "to_sign": to_sign(row.manifest)}


def to_sign(manifest: str) -> list[str]:
    """The PDFs of the CPAM's folder, the recap's first: printed, signed, stamped and scanned (render.deposit)."""
    names = [f["name"] for f in json.loads(manifest).get("other_files", []) if f["name"].endswith(".pdf")]
    return sorted(names, key=lambda n: (not n.startswith("recapitulatif"), n))


def listing(ledger, user) -> list[dict]:
    with ledger.engine.connect() as connection:
        rows = connection.execute(sa.select(service_exports).where(_visible(user))
                                  .order_by(service_exports.c.id.desc())).all()
    return [item(r) for r in rows]


def find(ledger, user, ref: int):
    """The export's row if this account may see it, else None (404)."""
    with ledger.engine.connect() as connection:
        return connection.execute(sa.select(service_exports).where(service_exports.c.id == ref,
                                                                   _visible(user))).first()


def archive(ledger, row) -> bytes | None:
    with ledger.engine.connect() as connection:
        return connection.execute(sa.select(stored_files.c.content)
                                  .where(stored_files.c.sha256 == row.sha256)).scalar()


def mark_sent(ledger, user, ref: int, on: dt.date) -> dict | None:
    """`sent` for every bordereau of an export (status.mark_sent, same checks), then the export and its uploads are
    `envoyé`. None when the account may not see the export."""
    from bordereau.ledger.status import mark_sent as sent

    row = find(ledger, user, ref)
    if row is None or user.role != "departement":
        return None
    numbers = json.loads(row.numbers)
    sent(ledger, numbers, on)
    with ledger.engine.begin() as connection:
        connection.execute(service_exports.update().where(service_exports.c.id == ref)
                           .values(sent_on=on, sent_by=user.login))
        mine = sa.select(exported_uploads.c.upload_id).where(exported_uploads.c.export_ref == ref)
        connection.execute(uploads.update().where(uploads.c.id.in_(mine), uploads.c.state.in_((EXPORTED, SENT)))
                           .values(state=SENT))
        log_event(connection, user.login, "sent", f"export {ref} : {', '.join(numbers)} déposé(s) sur PETRA le "
                                                  f"{on:%d/%m/%Y}")
    return {"id": ref, "sent_on": on.isoformat(), "bordereaux": numbers, "state": SENT}


def follow(connection: sa.Connection, items: list[dict], today: dt.date) -> list[dict]:
    """The uploads list with the ledger's word on exported ones: `payé`, `partiel` or `rejeté` once the CPAM paid or
    refused (ledger.status), the bordereau's number beside."""
    from bordereau.ledger.status import follow_up

    ids = [i["id"] for i in items if i["state"] in (EXPORTED, SENT)]
    if not ids:
        return items
    numbers = dict(connection.execute(sa.select(exported_uploads.c.upload_id, exported_uploads.c.bordereau)
                                      .where(exported_uploads.c.upload_id.in_(ids))).all())
    states = follow_up(connection, [n for n in numbers.values() if n], today)
    for i in items:
        number = numbers.get(i["id"])
        if number:
            i["bordereau"] = number
            i["state"] = states.get(number) or i["state"]
    return items


def waiting(ledger) -> dict[str, dict]:
    """Per CPAM, the deposited uploads not yet exported: {cpam: {"uploads": n, "lines": n}}."""
    c = uploads.c
    with ledger.engine.connect() as connection:
        rows = connection.execute(sa.select(c.cpam, sa.func.count(), sa.func.sum(c.lines))
                                  .where(c.state == DEPOSITED, c.purged_at.is_(None)).group_by(c.cpam)).all()
    return {r[0]: {"uploads": int(r[1]), "lines": int(r[2] or 0)} for r in rows if r[0]}
