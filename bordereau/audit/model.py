"""What an audit finds: the amounts and verdicts of each bordereau and centre, and the audit as a whole (data only:
render/audit_* show it, audit/rows turns it into the statement's and the history's rows)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from bordereau.check.model import TableSummary
from bordereau.findings import CountsFindings, Finding, title
from bordereau.money import as_json, format_eur

SUMS = ("claimed", "recomputed", "accepted", "rejected")


@dataclass(frozen=True)
class Amounts:
    lines: int
    accepted_lines: int
    observation_lines: int
    rejected_lines: int
    claimed: Decimal
    recomputed: Decimal
    accepted: Decimal
    rejected: Decimal

    def as_json(self) -> dict:
        counts = ("lines", "accepted_lines", "observation_lines", "rejected_lines")
        return {**{k: getattr(self, k) for k in counts}, **{k: as_json(getattr(self, k)) for k in SUMS}}


@dataclass(frozen=True)
class Explanation:
    """Rejected lines whose main reason is `code`, and the amount they claimed."""

    code: str
    lines: int
    amount: Decimal

    @property
    def text(self) -> str:
        return f"{self.lines} ligne{'s' if self.lines > 1 else ''} {self.code} : {format_eur(self.amount)}"

    def as_json(self) -> dict:
        return {"code": self.code, "title": title(self.code), "lines": self.lines, "amount": as_json(self.amount),
                "text": self.text}


@dataclass(frozen=True)
class Summary:
    """The audit of one bordereau (`number`, `path`, `sheet` set) or one centre (`bordereaux` set)."""

    key: str  # the bordereau's number, or the centre's FINESS géographique
    centre: str | None
    finess_geographique: str | None
    cpam: str | None  # the caisse the centre is attached to
    amounts: Amounts
    explanations: tuple[Explanation, ...]
    path: str | None = None
    sheet: str | None = None
    claimed_total_row: Decimal | None = None  # the totals row's « Montant total », when the sheet has one
    findings: tuple[Finding, ...] = ()  # about the bordereau as a whole: header block, totals row, file
    bordereaux: int = 1

    @property
    def number(self) -> str:
        return self.key


@dataclass
class Audit(CountsFindings):
    today: dt.date
    cpam: str | None
    files: list[TableSummary]
    findings: list[Finding]
    lines: pd.DataFrame  # check's lines + bordereau, verdict, code, codes, claimed, recomputed, accepted, rejected
    bordereaux: list[Summary]
    centres: list[Summary]
    total: Amounts
    explanations: tuple[Explanation, ...]
    unread: list[Finding] = field(default_factory=list)  # about files where no bordereau could be read
    touching: dict[int, list[Finding]] = field(default_factory=dict)  # line position -> findings on it
    digests: dict[str, str] = field(default_factory=dict)  # bordereau number -> SHA-256 of its file
    reaudited: set[str] = field(default_factory=set)  # numbers audited before from the very same file
