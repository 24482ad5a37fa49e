"""`audit`: what a CPAM agent does with the bordereaux she receives before paying them.

Every line is checked by the check engine (identifiers, eligibility, price, split recomputed from tarifs/, duplicates
and dose intervals across all the files audited together), then the audit adds what only a payer asks: is the totals
row the sum of the lines, is the centre attached to this caisse, was this bordereau number presented before. Each line
gets a verdict and an amount at stake (audit_lines.py); each bordereau and each centre the amounts claimed,
recomputed, accepted and rejected, the rejected amount explained by code.

A history of earlier audits (the ledger) can be plugged in: see audit_history.AuditHistory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from bordereau import clock
from bordereau.audit import checks
from bordereau.audit.folders import Inputs
from bordereau.audit.history import AuditHistory, beneficiary_keys, history_findings
from bordereau.audit.lines import ACCEPTED, OBSERVATION, REJECTED, amounts, touching, verdicts
from bordereau.audit.model import SUMS, Amounts, Audit, Explanation, Summary
from bordereau.check.run import check_files
from bordereau.errors import UsageError
from bordereau.findings import CODES, Finding, sort_key
from bordereau.gcpause import paused_gc
from bordereau.money import from_cents
from bordereau.progress import NONE, Steps
from bordereau.read.inputs import audit_inputs
from bordereau.reference.data import Reference

_ORDER = {code: i for i, code in enumerate(CODES)}


def audit_files(paths: list[Path], ref: Reference, today: dt.date | None = None, cpam: str | None = None,
                history: AuditHistory | None = None, steps: Steps = NONE) -> Audit:
    """Audit the bordereaux of `paths` together, for the caisse `cpam` when given. With a `history`, numbers and
    doses are also compared with earlier audits, and this one is recorded. The garbage collector waits for the end
    (gcpause)."""
    with paused_gc():
        return _audit_files(paths, ref, today or clock.today(), cpam, history, steps)


def _audit_files(paths: list[Path], ref: Reference, today: dt.date, cpam: str | None, history: AuditHistory | None,
                 steps: Steps) -> Audit:
    if cpam is not None and cpam not in ref.cpams:
        raise UsageError(f"--cpam {cpam} : caisse inconnue de centres.yaml ({', '.join(sorted(ref.cpams))})")
    result = check_files(audit_inputs(paths), ref, today, steps=steps)
    tables, lines = result.tables, _lines(result.lines)
    groups = lines.groupby(["path", "sheet"], sort=False).indices if len(lines) else {}  # positions per table
    numbers = checks.bordereau_numbers(tables)
    earlier: dict[str, str] = {}
    inputs = Inputs()  # manifests and digests, read once
    digests = {numbers[key]: _presentation(Path(key[0]), inputs) for key in tables}
    reaudited: set[str] = set()
    if history is not None:
        lines["beneficiaire_cle"] = beneficiary_keys(lines, history) if len(lines) else []
        reaudited = history.same_files(digests)
        earlier = history.bordereaux_seen(set(numbers.values()) - reaudited)
    extra = [*checks.not_attached(lines, tables, groups, ref, cpam),
             *checks.seen_before(tables, numbers, earlier), *checks.manifest_checksums(paths, inputs),
             *checks.reference_differs(paths, ref, inputs)]
    if history is not None and len(lines):
        extra += history_findings(lines, tables, ref, history, reaudited)
    findings = sorted(result.findings + extra, key=sort_key)
    found = touching(lines, findings, tables, groups, checks.TOTALS_ONLY)
    for column, values in verdicts(lines, found).items():
        lines[column] = values
    for column, values in amounts(lines, lines["verdict"], ref).items():
        lines[column] = values
    lines["bordereau"], lines["_table"] = _per_line(len(lines), groups, numbers)
    audit = Audit(today, cpam, result.files, findings, lines, _bordereaux(lines, result, groups, numbers, findings),
                  _centres(lines, ref), _amounts(lines), _explain(lines),
                  [f for f in findings if f.path not in {p for p, _ in tables}], found, digests, reaudited)
    if history is not None:
        history.record(audit)
    return audit


def _presentation(path: Path, inputs: Inputs) -> str:
    """What tells two presentations of a bordereau apart: its file's SHA-256, and, for a bordereau of an export
    folder, the identity of the ledger that numbered it (manifest.json): the same file exported from a copy of the
    ledger is another presentation (BORDEREAU_SEEN_BEFORE), not the same one audited again."""
    digest = inputs.sha256(path)
    try:
        ledger = inputs.manifest(path.parent).get("ledger")
    except (OSError, ValueError, AttributeError):
        ledger = None
    return hashlib.sha256(f"{digest}|{ledger}".encode()).hexdigest() if isinstance(ledger, str) and ledger else digest


def _lines(lines: pd.DataFrame) -> pd.DataFrame:
    if not lines.index.equals(pd.RangeIndex(len(lines))):
        lines = lines.reset_index(drop=True)
    if lines.empty:  # no table could be read: the columns the audit uses, empty
        for column in ("montant_total", "montant_amo", "montant_complementaire", "prix_unitaire", "prix_negocie",
                       "prix_public", "total"):
            lines[column] = pd.array([], dtype="Int64")
        lines["finess_geographique"] = pd.Series([], dtype=object)
    return lines


def _per_line(n: int, groups: dict, numbers: dict[tuple[str, str], str]) -> tuple[np.ndarray, np.ndarray]:
    """Each line's bordereau number, and the index of its table."""
    number, table = np.empty(n, dtype=object), np.zeros(n, dtype=np.int64)
    for i, (key, positions) in enumerate(groups.items()):
        number[positions], table[positions] = numbers[key], i
    return number, table


def _amounts(part: pd.DataFrame) -> Amounts:
    verdict = part["verdict"].to_numpy()
    counts = (int(np.count_nonzero(verdict == v)) for v in (ACCEPTED, OBSERVATION, REJECTED))
    return Amounts(len(part), *counts, *(from_cents(int(part[c].sum())) for c in SUMS))


def _explain(part: pd.DataFrame) -> tuple[Explanation, ...]:
    rejected = part[part["verdict"].to_numpy() == REJECTED]
    if rejected.empty:
        return ()
    grouped = rejected.groupby("code")["rejected"].agg(["size", "sum"])
    return tuple(Explanation(code, int(row["size"]), from_cents(int(row["sum"])))
                 for code, row in sorted(grouped.iterrows(), key=lambda kv: _ORDER.get(kv[0], len(_ORDER))))


def _bordereaux(lines: pd.DataFrame, result, groups: dict, numbers: dict, findings: list[Finding]) -> list[Summary]:
    summaries = {(s.path, s.sheet): s for s in result.files}
    out = []
    for key in sorted(result.tables):
        table, summary = result.tables[key], summaries.get(key)
        part = lines.iloc[groups.get(key, [])]
        dose_rows = set(table.row_numbers)
        own = tuple(f for f in findings if f.path == key[0] and f.sheet in (key[1], None) and f.row not in dose_rows)
        out.append(Summary(numbers[key], summary.centre if summary else None,
                           summary.finess_geographique if summary else None, summary.cpam if summary else None,
                           _amounts(part), _explain(part), key[0], key[1], _totals_row(table), own))
    return out


def _totals_row(table) -> Decimal | None:
    from bordereau.read.lines import INVALID, parse_cents

    column = table.columns.get("montant_total")
    if table.totals_row is None or column is None or column.index >= len(table.totals_row):
        return None
    cents = parse_cents(table.totals_row[column.index])
    return None if cents is None or cents is INVALID else from_cents(cents)


def _centres(lines: pd.DataFrame, ref: Reference) -> list[Summary]:
    if lines.empty:
        return []
    out = []
    for finess, part in lines.groupby(lines["finess_geographique"].fillna(""), sort=True):
        centre = ref.centre_by_finess.get(finess)
        out.append(Summary(finess, centre.nom if centre else None, finess or None, centre.cpam if centre else None,
                           _amounts(part), _explain(part), bordereaux=part["_table"].nunique()))
    return out
