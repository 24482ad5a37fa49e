"""Recording an export in the ledger, in two steps around the writing of its files, and recovering from a crash.

1. `reserve`, one transaction: the bordereau numbers are allocated (a counter per CPAM, centre and day), the export is
   inserted as `pending` with all its bordereaux and lines. The unique index on billed doses makes a concurrent export
   of the same line fail here, before any file is written.
2. the files are written in a temporary folder and renamed into place (export.write);
3. `complete`, one transaction: the files' checksums, and the export becomes `done`.
A crash between 1 and 3 leaves a `pending` export whose process is gone (on PostgreSQL: whose advisory lock no
process holds any more, whatever machine it ran on, see owners.py; on SQLite: whose host and pid say so): `recover`
(run whenever the ledger is opened) completes it if its folder was renamed into place, and deletes it otherwise. An
export whose completion also records its caller's part (the service's export record) is deleted even so, its folder
with it: that part died with the process, and the ledger alone would bill lines the service never handed over.
Either the whole export is recorded and written, or nothing is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from bordereau.errors import BordereauError
from bordereau.files import owner_tag
from bordereau.identifiers import hide_nirs, nir_mask
from bordereau.ledger import bulk, owners
from bordereau.ledger.bulk import values
from bordereau.ledger.schema import billed_lines, bordereaux, counters, exports, fir_lines

MARKER = ".bordereau-export"
STALE_AFTER = dt.timedelta(hours=1)  # a pending export of another host is abandoned after this


def _next_number(connection: sa.Connection, cpam: str, finess: str, day: str) -> int:
    """Atomically take the next sequence number of a CPAM, centre and day."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(counters).values(cpam=cpam, finess=finess, day=day, last=1)
    statement = statement.on_conflict_do_update(index_elements=["cpam", "finess", "day"],
                                                set_={"last": counters.c.last + 1}).returning(counters.c.last)
    return int(connection.execute(statement).scalar_one())


def reserve(ledger, plan, out: Path, hashes: pd.DataFrame, temp: Path | None = None) -> int:
    """Step 1: number the bordereaux of `plan` (in place) and record everything as pending. Returns the export id.

    `hashes` holds, per line index of the check, `beneficiary_key` and `dose_key`.
    """
    created = plan.created.replace(tzinfo=None)
    connection = ledger.engine.connect()
    try:
        with connection.begin():
            export_id = connection.execute(exports.insert().values(
                # the real time, not the export's date: it says how long the export has been running
                created=dt.datetime.now(), out_dir=str(out.resolve()), temp_dir=str(temp) if temp else None,
                state="pending", host=ledger.host, pid=os.getpid(), made_on=plan.created.date(),
            ).returning(exports.c.id)).scalar_one()
            owners.hold(connection, export_id)  # this process's, until complete or cancel (owners.py)
            for code, items in plan.bordereaux.items():
                renumbered = []
                for b in items:
                    day = f"{plan.created:%Y%m%d}"
                    n = _next_number(connection, b.cpam.code, b.centre.finess_geographique, day)
                    b = dataclasses.replace(b, number=f"HPV-{b.cpam.code}-{b.centre.finess_geographique}-{day}-{n}")
                    renumbered.append(b)
                    _insert_bordereau(connection, export_id, b, created, hashes)
                plan.bordereaux[code] = renumbered
            _insert_fir(connection, export_id, plan.no_rights_lines, hashes)
    except sa.exc.IntegrityError:
        owners.drop(connection)
        raise BordereauError("une ligne de cet export vient d'être facturée par un autre export en cours : "
                             "relancez la commande pour voir lesquelles") from None
    except BaseException:
        owners.drop(connection)
        raise
    owners.keep(connection, export_id)
    return export_id


def _insert_bordereau(connection, export_id: int, b, created: dt.datetime, hashes: pd.DataFrame) -> None:
    connection.execute(bordereaux.insert().values(
        number=b.number, export_id=export_id, cpam=b.cpam.code, finess_geographique=b.centre.finess_geographique,
        centre=b.centre.nom, period_start=b.start, period_end=b.end, created=created, lines=b.sums.lines,
        prix=int(b.sums.prix * 100), amo=int(b.sums.amo * 100), complementaire=int(b.sums.complementaire * 100),
        total=int(b.sums.total * 100), file_name=b.file_name, refers_to=",".join(b.refers_to) or None))
    lines = b.lines
    keys = hashes.loc[lines.index]
    n = len(lines)
    bulk.insert(connection, billed_lines, {
        "bordereau": [b.number] * n, "line_no": list(range(1, n + 1)), "dose_key": values(keys["dose_key"]),
        "beneficiary_key": values(keys["beneficiary_key"]), "vaccine_code": values(lines["vaccin_id"]),
        "classe": values(lines["classe"]), "administered_on": values(lines["date_administration"].dt.date),
        "coverage": values(lines["prise_en_charge"]), "regime": values(lines["code_regime"]),
        **{column: [int(v) for v in lines[source]] for column, source in (
            ("prix", "prix_unitaire"), ("amo", "amo"), ("complementaire", "complementaire"), ("total", "total"))},
        "state": ["billed"] * n,
        "rebills": values(keys["rebills"]) if "rebills" in keys else [None] * n,
        "nom": values(lines["nom"].map(hide_nirs, na_action="ignore")),
        "prenom": values(lines["prenom"].map(hide_nirs, na_action="ignore")),
        "birth_date": values(lines["date_naissance"].dt.date),
        "nir_masked": values(lines["nir"].map(nir_mask, na_action="ignore")),
    })


def _insert_fir(connection, export_id: int, lines: pd.DataFrame, hashes: pd.DataFrame) -> None:
    """The lines without rights of the FIR statement, so that a later export does not count them again."""
    if lines.empty:
        return
    keys = hashes.loc[lines.index]
    bulk.insert(connection, fir_lines, {
        "export_id": [export_id] * len(lines), "dose_key": values(keys["dose_key"]),
        "beneficiary_key": values(keys["beneficiary_key"]),
        "finess_geographique": values(lines["finess_geographique"]), "vaccine_code": values(lines["vaccin_id"]),
        "classe": values(lines["classe"]), "administered_on": values(lines["date_administration"].dt.date),
        "prix": [int(v) for v in lines["prix_unitaire"]], "fir": [int(v) for v in lines["fir"]]})


def complete(ledger, export_id: int, out: Path, also=None) -> None:
    """Step 3: record the checksums written in the manifests, and mark the export done; `also(connection)` runs in the
    same transaction (the service records its own export there: both are kept, or neither).

    Should the export be gone from the ledger (this process lost its connection to PostgreSQL, and with it its lock,
    for long enough that another process undid the export as abandoned), its folder is removed: nothing of it stays.
    """
    try:
        with ledger.engine.begin() as connection:
            if not _complete(connection, export_id, out):
                shutil.rmtree(out, ignore_errors=True)
                raise BordereauError("export annulé pendant son écriture (connexion au registre perdue) : rien n'a "
                                     "été enregistré ni écrit, relancez la commande")
            if also is not None:
                also(connection)
    finally:
        owners.release(export_id)


def _complete(connection, export_id: int, out: Path) -> bool:
    for manifest in out.glob("*/manifest.json"):
        for item in json.loads(manifest.read_text(encoding="utf-8"))["files"]:
            connection.execute(bordereaux.update().where(bordereaux.c.number == item["number"])
                               .values(sha256=item["sha256"]))
    return bool(connection.execute(exports.update().where(exports.c.id == export_id, exports.c.state == "pending")
                                   .values(state="done")).rowcount)


def cancel(ledger, export_id: int) -> None:
    """Undo step 1 after a failure to write the files."""
    try:
        with ledger.engine.begin() as connection:
            _delete(connection, export_id)
    finally:
        owners.release(export_id)


def _delete(connection, export_id: int) -> None:
    numbers = sa.select(bordereaux.c.number).where(bordereaux.c.export_id == export_id)
    connection.execute(billed_lines.delete().where(billed_lines.c.bordereau.in_(numbers)))
    connection.execute(bordereaux.delete().where(bordereaux.c.export_id == export_id))
    connection.execute(fir_lines.delete().where(fir_lines.c.export_id == export_id))
    connection.execute(exports.delete().where(exports.c.id == export_id))


def marker(export_id: int, ledger, hooked: bool = False) -> str:
    """The text of the marker file an export folder carries, tying it to its ledger entry. `hooked`: the export's
    completion also records its caller's part (the service's export record, in the same transaction), which a
    recovery cannot replay: such an export is undone, never completed, when its process died before completing."""
    fields = {"export_id": export_id, "ledger": hashlib.sha256(ledger.describe().encode()).hexdigest()[:16]}
    return json.dumps({**fields, "hooked": True} if hooked else fields)


def _alive(row, host: str) -> bool:
    """Whether the process of a pending export may still be running (on another host: for an hour)."""
    age = dt.datetime.now() - row.created
    if row.host != host:
        return age < STALE_AFTER
    try:
        os.kill(row.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return age < dt.timedelta(days=1)  # beyond, the pid was reused by another program


# the temporary folder of an export: .NAME.<host>-<pid>.XXXXXXXX.tmp (before 0.1.0: .NAME.XXXXXXXX.tmp)
_TEMP = re.compile(r"\.(?P<name>.+?)\.(?:(?P<host>[A-Za-z0-9]*)-(?P<pid>\d+)\.)?[a-z0-9_]{8}\.tmp")


def sweep(folder: Path, ledger) -> list[Path]:
    """Remove the temporary export folders of `folder` that no pending export of the ledger claims and whose process
    is gone: a kill between their creation and the export's first commit leaves them behind. A folder of this host
    goes when its process is dead; one of another host, or without a process in its name, after STALE_AFTER."""
    with ledger.engine.connect() as connection:
        claimed = set(connection.execute(sa.select(exports.c.temp_dir).where(exports.c.state == "pending")).scalars())
    removed = []
    try:
        candidates = [p for p in folder.iterdir() if p.name.endswith(".tmp") and p.is_dir()]
    except OSError:
        return removed
    for path in candidates:
        found = _TEMP.fullmatch(path.name)
        if found is None or str(path) in claimed:
            continue
        try:
            age = dt.datetime.now() - dt.datetime.fromtimestamp(path.stat().st_mtime)
        except OSError:
            continue
        if found["pid"] and found["host"] == _host_tag() and age > dt.timedelta(seconds=5):
            gone = not _pid_alive(int(found["pid"]))
        else:
            gone = age > STALE_AFTER
        if gone:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _host_tag() -> str:
    return owner_tag().rsplit("-", 1)[0]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def recover(ledger) -> list[str]:
    """Complete or undo the exports whose process died between reserve and complete, and remove the temporary
    folders nothing claims beside the exports the ledger knows. Returns what was done."""
    done = []
    with ledger.engine.connect() as connection:
        folders = {str(Path(d).parent) for d in connection.execute(sa.select(exports.c.out_dir).distinct()).scalars()}
    for folder in sorted(folders):
        done += [f"dossier temporaire abandonné supprimé : {p}" for p in sweep(Path(folder), ledger)]
    with ledger.engine.begin() as connection:
        pending = connection.execute(sa.select(exports).where(exports.c.state == "pending")).all()
        for row in pending:
            gone = owners.orphaned(connection, row.id) if owners.locks(connection) else not _alive(row, ledger.host)
            if not gone:
                continue
            out = Path(row.out_dir)
            mark = out / MARKER
            found = json.loads(mark.read_text(encoding="utf-8")) if mark.exists() else {}
            if found.get("export_id") == row.id and not found.get("hooked"):
                _complete(connection, row.id, out)
                done.append(f"export {row.id} terminé ({out})")
            else:
                _delete(connection, row.id)
                if found.get("export_id") == row.id:  # written, but its caller's part is lost with its process
                    shutil.rmtree(out, ignore_errors=True)
                done.append(f"export {row.id} annulé")
            if row.temp_dir:
                shutil.rmtree(row.temp_dir, ignore_errors=True)
    return done
