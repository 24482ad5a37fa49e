"""Sums of the split, per CPAM, centre, régime or coverage. Only lines without error count; every total is the sum
of its lines (integer cents added, never floats)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from bordereau.money import as_json, from_cents
from bordereau.reference.data import COVERAGE_LABELS, Reference

PARTS = ("prix", "amo", "complementaire", "total", "fir")
GROUPINGS = ("cpam", "centre", "regime", "prise_en_charge")


@dataclass(frozen=True)
class Sums:
    lines: int
    prix: Decimal
    amo: Decimal
    complementaire: Decimal
    total: Decimal
    fir: Decimal

    def as_json(self) -> dict:
        return {"lines": self.lines, **{p: as_json(getattr(self, p)) for p in PARTS}}


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    sums: Sums

    def as_json(self) -> dict:
        return {"key": self.key, "label": self.label, **self.sums.as_json()}


@dataclass(frozen=True)
class Totals:
    by: str
    groups: tuple[Group, ...]
    total: Sums
    excluded_lines: int

    def as_json(self) -> dict:
        return {"by": self.by, "groups": [g.as_json() for g in self.groups], "total": self.total.as_json(),
                "excluded_lines": self.excluded_lines}


def billable(lines: pd.DataFrame) -> pd.DataFrame:
    """Lines without any error, with their parts in cents under the names of the totals (prix, amo, ...)."""
    if lines.empty or "amo" not in lines:
        return pd.DataFrame(columns=["prix", "amo", "complementaire", "total", "fir"])
    kept = lines[~lines["excluded"] & lines["amo"].notna()]
    return kept.assign(prix=kept["prix_unitaire"])


def sums(lines: pd.DataFrame) -> Sums:
    """The sums of some lines.

    >>> s = sums(pd.DataFrame({p: pd.array([1001, 1], dtype="Int64") for p in PARTS}))
    >>> s.lines, s.prix
    (2, Decimal('10.02'))
    """
    return Sums(len(lines), *(from_cents(int(lines[p].sum())) if len(lines) else from_cents(0) for p in PARTS))


def group_key(lines: pd.DataFrame, by: str, ref: Reference) -> tuple[pd.Series, dict[str, str]]:
    """The key of each line for a grouping, and the label of each key."""
    if by == "cpam":
        return lines["cpam"], {code: c.nom for code, c in ref.cpams.items()}
    if by == "centre":
        return lines["finess_geographique"], {c.finess_geographique: c.nom for c in ref.centres}
    if by == "regime":
        return lines["code_regime"].fillna(""), {"": "Sans régime (sans droits)", **ref.regimes}
    if by == "prise_en_charge":
        return lines["prise_en_charge"], dict(COVERAGE_LABELS)
    raise ValueError(by)


def totals(lines: pd.DataFrame, by: str, ref: Reference) -> Totals:
    kept = billable(lines)
    keys, labels = group_key(kept, by, ref) if len(kept) else (pd.Series(dtype=object), {})
    groups = tuple(Group(str(key), labels.get(key, str(key)), sums(part))
                   for key, part in kept.groupby(keys, sort=True))
    return Totals(by, groups, sums(kept), int(lines["excluded"].sum()) if len(lines) else 0)


def add_sums(items: list[Sums]) -> Sums:
    """The sums of several groups of lines."""
    return Sums(sum(s.lines for s in items), *(sum((getattr(s, p) for s in items), from_cents(0)) for p in PARTS))
