"""What an audit asks of the history of earlier audits, and the checks it runs against it.

The history (the ledger, bordereau/ledger/) is plugged into `audit_files(..., history=...)`; anything that has the
four methods of `AuditHistory` will do. It never sees a clear NIR: the audit gives it the beneficiary's canonical
identity once, to be turned into a keyed hash with the installation's secret key, and works with that hash only.
`MemoryHistory` is the reference implementation, in memory, for the tests and as the ledger's specification.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from bordereau.audit.rows import history_rows
from bordereau.check.batch import fr_date
from bordereau.findings import Finding, make
from bordereau.read.layout import Table

if TYPE_CHECKING:
    from bordereau.audit.model import Audit
    from bordereau.reference.data import Reference


@dataclass(frozen=True)
class PastDose:
    """A dose an earlier audit accepted."""

    beneficiary: str  # keyed hash, from AuditHistory.beneficiary_keys
    vaccine: str  # CIP13 (the code as read when the tarifs do not know it)
    day: dt.date  # date of administration
    hpv: bool
    where: str  # how a message names it: « la ligne 12 du bordereau HPV-595-... (audité le 05/11/2026) »
    bordereau: str = ""  # the number of the bordereau it was audited in


class AuditHistory(Protocol):
    def beneficiary_keys(self, identities: Collection[str]) -> dict[str, str]:
        """{identity: keyed hash} for check's `who` identities; the ledger's is its Hasher over
        "B|" + identity, its `billed_lines.beneficiary_key`."""

    def same_files(self, digests: dict[str, str]) -> set[str]:
        """Those of the bordereaux (number -> SHA-256 of its file) audited before from the very same file: auditing
        them again is no resubmission, and their earlier lines are not compared with themselves."""

    def bordereaux_seen(self, numbers: Collection[str]) -> dict[str, str]:
        """Those of `numbers` already audited: number -> how to name it (« audité le 05/11/2026 »)."""

    def earlier_doses(self, beneficiaries: Collection[str]) -> Iterable[PastDose]:
        """The doses earlier audits accepted for these beneficiaries (keyed hashes)."""

    def record(self, audit: Audit) -> None:
        """Keep this audit: its bordereaux (`audit.bordereaux`, their files' `audit.digests`) and its lines without
        identity (`rows.history_rows(audit)`); bordereaux of `audit.reaudited` are kept already."""



def beneficiary_keys(lines: pd.DataFrame, history: AuditHistory) -> pd.Series:
    """The keyed hash of each line's beneficiary (None when unknown), asked once per beneficiary. The identity is
    check's `who` (rules._beneficiary), so that the ledger and the audit history hash the same text."""
    if "who" not in lines:  # no line could be read
        return pd.Series(None, index=lines.index, dtype=object)
    identities = lines["who"].where(lines["who"].notna(), None)
    keys = history.beneficiary_keys(_distinct(identities))
    return identities.map(keys).where(identities.notna(), None)


def _distinct(values: pd.Series) -> set:
    """The distinct values of a column but its missing ones, as Python objects (without iterating over a pandas
    array one value at a time)."""
    return set(values.dropna().unique().astype(object).tolist()) if len(values) else set()


def history_findings(lines: pd.DataFrame, tables: dict[tuple[str, str], Table], ref: Reference,
                     history: AuditHistory, reaudited: Collection[str] = ()) -> Iterator[Finding]:
    """DUPLICATE_LINE, DOSE_INTERVAL_TOO_SHORT and TOO_MANY_DOSES against the doses earlier audits accepted (but
    those of the bordereaux audited again from the same file)."""
    with_key = (lines["beneficiaire_cle"].notna() & lines["date_administration"].notna()).to_numpy()
    past = [d for d in history.earlier_doses(_distinct(lines["beneficiaire_cle"][with_key]))
            if d.bordereau not in reaudited]
    if not past:  # a first audit: no copy of the lines
        return
    keyed = lines[with_key]
    by_who: dict[str, list[PastDose]] = {}
    for dose in past:
        by_who.setdefault(dose.beneficiary, []).append(dose)
    schedule = ref.schedules.get("HPV")
    for i in keyed.index[keyed["beneficiaire_cle"].isin(by_who)]:
        line = lines.loc[i]
        cell = tables[(line["path"], line["sheet"])].cell("date_administration", int(line["row"]))
        day = line["date_administration"].date()
        for dose in by_who[line["beneficiaire_cle"]]:
            yield from _against(line, cell, day, dose, schedule)
    if schedule is not None:
        yield from _too_many(lines, keyed, by_who, tables, schedule)


def _too_many(lines: pd.DataFrame, keyed: pd.DataFrame, by_who: dict[str, list[PastDose]], tables, schedule
              ) -> Iterator[Finding]:
    """An HPV dose beyond the schedule once the doses accepted before are counted; the doses of the bordereaux
    audited now alone are check's (TOO_MANY_DOSES is said once)."""
    hpv = keyed[(keyed["classe"] == "HPV") & keyed["beneficiaire_cle"].isin(by_who)]
    for who, doses in hpv.sort_values("date_administration", kind="stable").groupby("beneficiaire_cle"):
        before = {d.day for d in by_who[who] if d.hpv}
        ages = doses["age"] if "age" in doses else pd.Series(pd.NA, index=doses.index)
        for rank_here, (i, line) in enumerate(doses.iterrows(), start=1):
            day = line["date_administration"].date()
            rank = rank_here + sum(1 for d in before if d < day)
            catch_up = schedule.catch_up_age is not None and not pd.isna(ages[i]) and ages[i] >= schedule.catch_up_age
            limit = schedule.max_doses_catch_up if catch_up and schedule.max_doses_catch_up else schedule.max_doses
            if rank > limit and rank_here <= limit and day not in before:
                cell = tables[(line["path"], line["sheet"])].cell("date_administration", int(line["row"]))
                yield make("TOO_MANY_DOSES", line["path"], line["sheet"], int(line["row"]), cell,
                           "date_administration", rank=rank, max=limit)


def _against(line: pd.Series, cell: str | None, day: dt.date, dose: PastDose, schedule) -> Iterator[Finding]:
    where = (line["path"], line["sheet"], int(line["row"]), cell, "date_administration")
    vaccine = line["cip13"] if isinstance(line["cip13"], str) else line["code_vaccin"]
    if dose.vaccine == vaccine and dose.day == day:
        yield make("DUPLICATE_LINE", *where, other=dose.where)
        return
    if schedule is None or not (dose.hpv and line["classe"] == "HPV"):
        return
    months = schedule.min_interval_months
    earlier, later = sorted((dose.day, day))
    if later < (pd.Timestamp(earlier) + pd.DateOffset(months=months)).date():
        yield make("DOSE_INTERVAL_TOO_SHORT", *where, date=fr_date(day), days=abs((day - dose.day).days),
                   previous=fr_date(dose.day), other=dose.where, months=months)


@dataclass
class MemoryHistory:
    """An AuditHistory in memory (tests; the ledger's specification)."""

    secret: bytes = b"test-key"
    seen: dict[str, str] = field(default_factory=dict)
    doses: list[PastDose] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # number -> SHA-256 of the file it was audited from

    def same_files(self, digests: dict[str, str]) -> set[str]:
        return {n for n, d in digests.items() if self.files.get(n) == d}

    def beneficiary_keys(self, identities: Collection[str]) -> dict[str, str]:
        return {i: hmac.new(self.secret, f"B|{i}".encode(), hashlib.sha256).hexdigest() for i in identities}

    def bordereaux_seen(self, numbers: Collection[str]) -> dict[str, str]:
        return {n: self.seen[n] for n in numbers if n in self.seen}

    def earlier_doses(self, beneficiaries: Collection[str]) -> Iterable[PastDose]:
        return [d for d in self.doses if d.beneficiary in beneficiaries]

    def record(self, audit: Audit) -> None:
        when = f"audité le {fr_date(audit.today)}"
        self.seen.update({b.number: when for b in audit.bordereaux if b.number not in audit.reaudited})
        self.files.update(audit.digests)
        for row in history_rows(audit):
            if row["verdict"] != "rejeté" and row["beneficiaire"] and row["bordereau"] not in audit.reaudited:
                self.doses.append(PastDose(row["beneficiaire"], row["code_vaccin"], row["date_administration"],
                                           row["classe"] == "HPV", f"la ligne {row['ligne']} du bordereau "
                                           f"{row['bordereau']} ({when})", row["bordereau"]))
