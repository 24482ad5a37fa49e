"""Which files a command reads: files as given, folders read for workbooks."""

from __future__ import annotations

import json
from pathlib import Path

from bordereau.errors import UsageError
from bordereau.read.provenance import untouched_copy
from bordereau.read.workbook import SUFFIXES

DERIVED = ("-a-corriger",)  # the export's lists of lines to correct, never read back as inputs of a folder


def _input_of_folder(path: Path) -> bool:
    """Whether a file found in a folder is an input: a workbook, not a lock file, not a list of lines to correct,
    and not an annotated copy the tool wrote that nobody edited since (a corrected one is read)."""
    if path.suffix.lower() not in SUFFIXES or path.name.startswith(("~$", ".")) or path.stem.endswith(DERIVED):
        return False
    return not (path.stem.endswith("-anomalies") and untouched_copy(path))


def expand(paths: list[Path]) -> list[Path]:
    """Files as given, folders read for workbooks (Excel's `~$` lock files left out). A missing path is an error; a
    file named twice (itself and its folder) is read once, or its lines would be duplicates of themselves."""
    files = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if _input_of_folder(p))
            if not found:
                copies = any(p.stem.endswith("-anomalies") for p in path.iterdir())
                why = " (copies annotées non modifiées depuis, ignorées)" if copies else ""
                raise UsageError(f"{path} : aucun classeur (.xlsx, .xlsm, .xls, .ods) dans ce dossier{why}")
            files += found
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"{path} : fichier ou dossier introuvable")
    unique: dict[Path, Path] = {}
    for file in files:
        unique.setdefault(file.resolve(), file)
    return list(unique.values())


def audit_inputs(paths: list[Path]) -> list[Path]:
    """Files as given; a folder holding a manifest.json (a CPAM's folder of an export) gives the bordereaux that
    manifest lists, any other folder its workbooks."""
    listed = []
    for path in paths:
        manifest = path / "manifest.json"
        if not (path.is_dir() and manifest.is_file()):
            listed.append(path)
            continue
        try:
            names = [item["name"] for item in json.loads(manifest.read_text(encoding="utf-8"))["files"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{manifest} : manifeste illisible ({exc.__class__.__name__})") from None
        listed += [path / name for name in names]
    return expand(listed)
