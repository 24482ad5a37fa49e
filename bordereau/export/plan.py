"""Planning an export: which lines go in which bordereau, their numbers and sums, the FIR statement and the lines
to correct. Pure data: the files are written by render/export_files, the ledger is filled by export/run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bordereau.check.model import CheckResult
from bordereau.distinct import distinct_values as distinct
from bordereau.price.totals import Group, Sums, billable, group_key, sums
from bordereau.reference.data import Centre, Cpam, Departement, Reference


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
    refers_to: tuple[str, ...] = ()  # earlier bordereaux whose rejected lines this one bills again

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
    already_billed: pd.DataFrame = field(default_factory=pd.DataFrame)  # left out only because billed before
    reasons: dict[tuple, list[str]] = field(default_factory=dict)  # (path, sheet, row) -> what to correct
    cpam_notices: dict[str, list[str]] = field(default_factory=dict)  # the example data each CPAM's files carry
    reference: dict[str, dict] = field(default_factory=dict)  # CPAM code -> which reference data priced its files
    notices: list[str] = field(default_factory=list)
    period: tuple[dt.date, dt.date] | None = None  # first and last day of the lines exported
    departements: dict[str, Departement] = field(default_factory=dict)  # who bills, who signs

    def departement(self, centre: Centre) -> Departement | None:
        return self.departements.get(centre.departement)
    ledger: str | None = None  # identity of the ledger the export is recorded in (ledger_meta), for the manifests


def _period(lines: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The period of each line: its sheet's header block, else the first and last dates of that sheet's lines."""
    dates = lines.groupby(["path", "sheet"], sort=False)["date_administration"]
    start = lines["periode_debut"].fillna(dates.transform("min"))
    end = lines["periode_fin"].fillna(dates.transform("max"))
    return start, end


def _days(moments: pd.Series) -> list[dt.date]:
    """The distinct days of a column of dates (numpy's, not a Timestamp per line)."""
    return np.unique(moments.dropna().to_numpy().astype("datetime64[D]")).tolist()


def plan(result: CheckResult, ref: Reference, created: dt.datetime) -> ExportPlan:
    kept = billable(result.lines)
    used = distinct(kept["finess_geographique"]) if len(kept) else set()
    export = ExportPlan(created, notices=ref.example_notices(used), departements=ref.departements)
    excluded = result.lines[result.lines["excluded"]] if len(result.lines) else result.lines
    billed = _only_already_billed(result, excluded)
    export.rejected, export.already_billed = excluded[~billed], excluded[billed]
    export.reasons = _reasons(result, excluded)
    if kept.empty:
        return export
    start, end = _period(kept)
    kept = kept.assign(_start=start.dt.date, _end=end.dt.date)
    export.period = (kept["_start"].min(), kept["_end"].max())
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
        refers = tuple(sorted(set(lines["rebills"].dropna()))) if "rebills" in lines else ()
        export.bordereaux.setdefault(cpam, []).append(Bordereau(
            number, ref.cpams[cpam], ref.centre_by_finess[finess], p_start, p_end, lines, sums(lines), regimes,
            refers))
    export.cpam_notices = {code: ref.example_notices({b.centre.finess_geographique for b in items})
                           for code, items in export.bordereaux.items()}
    digest = ref.digest
    for code, items in export.bordereaux.items():
        days = {d for b in items for d in _days(b.lines["date_administration"])}
        sets = sorted({s.start.isoformat() for d in days if (s := ref.rate_set_at(d)) is not None})
        export.reference[code] = {"sha256": digest, "rate_sets": sets}
    export.no_rights_lines = kept[no_rights].sort_values(["finess_geographique", "date_administration"])
    for finess, lines in kept.groupby("finess_geographique", sort=True):
        mask = lines["prise_en_charge"].eq("sans_droits")
        export.fir.append(CentreFir(ref.centre_by_finess[finess], sums(lines[mask]), sums(lines[~mask])))
    return export


def _only_already_billed(result: CheckResult, excluded: pd.DataFrame) -> pd.Series:
    """Which excluded lines are left out only because they were billed before (ALREADY_BILLED and no other error,
    of their own, their sheet or their file): nothing for the centre to correct, they go to their own list."""
    codes: dict[tuple, set[str]] = {}
    for f in result.findings:
        if f.severity == "error":
            codes.setdefault((f.path, f.sheet, f.row), set()).add(f.code)
            codes.setdefault((f.path, f.sheet), set()).add("SHEET" if f.row is None else "")
            codes.setdefault((f.path,), set()).add("FILE" if f.sheet is None else "")
    if excluded.empty:
        return pd.Series(False, index=excluded.index)
    keys = zip(excluded["path"], excluded["sheet"], excluded["row"], strict=True)
    return pd.Series([codes.get(k, set()) == {"ALREADY_BILLED"} and "SHEET" not in codes.get(k[:2], set())
                      and "FILE" not in codes.get(k[:1], set()) for k in keys], index=excluded.index)


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
