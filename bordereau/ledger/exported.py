"""The exports recorded in the ledger, as the service lists and serves them: which CPAM each export addresses, the
bordereaux it holds for each, and the files of an export's PETRA folder (read where `export` wrote them), zipped.

A CPAM account sees only the exports that hold bordereaux of its own caisse, and of them only its own folder; the
Département sees every export and its whole folder. Anything else is None (the service answers 404).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import sqlalchemy as sa

from bordereau.ledger.schema import bordereaux, exports
from bordereau.money import as_json, from_cents

DONE = "done"


def _cpam_of(user) -> str | None:
    """The caisse a CPAM account is limited to; None for the Département; raises LookupError for anyone else."""
    if user.role == "departement":
        return None
    if user.role == "cpam" and user.cpam:
        return user.cpam
    raise LookupError(user.role)


def listing(ledger, user, export_id: int | None = None) -> list[dict]:
    """The finished exports this account may see (or only `export_id`), newest first, each with its bordereaux (the
    account's CPAM's only, for a CPAM account): `GET /api/exports`."""
    try:
        cpam = _cpam_of(user)
    except LookupError:
        return []
    b, e = bordereaux.c, exports.c
    query = (sa.select(e.id, e.made_on, e.created, b.number, b.cpam, b.centre, b.finess_geographique,
                       b.period_start, b.period_end, b.lines, b.total, b.deposited_on)
             .join(bordereaux, b.export_id == e.id).where(e.state == DONE)
             .order_by(e.id.desc(), b.cpam, b.number))
    if cpam is not None:
        query = query.where(b.cpam == cpam)
    if export_id is not None:
        query = query.where(e.id == export_id)
    items: dict[int, dict] = {}
    with ledger.engine.connect() as connection:
        for r in connection.execute(query):
            item = items.setdefault(r.id, {"id": r.id, "made_on": (r.made_on or r.created.date()).isoformat(),
                                           "cpams": [], "lines": 0, "total": 0, "bordereaux": []})
            if r.cpam not in item["cpams"]:
                item["cpams"].append(r.cpam)
            item["lines"] += r.lines
            item["total"] += r.total
            item["bordereaux"].append({
                "number": r.number, "cpam": r.cpam, "centre": r.centre, "finess_geographique": r.finess_geographique,
                "period": {"du": r.period_start.isoformat(), "au": r.period_end.isoformat()}, "lines": r.lines,
                "total": as_json(from_cents(r.total)),
                "sent_on": r.deposited_on.isoformat() if r.deposited_on else None})
    return [{**i, "total": as_json(from_cents(i["total"]))} for i in items.values()]


def visible(ledger, user, export_id: int) -> dict | None:
    """The export as `listing` shows it, if this account may see it."""
    return next(iter(listing(ledger, user, export_id)), None)


def folder(ledger, user, export_id: int) -> Path | None:
    """What this account downloads of the export: the Département its whole folder, a CPAM account its own CPAM's
    folder (the one whose manifest.json names that caisse). None when it may not see it or the files are gone."""
    try:
        cpam = _cpam_of(user)
    except LookupError:
        return None
    if visible(ledger, user, export_id) is None:
        return None
    with ledger.engine.connect() as connection:
        out = connection.execute(sa.select(exports.c.out_dir).where(exports.c.id == export_id)).scalar()
    root = Path(out) if out else None
    if root is None or not root.is_dir():
        return None
    if cpam is None:
        return root
    return cpam_folder(root, cpam)


def cpam_folder(root: Path, cpam: str) -> Path | None:
    """The folder of `cpam` in the export written at `root` (`595-lille-douai/`), found by its manifest."""
    for candidate in sorted(root.glob(f"{cpam}-*")):
        manifest = candidate / "manifest.json"
        if candidate.is_dir() and not candidate.is_symlink() and manifest.is_file():
            try:
                if json.loads(manifest.read_text(encoding="utf-8")).get("cpam") == cpam:
                    return candidate
            except (OSError, ValueError, AttributeError):
                continue
    return None


def files(top: Path) -> list[Path]:
    """The regular files under `top` (no link followed, no hidden file), in a stable order."""
    return sorted(p for p in top.rglob("*") if p.is_file() and not p.is_symlink()
                  and not any(part.startswith(".") for part in p.relative_to(top).parts))


def zipped(top: Path) -> bytes:
    """The folder `top` as a zip whose single top folder is `top`'s name, as `export` wrote it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files(top):
            archive.write(path, f"{top.name}/{path.relative_to(top).as_posix()}")
    return buffer.getvalue()
