"""Bordereaux sent to the service: the file (stored once under its SHA-256), its check, its state, who sees it.

States: `contrôlé` (checked, with or without errors), `déposé` (handed to the Département), `remplacé` (a later upload
for the same centre and period took its place; kept in the history), then `exporté` and `envoyé` (ledger.dispatch),
and `payé` / `partiel` / `rejeté` as the ledger says once the CPAM answered. A centre account sees only its centres'
uploads, the Département everything, a CPAM none: anything else is "not found", never "forbidden".
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa

from bordereau import clock
from bordereau.errors import BordereauError
from bordereau.ledger.dispatch import follow
from bordereau.ledger.journal import log_event
from bordereau.ledger.service_tables import insert_ignoring_duplicates, stored_files, uploads

CHECKED, DEPOSITED, REPLACED = "contrôlé", "déposé", "remplacé"
REPLACEABLE = (CHECKED, DEPOSITED)  # an exported one is never replaced


class Refused(BordereauError):
    """The file cannot be taken for this account (422): nothing was stored."""


class Conflict(BordereauError):
    """The operation does not fit the upload's state (409)."""


def sees_all(user) -> bool:
    return user.role == "departement"


def _visible(user) -> sa.ColumnElement[bool]:
    if sees_all(user):
        return sa.true()
    if user.role == "centre":
        return uploads.c.finess_geographique.in_(user.centres)
    return sa.false()


def owner_of(user, row) -> bool:
    return user.role == "centre" and row.finess_geographique in user.centres


def accept(user, checked, reference) -> dict:
    """The one bordereau of a checked file, if this account may send it; raises Refused otherwise."""
    if user.role not in ("centre", "departement"):
        raise Refused("ce compte ne dépose pas de bordereaux")
    unreadable = [f for f in checked.findings if f.get("sheet") is None and f["severity"] == "error"]
    if not checked.files or checked.files[0]["sheet"] is None:
        why = unreadable[0]["message"] if unreadable else "aucun bordereau trouvé dans ce fichier"
        raise Refused(f"{why} : rien n'a été enregistré")
    if len(checked.files) > 1:
        raise Refused(f"{len(checked.files)} bordereaux dans ce fichier (feuilles "
                      f"{', '.join(s['sheet'] for s in checked.files)}) : envoyez un bordereau par fichier")
    summary = checked.files[0]
    finess = summary["finess_geographique"]
    centre = reference.centre_by_finess.get(finess) if finess else None
    if centre is None:
        raise Refused(f"centre du bordereau inconnu (FINESS géographique « {finess or 'absent'} ») : "
                      "vérifiez le bloc d'en-tête ; rien n'a été enregistré")
    if user.role == "centre" and finess not in user.centres:
        raise Refused(f"ce bordereau est celui de {centre.nom} (FINESS {finess}), pas d'un centre de votre compte : "
                      "rien n'a été enregistré")
    return summary


def save(ledger, user, name: str, content: bytes, checked, summary: dict) -> int:
    """Store the file (once per SHA-256) and the upload; an earlier upload of the same centre and period that is
    only checked or deposited is marked replaced. Returns the upload's id."""
    sha = hashlib.sha256(content).hexdigest()
    now = clock.now()
    finess = summary["finess_geographique"]
    start, end = checked.period
    with ledger.engine.begin() as connection:
        if connection.execute(sa.select(stored_files.c.sha256).where(stored_files.c.sha256 == sha)).first() is None:
            insert_ignoring_duplicates(connection, stored_files, sha256=sha, size=len(content), content=content,
                                       stored_at=now)
        upload_id = connection.execute(uploads.insert().values(
            sha256=sha, file_name=name, finess_geographique=finess, centre=summary["centre"] or finess,
            cpam=summary["cpam"], period_start=start, period_end=end, uploaded_at=now, uploaded_by=user.login,
            lines=summary["lines"], errors=summary["errors"], warnings=summary["warnings"], state=CHECKED,
            answer=json.dumps({"file": summary, "findings": checked.findings}, ensure_ascii=False),
            pupils=json.dumps(checked.pupils, ensure_ascii=False)).returning(uploads.c.id)).scalar_one()
        connection.execute(uploads.update().where(
            uploads.c.finess_geographique == finess, uploads.c.period_start == start, uploads.c.period_end == end,
            uploads.c.state.in_(REPLACEABLE), uploads.c.id != upload_id).values(state=REPLACED, replaced_by=upload_id))
        log_event(connection, user.login, "upload",
                  f"envoi {upload_id} : {name} ({finess}, {summary['errors']} erreur(s), sha256 {sha[:12]})")
    return upload_id


def listing(ledger, user) -> list[dict]:
    """The uploads this account may see, newest first, as GET /api/bordereaux lists them."""
    c = uploads.c
    query = (sa.select(c.id, c.centre, c.finess_geographique, c.cpam, c.period_start, c.period_end, c.uploaded_at,
                       c.uploaded_by, c.lines, c.errors, c.warnings, c.state, c.file_name)
             .where(_visible(user)).order_by(c.id.desc()))
    with ledger.engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
        return follow(connection, [_item(r) for r in rows], clock.today())


def _item(r) -> dict:
    period = {"du": r["period_start"].isoformat() if r["period_start"] else None,
              "au": r["period_end"].isoformat() if r["period_end"] else None}
    return {"id": r["id"], "centre": r["centre"], "finess_geographique": r["finess_geographique"],
            "cpam": r["cpam"], "period": period, "uploaded_at": r["uploaded_at"].isoformat(timespec="seconds"),
            "uploaded_by": r["uploaded_by"], "lines": r["lines"], "errors": r["errors"], "warnings": r["warnings"],
            "state": r["state"], "file_name": r["file_name"]}


def find(ledger, user, upload_id: int):
    """The upload's row if this account may see it, else None (the route answers 404)."""
    with ledger.engine.connect() as connection:
        return connection.execute(sa.select(uploads).where(uploads.c.id == upload_id, _visible(user))).first()


def answer(row) -> dict:
    """The upload's answer (`check --json`'s file and findings), its state and whether it may be deposited."""
    stored = json.loads(row.answer) if row.answer else {"file": None, "findings": []}
    return {"id": row.id, **stored, "deposable": deposable(row), "state": row.state}


def pupils(row) -> dict[str, str]:
    return json.loads(row.pupils) if row.pupils else {}


def deposable(row) -> bool:
    return row.state == CHECKED and row.errors == 0 and row.purged_at is None


def content(ledger, sha: str) -> bytes | None:
    with ledger.engine.connect() as connection:
        return connection.execute(sa.select(stored_files.c.content).where(stored_files.c.sha256 == sha)).scalar()


def deposit(ledger, user, upload_id: int) -> str | None:
    """Deposit an upload of one's own centre; None when the account may not see it as its owner (404)."""
    with ledger.engine.begin() as connection:
        row = connection.execute(sa.select(uploads).where(uploads.c.id == upload_id, _visible(user))
                                 .with_for_update()).first()
        if row is None or not owner_of(user, row):
            return None
        if row.state == DEPOSITED:
            return DEPOSITED
        if row.errors:
            raise Conflict(f"ce bordereau a {row.errors} erreur(s) : corrigez-les et envoyez-le de nouveau avant de "
                           "le déposer")
        if row.state != CHECKED:
            raise Conflict(f"ce bordereau est « {row.state} » : il ne peut plus être déposé")
        connection.execute(uploads.update().where(uploads.c.id == upload_id)
                           .values(state=DEPOSITED, deposited_at=clock.now(), deposited_by=user.login))
        log_event(connection, user.login, "deposit", f"envoi {upload_id} ({row.finess_geographique})")
    return DEPOSITED


def purge_uploads(connection: sa.Connection, before) -> int:
    """Remove the personal data of uploads whose period ended before `before`: the stored file (when no other upload
    needs it), the findings and the pupils' names. Counts and states stay."""
    ended = (uploads.c.period_end < before) | (uploads.c.period_end.is_(None) & (uploads.c.uploaded_at < before))
    old = ended & uploads.c.purged_at.is_(None)
    shas = [r.sha256 for r in connection.execute(sa.select(uploads.c.sha256).where(old))]
    done = connection.execute(uploads.update().where(old).values(answer=None, pupils=None,
                                                                 purged_at=clock.now())).rowcount
    still = sa.select(uploads.c.sha256).where(uploads.c.purged_at.is_(None)).scalar_subquery()
    if shas:
        connection.execute(stored_files.delete().where(stored_files.c.sha256.in_(shas),
                                                       stored_files.c.sha256.not_in(still)))
    return done
