"""Telling the tool's own sheets from the user's: an annotated copy records, in the workbook's custom properties, a
digest of the values of each of its sheets as the tool wrote them.

A sheet is skipped only when the tool can prove it wrote it and nobody edited it since: its name is recorded as the
tool's and its values still give the recorded digest. A corrected copy sent back is read like any workbook (its
bordereau sheet no longer matches); a property lost or damaged on the way only makes the tool read everything.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from contextlib import contextmanager
from pathlib import Path

from defusedxml import ElementTree

PROPERTY = "bordereau-copie"
_CUSTOM = "docProps/custom.xml"
_MAX_CUSTOM_BYTES = 2**20
_VT = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
_kept: dict[tuple, dict[str, str]] | None = None  # while keeping(): (file, size, mtime) -> {sheet: digest}


def sheet_digest(name: str, rows: list[list]) -> str:
    """A digest of a sheet's name and values, as the reader gives them.

    >>> sheet_digest("A", [[1.0, "x"]]) == sheet_digest("A", [[1.0, "x"]]) != sheet_digest("A", [[1.0, "y"]])
    True
    """
    digest = hashlib.sha256(name.encode("utf-8", "replace"))
    for start in range(0, len(rows), 10_000):  # the same bytes as one update per value, hashed in large pieces
        text = "".join(["\x1e\x1f" + "\x1f".join(map(repr, row)) if row else "\x1e"
                        for row in rows[start:start + 10_000]])
        digest.update(text.encode("utf-8", "replace"))
    return digest.hexdigest()


def record(sheets, own: list[str]) -> str:
    """The property's value for a copy whose sheets (RawSheet, read back from the written file) are `sheets`, of
    which `own` are the tool's alone."""
    return json.dumps({"outil": own, "feuilles": {s.name: sheet_digest(s.name, s.rows) for s in sheets}},
                      ensure_ascii=False)


def record_of(own: str, own_digest: str, digests: dict[str, str]) -> str:
    """The property's value for a copy made of the sheet `own` (the tool's, first) and sheets whose values are
    those of `digests` ({name: digest}, in their order): the same text as record() of the copy read back."""
    return json.dumps({"outil": [own], "feuilles": {own: own_digest, **digests}}, ensure_ascii=False)


def _file_key(path: Path) -> tuple | None:
    try:
        stat = path.stat()
        return str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino
    except OSError:
        return None


@contextmanager
def keeping():
    """While active, the digest of every sheet the check reads (tool_sheets sees them all) is kept, so that the
    annotated copy of that file records its sheets' digests without reading the copy back (kept())."""
    global _kept
    previous, _kept = _kept, {}
    try:
        yield
    finally:
        _kept = previous


def kept(path: Path) -> dict[str, str] | None:
    """{sheet: digest} of every sheet of `path` as the check read it, in order, while keeping() is active and the
    file has not changed since (same size, time and inode); otherwise None."""
    if _kept is None:
        return None
    key = _file_key(path)
    return _kept.get(key) if key is not None else None


def recorded(path: Path) -> dict | None:
    """What a workbook's custom properties say of its sheets, or None (no record, or one that cannot be read)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if archive.getinfo(_CUSTOM).file_size > _MAX_CUSTOM_BYTES:
                return None
            root = ElementTree.fromstring(archive.read(_CUSTOM))
        for prop in root:
            if prop.get("name") == PROPERTY:
                value = json.loads(next(iter(prop)).text or "")
                if isinstance(value.get("outil"), list) and isinstance(value.get("feuilles"), dict):
                    return value
    except Exception:  # no properties, a damaged or hostile part: nothing is proven, everything is read
        return None
    return None


def _matches(note: dict, sheet) -> bool:
    return note["feuilles"].get(sheet.name) == sheet_digest(sheet.name, sheet.rows)


def tool_sheets(path: Path, sheets) -> set[str]:
    """Names of the sheets of `path` that the tool wrote itself (« Anomalies ») and nobody edited since. While
    keeping() is active, the digests of all of `sheets` are kept for the annotated copy of `path`."""
    if _kept is not None and (key := _file_key(path)) is not None:
        _kept[key] = {s.name: sheet_digest(s.name, s.rows) for s in sheets}
    note = recorded(path)
    if note is None:
        return set()
    return {s.name for s in sheets if s.name in note["outil"] and _matches(note, s)}


def untouched_copy(path: Path) -> bool:
    """Whether `path` is a copy the tool wrote and nobody edited since (every sheet as recorded)."""
    from bordereau.read.workbook import open_sheets

    note = recorded(path)
    if note is None:
        return False
    try:
        sheets = open_sheets(path)
    except Exception:  # unreadable: not proven (the reader then says why)
        return False
    return {s.name for s in sheets} == set(note["feuilles"]) and all(_matches(note, s) for s in sheets)
