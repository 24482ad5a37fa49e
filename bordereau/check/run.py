"""`check`: read every workbook, find its bordereaux, run every rule, and keep the lines with their split."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import numpy as np
import pandas as pd

from bordereau import clock
from bordereau.check import sheets
from bordereau.check.batch import Batch
from bordereau.check.model import CheckResult, TableSummary
from bordereau.check.rules import all_rules, derive
from bordereau.check.schema import identifier_problems
from bordereau.distinct import group_codes
from bordereau.errors import WorkbookUnreadable
from bordereau.findings import Finding, make, sort_key
from bordereau.gcpause import paused_gc
from bordereau.identifiers import hide_nirs
from bordereau.progress import NONE, Steps
from bordereau.read.ahead import sheets_of
from bordereau.read.inputs import expand
from bordereau.read.layout import COLUMNS, Table, find_table
from bordereau.read.lines import DATE_KEYS, MONEY_KEYS, PARSERS, to_frame
from bordereau.read.provenance import tool_sheets
from bordereau.read.workbook import formula_problems
from bordereau.reference.data import Reference


def _empty_column(key: str, n: int) -> object:
    """A column the table lacks, all empty: NaT, <NA> or None (made whole by numpy, not read value by value)."""
    if key in DATE_KEYS:
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[s]"))
    if key in MONEY_KEYS:
        return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    return [None] * n


def _read_file(path: Path, findings: list[Finding], regimes: dict[str, str]
               ) -> tuple[list[Table], list[pd.DataFrame], list[dict]]:
    """The tables of a workbook, the frames of those that can be read line by line, and for each frame the distinct
    values of its text columns (to_frame's `distinct`)."""
    name = str(path)
    try:
        raw_sheets = sheets_of(path)  # read ahead by the command when it could (read/ahead.py)
    except WorkbookUnreadable as exc:
        findings.append(make("FILE_UNREADABLE", name, reason=str(exc)))
        return [], [], []
    own = tool_sheets(path, raw_sheets)  # an annotated copy's untouched « Anomalies » sheet is no bordereau
    raw_sheets = [s for s in raw_sheets if s.name not in own]
    tables = [t for t in (find_table(s) for s in raw_sheets) if t is not None]
    if not tables:
        where = f" (feuilles : {', '.join(s.name for s in raw_sheets)})"
        findings.append(make("HEADER_NOT_FOUND", name, where=where))
    frames, distincts = [], []
    for table in tables:
        missing = sheets.missing_columns(table, name)
        findings.extend(missing)
        if table.gap:
            findings.append(make("ROWS_AFTER_GAP", name, table.sheet, table.gap[0], f"A{table.gap[0]}", None,
                                 empty=table.gap[0], count=table.gap[1]))
        distinct: dict = {}
        frame = to_frame(table, name, regimes, distinct)
        start, end, problems = sheets.period(table, name)
        findings.extend(problems)
        frame["periode_debut"], frame["periode_fin"] = start, end
        if any(f.column in {k for k, (_, req, _) in COLUMNS.items() if req} for f in missing):
            continue  # the table cannot be read line by line; COLUMN_MISSING says why
        frames.append(frame)
        distincts.append(distinct)
    return tables, frames, distincts


def check_files(paths: list[Path], ref: Reference, today: dt.date | None = None, ledger=None,
                steps: Steps = NONE) -> CheckResult:
    """Check the workbooks together; with a ledger, against what it already billed too. `steps` hears of each file
    read and each rule run (a progress bar). The garbage collector waits for the end (gcpause)."""
    with paused_gc():
        return _check_files(paths, ref, today or clock.today(), ledger, steps)


def _check_files(paths: list[Path], ref: Reference, today: dt.date, ledger, steps: Steps) -> CheckResult:
    findings: list[Finding] = []
    tables: dict[tuple[str, str], Table] = {}
    frames: list[pd.DataFrame] = []
    distincts: list[dict] = []
    files = expand(paths)
    rules = all_rules()
    steps.add(len(files) + len(rules) + 1)
    for path in files:
        steps.step(f"Lecture de {hide_nirs(path.name)}")
        file_tables, file_frames, file_distincts = _read_file(path, findings, ref.regimes)
        tables.update({(str(path), t.sheet): t for t in file_tables})
        frames.extend(file_frames)
        distincts.extend(file_distincts)
    frame = _combine(frames)
    batch = Batch(frame, tables, ref, today)
    if len(frames) == 1:  # the frame is to_frame's own: the codes of its cells hold
        batch.distinct = distincts[0]
    if len(frame):
        batch.nir_problems, batch.code_problems = identifier_problems(frame, batch.distinct)
        batch.derived = derive(batch)
        if ledger is not None:
            from bordereau.ledger.history import attach

            attach(batch, ledger)
        for k, run in enumerate(rules, start=1):
            steps.step(f"Contrôle des lignes ({k}/{len(rules)})")
            findings.extend(run(batch))
    else:
        batch.derived = pd.DataFrame(index=frame.index)
    # every table's FINESS, its lines' or its header block's (a table without lines, or unread, still has one)
    groups = _positions(frame, len(frames) == 1)  # each table's lines (positions)
    finess_columns = frame[[c for c in ("row", "finess_geographique", "finess_juridique") if c in frame]]
    for (path, sheet), table in tables.items():
        rows = groups.get((path, sheet))
        part = (pd.DataFrame({"row": []}) if rows is None else finess_columns if len(rows) == len(frame)
                else finess_columns.iloc[rows])
        findings.extend(sheets.finess(table, path, part, ref))
    # a sheet's XML is scanned at most once, and only when an empty cell may hide a formula
    formula_cells = functools.cache(lambda path, sheet: formula_problems(Path(path), sheet))
    findings.extend(sheets.claimed_totals(frame, tables, groups))
    findings.extend(_formula_hints(findings, frame, formula_cells))
    findings = _explain_formulas(findings, formula_cells)
    steps.step("Synthèse")
    findings.sort(key=sort_key)
    lines = _mark_excluded(frame.join(batch.derived), findings, tables, groups)
    return CheckResult(_summaries(files, tables, lines, findings, groups), findings, lines, tables)


def _positions(frame: pd.DataFrame, one_table: bool = False) -> dict[tuple[str, str], np.ndarray]:
    """The positions of each table's lines, by (path, sheet), tables in order of first appearance; `one_table`: the
    frame is one table's (all its lines, without a hash table)."""
    if not len(frame):
        return {}
    if one_table:
        return {(frame["path"].iloc[0], frame["sheet"].iloc[0]): np.arange(len(frame))}
    codes, firsts = group_codes([frame["path"], frame["sheet"]])
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(firsts)))[:-1]
    keys = zip(frame["path"].to_numpy()[firsts].tolist(), frame["sheet"].to_numpy()[firsts].tolist(), strict=True)
    return dict(zip(keys, np.split(order, bounds), strict=True))


def _combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame({"path": [], "sheet": [], "row": []})
    for frame in frames:
        n = len(frame)
        for key in PARSERS:
            if key not in frame:
                frame[key] = _empty_column(key, n)
                frame[f"{key}_raw"] = [None] * n
                frame[f"{key}_bad"] = np.zeros(n, dtype=bool)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _formula_hints(findings: list[Finding], lines: pd.DataFrame, formula_cells) -> list[Finding]:
    """One warning per sheet whose formulas were never calculated, when an empty cell may come from one."""
    suspects = {(f.path, f.sheet) for f in findings if f.code == "REQUIRED_MISSING"}
    for key in ("montant_amo", "montant_complementaire", "montant_total"):
        if key in lines:
            empty = lines[key].isna() & lines[f"{key}_raw"].notna()
            suspects |= set(zip(lines.loc[empty, "path"], lines.loc[empty, "sheet"], strict=True))
    hints = []
    for path, sheet in sorted(suspects):
        cells = formula_cells(path, sheet) if Path(path).suffix.lower() in (".xlsx", ".xlsm") else {}
        if uncalculated := [c for c, error in cells.items() if not error]:
            hints.append(make("FORMULA_NOT_CALCULATED", path, sheet, count=len(uncalculated)))
    return hints


def _explain_formulas(findings: list[Finding], formula_cells) -> list[Finding]:
    """REQUIRED_MISSING on a cell that holds a formula says so: never calculated, or in error (#DIV/0!)."""
    out = []
    for f in findings:
        cells = formula_cells(f.path, f.sheet) if f.code == "REQUIRED_MISSING" and f.cell else {}
        if f.cell in cells:
            error = cells[f.cell]
            hint = f" (formule en erreur : {error})" if error else " (formule sans valeur : classeur jamais recalculé)"
            f = make(f.code, f.path, f.sheet, f.row, f.cell, f.column, label=COLUMNS[f.column][0], hint=hint)
        out.append(f)
    return out


def _mark_excluded(lines: pd.DataFrame, findings: list[Finding], tables: dict, groups: dict) -> pd.DataFrame:
    """A line is excluded when an error touches it, its sheet or its file (`groups`: each table's lines)."""
    errors = [f for f in findings if f.severity == "error" and f.code not in sheets.TOTALS_ONLY]
    bad_files = {f.path for f in errors if f.sheet is None}
    dose_rows = {key: set(t.row_numbers) for key, t in tables.items()}
    bad_sheets = {(f.path, f.sheet) for f in errors if f.sheet is not None
                  and f.row not in dose_rows.get((f.path, f.sheet), ())}
    bad_rows: dict[tuple, set] = {}
    for f in errors:
        if f.row is not None:
            bad_rows.setdefault((f.path, f.sheet), set()).add(f.row)
    excluded = np.zeros(len(lines), dtype=bool)
    rows = lines["row"].to_numpy() if len(lines) else np.zeros(0, dtype=np.int64)
    for key, positions in groups.items():
        if key[0] in bad_files or key in bad_sheets:
            excluded[positions] = True
        elif key in bad_rows:
            excluded[positions] = np.isin(rows[positions], list(bad_rows[key]))
    lines["excluded"] = excluded if errors else False
    return lines


def _summaries(files: list[Path], tables: dict, lines: pd.DataFrame, findings: list[Finding],
               groups: dict) -> list[TableSummary]:
    counts: dict[tuple, list[int]] = {}
    for f in findings:
        c = counts.setdefault((f.path, f.sheet), [0, 0])
        c[f.severity != "error"] += 1
    out = []
    for path in map(str, files):
        keys = [k for k in tables if k[0] == path]
        if not keys:
            e, w = counts.get((path, None), [0, 0])
            out.append(TableSummary(path, None, None, None, None, 0, e, w))
        for key in keys:
            table = tables[key]
            e, w = counts.get(key, [0, 0])
            fe, fw = counts.get((path, None), [0, 0]) if key == keys[0] else (0, 0)
            rows = groups.get(key)
            geo = (_first(lines, rows, "finess_geographique")
                   or (table.block.get("finess_geographique") or (None,))[0])
            centre, cpam = _first(lines, rows, "centre"), _first(lines, rows, "cpam")
            if centre is None and "centre" in table.block:
                centre = str(table.block["centre"][0])
            out.append(TableSummary(path, table.sheet, centre, geo, cpam, len(table.rows), e + fe, w + fw))
    return out


def _first(lines: pd.DataFrame, rows: np.ndarray | None, column: str) -> str | None:
    """The first value of a column among some lines (positions), as text."""
    if column not in lines or rows is None or not len(rows):
        return None
    part = lines[column].iloc[rows]
    known = part.notna().to_numpy()
    return str(part.iloc[int(known.argmax())]) if known.any() else None
