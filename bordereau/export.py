"""`export`: the files each CPAM receives through PETRA, the FIR statement, and the lines to correct.

Planning (which lines go in which bordereau, their numbers and sums) is separate from writing (render/export_files).
The whole export is built in a temporary folder beside the target and moved into place in one rename: a failure
leaves nothing half-written, and an existing export is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .check import CheckResult
from .errors import UsageError
from .reference import Centre, Cpam, Reference
from .totals import Group, Sums, billable, group_key, sums


@dataclass(frozen=True)
class Bordereau:
    number: str
    cpam: Cpam
    centre: Centre
    start: dt.date
    end: dt.date
    lines: pd.DataFrame  # billable lines of this centre and period, sans-droits excluded
    sums: Sums
    by_regime: tuple[Group, ...]

    @property
    def file_name(self) -> str:
        return f"{self.number}.xlsx"


@dataclass(frozen=True)
class CentreFir:
    centre: Centre
    no_rights: Sums  # sans-droits lines: 100 % FIR
    others: Sums  # the other lines: their FIR part (ticket modérateur)

    @property
    def fir(self):
        return self.no_rights.fir + self.others.fir


@dataclass
class ExportPlan:
    created: dt.datetime
    bordereaux: dict[str, list[Bordereau]] = field(default_factory=dict)  # CPAM code -> its bordereaux
    fir: list[CentreFir] = field(default_factory=list)
    no_rights_lines: pd.DataFrame = field(default_factory=pd.DataFrame)
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)  # lines with an error (--skip-invalid)
    reasons: dict[tuple, list[str]] = field(default_factory=dict)  # (path, sheet, row) -> what to correct
    notices: list[str] = field(default_factory=list)


def _period(lines: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The period of each line: its sheet's header block, else the first and last dates of that sheet's lines."""
    dates = lines.groupby(["path", "sheet"], sort=False)["date_administration"]
    start = lines["periode_debut"].fillna(dates.transform("min"))
    end = lines["periode_fin"].fillna(dates.transform("max"))
    return start, end


def plan(result: CheckResult, ref: Reference, created: dt.datetime) -> ExportPlan:
    kept = billable(result.lines)
    used = set(kept["finess_geographique"].dropna()) if len(kept) else set()
    export = ExportPlan(created, notices=ref.example_notices(used))
    export.rejected = result.lines[result.lines["excluded"]] if len(result.lines) else result.lines
    export.reasons = _reasons(result, export.rejected)
    if kept.empty:
        return export
    start, end = _period(kept)
    kept = kept.assign(_start=start.dt.date, _end=end.dt.date)
    # a bordereau covers one centre and one period; lines without rights never go to a CPAM
    no_rights = kept["prise_en_charge"].eq("sans_droits")
    to_cpam = kept[~no_rights]
    sequence: dict[str, int] = {}
    for (cpam, finess, p_start, p_end), lines in to_cpam.groupby(["cpam", "finess_geographique", "_start", "_end"],
                                                                  sort=True):
        sequence[finess] = sequence.get(finess, 0) + 1
        number = f"HPV-{cpam}-{finess}-{created:%Y%m%d}-{sequence[finess]}"
        lines = lines.sort_values(["date_administration", "path", "row"], kind="stable")
        keys, labels = group_key(lines, "regime", ref)
        regimes = tuple(Group(str(k), labels.get(k, str(k)), sums(part)) for k, part in lines.groupby(keys))
        export.bordereaux.setdefault(cpam, []).append(Bordereau(
            number, ref.cpams[cpam], ref.centre_by_finess[finess], p_start, p_end, lines, sums(lines), regimes))
    export.no_rights_lines = kept[no_rights].sort_values(["finess_geographique", "date_administration"])
    for finess, lines in kept.groupby("finess_geographique", sort=True):
        mask = lines["prise_en_charge"].eq("sans_droits")
        export.fir.append(CentreFir(ref.centre_by_finess[finess], sums(lines[mask]), sums(lines[~mask])))
    return export


def _reasons(result: CheckResult, rejected: pd.DataFrame) -> dict[tuple, list[str]]:
    """The error messages of each rejected line: its own, and those of its sheet or file."""
    rows = set(zip(rejected["path"], rejected["sheet"], rejected["row"], strict=True)) if len(rejected) else set()
    own: dict[tuple, list[str]] = {}
    shared: dict[tuple, list[str]] = {}
    for f in result.findings:
        if f.severity != "error":
            continue
        if (f.path, f.sheet, f.row) in rows:
            own.setdefault((f.path, f.sheet, f.row), []).append(f"{f.cell} {f.message}")
        else:
            where = f"{f.cell} " if f.cell else ""
            shared.setdefault((f.path, f.sheet), []).append(f"{where}{f.message}")
    return {key: shared.get(key[:2], []) + shared.get((key[0], None), []) + own.get(key, []) for key in rows}


def check_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} existe déjà : un export n'est jamais écrasé, choisissez un autre dossier")


def write(export: ExportPlan, out: Path, inputs: tuple[Path, ...]) -> list[Path]:
    """Write every file into a temporary folder, then move it to `out` in one rename. Returns the files written."""
    from .render.export_files import write_all

    check_target(out)
    if any(out.resolve() == p.resolve() or out.resolve() in p.resolve().parents for p in inputs):
        raise UsageError(f"{out} : le dossier d'export ne peut pas contenir les fichiers d'entrée")
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        written = write_all(export, temp, export.reasons)
        os.chmod(temp, 0o755)
        if out.exists():
            out.rmdir()  # empty, checked above
        os.rename(temp, out)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return [out / p.relative_to(temp) for p in written]
