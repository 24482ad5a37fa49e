"""The Département's export through the service: the `export` command on the deposited uploads of one CPAM.

The uploads' stored files are written to a private temporary folder, checked with the ledger (check_files) and
exported by export.run with the ledger, exactly as `bordereau export FICHIERS --out DOSSIER` does: same numbering
(the ledger's counters), same files, same manifest, all or nothing. The folder is then zipped and kept in the
database, so that any worker serves it. Two exports of the same CPAM at once never bill a line twice: the ledger's
unique index on billed doses refuses the second (or its check finds the lines ALREADY_BILLED), and the numbers come
from the ledger's counters.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import bordereau.export.run as exporting
from bordereau.check.run import check_files
from bordereau.errors import BordereauError
from bordereau.ledger import dispatch, staging, uploads
from bordereau.ledger.record import MARKER
from bordereau.web.upload import SUFFIXES


class Refused(BordereauError):
    """The check of the deposited files found errors (ALREADY_BILLED...): nothing exported (409)."""

    def __init__(self, message: str, findings: list[dict]):
        super().__init__(message)
        self.findings = findings


class UnknownCpam(BordereauError):
    """A CPAM code that the reference data does not know (422)."""


@dataclass(frozen=True)
class Made:
    id: int
    manifest: dict

    def as_json(self) -> dict:
        return {"id": self.id, "manifest": self.manifest}


def export_cpam(ledger, reference, user, cpam: str, today: dt.date, now: dt.datetime) -> Made:
    """Export every deposited, not yet exported upload of `cpam`; the uploads become `exporté`."""
    if cpam not in reference.cpams:
        raise UnknownCpam(f"CPAM « {cpam} » inconnue des données de référence")
    rows = dispatch.deposited(ledger, cpam)
    if not rows:
        raise dispatch.Conflict(f"aucun bordereau déposé à exporter pour la CPAM {cpam}")
    with staging.folder("export") as work:
        folder = Path(work) / "envois"
        folder.mkdir()
        staged: dict[str, int] = {}
        for row in rows:
            content = uploads.content(ledger, row.sha256)
            if content is None:
                continue  # purged meanwhile
            suffix = Path(row.file_name).suffix.lower()
            path = folder / f"envoi-{row.id}{suffix if suffix in SUFFIXES else '.xlsx'}"
            path.write_bytes(content)
            staged[str(path)] = row.id
        inputs = tuple(Path(p) for p in staged)
        result = check_files(list(inputs), reference, today, ledger)
        if result.errors:
            errors = [f.as_dict() for f in result.findings if f.severity == "error"]
            raise Refused(f"export refusé : {result.errors} erreur(s) dans les bordereaux déposés (déjà facturés par "
                          "un autre export ?) ; rien n'a été exporté", errors)
        out = Path(work) / f"export-{cpam}-{now:%Y%m%d-%H%M%S}"
        made: list[Made] = []

        def keep(connection, export_id: int, plan, written: Path) -> None:
            """In the ledger's completing transaction: the zip, the service's export, the uploads exported."""
            bordereau_of = {upload: None for upload in staged.values()}
            for b in plan.bordereaux.get(cpam, []):
                for path in set(b.lines["path"]):
                    if str(path) in staged:
                        bordereau_of[staged[str(path)]] = b.number
            folder_name, manifest = _manifest(written, cpam)
            ref = dispatch.record(connection, user, cpam, export_id, zipped(written), folder_name, manifest,
                                  bordereau_of)
            made.append(Made(ref, manifest))

        exporting.run(result, reference, out, inputs, now.astimezone(), ledger, on_complete=keep)
    return made[0]


def _manifest(out: Path, cpam: str) -> tuple[str, dict]:
    """The CPAM's folder of the export and its manifest.json (none when every line was without rights: FIR only)."""
    for path in sorted(out.glob(f"{cpam}-*/manifest.json")):
        return path.parent.name, json.loads(path.read_text(encoding="utf-8"))
    return "", {"cpam": cpam, "files": [], "total": {"lines": 0, "total": "0.00"}}


def zipped(out: Path) -> bytes:
    """The export folder as a zip (its files under their paths in the folder; the ledger's marker left out)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(out.rglob("*")):
            if path.is_file() and path.name != MARKER:
                archive.write(path, path.relative_to(out).as_posix())
    return buffer.getvalue()


def folder_only(archive: bytes, folder: str) -> bytes:
    """The CPAM's own folder of an export's zip (`595-lille-douai/...`), without the Département's FIR statement and
    lists of lines to correct: what a CPAM agent downloads, as PETRA would give it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as whole, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as mine:
        for info in whole.infolist():
            if folder and info.filename.startswith(f"{folder}/") and not info.is_dir():
                mine.writestr(info, whole.read(info))
    return buffer.getvalue()


def unpack_folder(archive: bytes, folder: str, into: Path) -> Path:
    """Write the CPAM's folder of an export's zip under `into` (names checked: no absolute path, no `..`)."""
    with zipfile.ZipFile(io.BytesIO(archive)) as whole:
        for info in whole.infolist():
            parts = Path(info.filename).parts
            if info.is_dir() or not parts or parts[0] != folder or ".." in parts or Path(info.filename).is_absolute():
                continue
            target = into.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(whole.read(info))
    return into / folder


def member(archive: bytes, folder: str, name: str) -> bytes | None:
    """One file of the CPAM's folder in an export's zip, by its exact name (never used as a path)."""
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped_export:
        names = set(zipped_export.namelist())
        wanted = f"{folder}/{name}"
        return zipped_export.read(wanted) if folder and "/" not in name and wanted in names else None
