"""Findings that only an audit of received bordereaux makes: about a bordereau as a whole (its number, its centre's
caisse). The line rules (identifiers, eligibility, prices, amounts, duplicates, dose intervals) and the totals row
(`CLAIMED_TOTAL_MISMATCH`, which never rejects the lines: each is judged on its own) are check's, run unchanged.

`CENTRE_NOT_ATTACHED` and `BORDEREAU_SEEN_BEFORE` refuse every line of the bordereau. `FILE_MODIFIED` is a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from bordereau.audit.folders import Inputs
from bordereau.check.sheets import TOTALS_ONLY  # noqa: F401  (bordereau-level codes that leave its lines alone)
from bordereau.findings import Finding, make
from bordereau.identifiers import finess_compact
from bordereau.read.layout import Table
from bordereau.reference.data import Reference
from bordereau.text import clean_text

_CAISSE = re.compile(r"\s*(\d{3})(?!\d)")
_OURS = re.compile(r"HPV-\d{3}-[0-9AB]{9}-\d{8}-\d+$")  # numbers this tool gives, unique everywhere


def bordereau_numbers(tables: dict[tuple[str, str], Table]) -> dict[tuple[str, str], str]:
    """Each bordereau's number: its header block's « N° de bordereau », else its file name (and sheet when the file
    holds several bordereaux)."""
    per_file: dict[str, int] = {}
    for path, _ in tables:
        per_file[path] = per_file.get(path, 0) + 1
    numbers = {}
    for (path, sheet), table in tables.items():
        number = clean_text(table.block["numero"][0]) if "numero" in table.block else None
        if number is not None and not _OURS.match(number) and "finess_geographique" in table.block:
            # a centre's own numbering (« 2026-10 ») is only unique within that centre
            number = f"{number} ({finess_compact(table.block['finess_geographique'][0])})"
        if number is None:
            number = Path(path).name + (f" ({sheet})" if per_file[path] > 1 else "")
        numbers[(path, sheet)] = number
    return numbers


def declared_cpam(table: Table) -> str | None:
    """The caisse code the header block addresses the bordereau to (« 595 – CPAM de Lille-Douai » gives 595).

    >>> declared_cpam(Table("B", 8, {}, {"cpam": ("595 – CPAM de Lille-Douai", "B5")}))
    '595'
    >>> declared_cpam(Table("B", 8, {}, {})) is None
    True
    """
    value = clean_text(table.block["cpam"][0]) if "cpam" in table.block else None
    match = _CAISSE.match(value) if value else None
    return match.group(1) if match else None


def _row_of(cell: str) -> int:
    return int(cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def not_attached(lines: pd.DataFrame, tables: dict[tuple[str, str], Table], groups: dict, ref: Reference,
                 cpam: str | None) -> Iterator[Finding]:
    """CENTRE_NOT_ATTACHED: lines of a centre attached to another caisse than the audited one (`cpam`), or, without
    it, than the one the header block addresses the bordereau to. Reported at the header block's FINESS when the
    table takes it from there, else on each line."""
    if lines.empty or "cpam" not in lines:
        return
    attached_to = lines["cpam"].to_numpy()
    finesses = lines["finess_geographique"].to_numpy()
    for (path, sheet), in_table in groups.items():
        table = tables[(path, sheet)]
        audited = cpam or declared_cpam(table)
        if audited is None:
            continue
        for finess in pd.unique(finesses[in_table]):
            positions = in_table[finesses[in_table] == finess]
            attached = attached_to[positions[0]]
            if not isinstance(attached, str) or attached == audited:
                continue  # an unknown centre (CENTRE_UNKNOWN already), or the right caisse
            values = {"centre": ref.centre_by_finess[finess].nom, "finess": finess,
                      "attached": _caisse(ref, attached), "audited": _caisse(ref, audited),
                      "why": " qui audite" if cpam else " à laquelle le bordereau est adressé"}
            yield from _at_finess(table, path, sheet, lines["row"].to_numpy()[positions], values)


def _at_finess(table: Table, path: str, sheet: str, rows, values: dict) -> Iterator[Finding]:
    """CENTRE_NOT_ATTACHED at the header block's FINESS when the table takes it from there (the whole bordereau),
    else on each line (`rows`: their Excel rows)."""
    column = table.columns.get("finess_geographique")
    if column is None:
        cell = table.block["finess_geographique"][1]
        yield make("CENTRE_NOT_ATTACHED", path, sheet, _row_of(cell), cell, "finess_geographique", **values)
        return
    for row in rows:
        yield make("CENTRE_NOT_ATTACHED", path, sheet, int(row), f"{column.letter}{row}", "finess_geographique",
                   **values)


def _caisse(ref: Reference, code: str) -> str:
    return f"{code} ({ref.cpams[code].nom})" if code in ref.cpams else code


def seen_before(tables: dict[tuple[str, str], Table], numbers: dict[tuple[str, str], str],
                earlier: dict[str, str]) -> Iterator[Finding]:
    """BORDEREAU_SEEN_BEFORE: a bordereau number already met among the files audited together (the first one,
    in the order the files were given, is kept) or in `earlier` (number -> how to name where it was seen)."""
    first: dict[str, tuple[str, str]] = {}
    for key in tables:
        table = tables[key]
        if "numero" not in table.block:
            continue
        number, cell = numbers[key], table.block["numero"][1]
        if number in first:
            path, sheet = first[number]
            other = f"{path} ({sheet})"
        elif number in earlier:
            other = earlier[number]
        else:
            first[number] = key
            continue
        yield make("BORDEREAU_SEEN_BEFORE", key[0], key[1], _row_of(cell), cell, "numero", number=number,
                   other=other)


def reference_differs(paths: list[Path], ref: Reference, inputs: Inputs | None = None) -> Iterator[Finding]:
    """REFERENCE_DIFFERS (warning) for an export folder priced with other reference data than the agent's: a price or
    rate difference then comes from the data, not from the bordereau."""
    inputs = inputs or Inputs()
    ours = ref.digest
    for folder in paths:
        manifest = folder / "manifest.json"
        if not (folder.is_dir() and manifest.is_file()):
            continue
        used = inputs.manifest(folder).get("reference") or {}
        theirs = used.get("sha256")
        if isinstance(theirs, str) and theirs != ours:
            sets = ", ".join("/".join(reversed(str(s).split("-"))) for s in used.get("rate_sets", [])) or "?"
            yield make("REFERENCE_DIFFERS", str(manifest), theirs=theirs[:12], ours=ours[:12], sets=sets)


def manifest_checksums(paths: list[Path], inputs: Inputs | None = None) -> Iterator[Finding]:
    """FILE_MODIFIED (warning) for a bordereau of an export folder whose SHA-256 is no longer the manifest's; its
    lines are judged on their own all the same."""
    inputs = inputs or Inputs()
    for folder in paths:
        manifest = folder / "manifest.json"
        if not (folder.is_dir() and manifest.is_file()):
            continue
        for item in inputs.manifest(folder).get("files", []):
            path = folder / item["name"]
            if path.is_file() and inputs.sha256(path) != item.get("sha256"):
                yield make("FILE_MODIFIED", str(path))
