"""Checking a workbook sent to the service: its bytes, under the name the person gave, checked exactly as `check`
checks a file (same findings, with the ledger), and the annotated copy of it.

The given name is only shown: the bytes are staged under a random name in a private temporary folder that the
service removes afterwards, and the answer names the file as the person did. The reading itself runs in a child
process (bordereau.web.checker), so that a workbook that makes the reader library abort cannot take the service down.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from bordereau.audit.rows import beneficiary
from bordereau.check.run import check_files
from bordereau.findings import Finding
from bordereau.ledger import staging
from bordereau.read.workbook import SUFFIXES


def display_name(name: str | None) -> str:
    """The name to show for an uploaded file: its last component, printable, at most 120 characters.

    >>> display_name("../../x.xlsx"), display_name("C:\\\\Users\\\\a\\\\b.xlsx"), display_name(""), display_name("/..")
    ('x.xlsx', 'b.xlsx', 'bordereau.xlsx', 'bordereau.xlsx')
    """
    text = unicodedata.normalize("NFC", (name or "").replace("\\", "/"))
    text = "".join(c for c in PurePosixPath(text).name if c.isprintable()).strip().lstrip(".")
    text = re.sub(r"\s+", " ", text)[-120:]
    return text if text and not text.startswith(".") and Path(text).stem else "bordereau.xlsx"


@dataclass(frozen=True)
class CheckedUpload:
    files: list[dict]  # check --json's `files` entries of this file (one per bordereau found in it)
    findings: list[dict]  # check --json's `findings` of this file
    pupils: dict[str, str]  # "sheet!row" -> masked name of the pupil of a line with a finding
    period: tuple[dt.date | None, dt.date | None]


@contextlib.contextmanager
def staged(content: bytes, name: str) -> Iterator[Path]:
    """The bytes written under a random name (with the given name's suffix) in a private temporary folder, removed
    on leaving, whatever happened meanwhile."""
    suffix = Path(name).suffix.lower()
    with staging.folder("envoi") as folder:
        path = Path(folder) / f"{uuid.uuid4().hex}{suffix if suffix in SUFFIXES else '.xlsx'}"
        path.write_bytes(content)
        yield path


def check_upload(path: Path, name: str, reference, today: dt.date, ledger=None) -> CheckedUpload:
    """`check --json` of the staged file `path` as if it were named `name`, with the ledger when given
    (ALREADY_BILLED, dose history)."""
    result = check_files([path], reference, today, ledger)
    token = str(path)
    files = [{**s.as_dict(), "path": name} for s in result.files]
    findings = [{**f.as_dict(), "path": name, "message": f.message.replace(token, name)} for f in result.findings]
    return CheckedUpload(files, findings, _pupils(result.lines, result.findings), _period(result.lines))


def _pupils(lines: pd.DataFrame, findings: list[Finding]) -> dict[str, str]:
    rows = {(f.sheet, f.row) for f in findings if f.row is not None}
    if not rows or lines.empty:
        return {}
    out = {}
    for line in lines.itertuples():
        if (line.sheet, line.row) in rows:
            nir = line.nir if isinstance(line.nir, str) else line.nir_raw
            out[f"{line.sheet}!{line.row}"] = beneficiary(line.nom, line.prenom, str(nir) if nir else None)
    return out


def _period(lines: pd.DataFrame) -> tuple[dt.date | None, dt.date | None]:
    out = []
    for column in ("periode_debut", "periode_fin"):
        values = lines[column].dropna() if column in lines else []
        out.append(pd.Timestamp(values.iloc[0]).date() if len(values) else None)
    return out[0], out[1]


def annotated_copy(path: Path, findings: list[dict], pupils: dict[str, str] | None = None) -> bytes:
    """The annotated copy (bordereau.render.annotate) of a staged upload, written beside it, as bytes; `pupils` are
    the upload's ("sheet!row" -> masked name), named in the copy's « Élève » column as on the page."""
    from bordereau.render.annotate import annotate

    named = {(f["path"], f["sheet"], f["row"]): pupils[f"{f['sheet']}!{f['row']}"]
             for f in findings if f["row"] is not None and f"{f['sheet']}!{f['row']}" in (pupils or {})}
    target, _ = annotate(path, [Finding(**f) for f in findings], path.parent, "annote.xlsx", pupils=named)
    return target.read_bytes()
