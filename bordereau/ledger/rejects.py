"""CPAM rejections: a statement of refused lines (the columns of bordereau/rejections.py, as `audit --xlsx` writes
them). A refused line leaves what the CPAM owes and may be billed again, once corrected, in a later bordereau."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bordereau import clock
from bordereau.errors import BordereauError
from bordereau.identifiers import hide_nirs
from bordereau.ledger.schema import billed_lines, rejections
from bordereau.read.lines import INVALID, parse_cents
from bordereau.rejections import COLUMNS
from bordereau.text import clean_text


@dataclass(frozen=True)
class Rejection:
    bordereau: str
    line_no: int
    code: str | None
    reason: str
    amount: int | None  # cents; None: the line's whole total
    source: str
    row: int


@dataclass(frozen=True)
class RejectResult:
    applied: list[Rejection]
    already: list[Rejection]  # imported before: nothing done
    unknown: list[Rejection]  # no such line in the ledger
    invalid: list[tuple[Rejection, str]]  # an amount that cannot be refused on that line, and why


def read_rejections(path: Path) -> list[Rejection]:
    from bordereau.ledger.statements import find_table

    labels = {key: accepted for key, (_, accepted) in COLUMNS.items()}
    out = []
    # the table ends at its first empty row: the total and the signature block under it are not rejections
    for row in find_table(path, labels, ("bordereau", "ligne", "motif"), "rejets", stop_at_blank=True).rows:
        number, line = clean_text(row["bordereau"]), clean_text(row["ligne"])
        if not number or not line or not line.isdigit():
            raise BordereauError(f"{path}, ligne {row['_row']} : n° de bordereau ou de ligne illisible")
        amount = parse_cents(row.get("montant"))
        if amount is INVALID:
            raise BordereauError(f"{path}, ligne {row['_row']} : montant illisible")
        out.append(Rejection(number, int(line), clean_text(row.get("code")), clean_text(row["motif"]) or "",
                             amount, path.name, row["_row"]))
    return out


def reject(ledger, paths: list[Path], today: dt.date) -> RejectResult:
    """Apply the statements in one transaction; a line refused twice is applied once."""
    items = [r for path in paths for r in read_rejections(path)]
    applied, already, unknown, invalid = [], [], [], []
    now = clock.now()
    with ledger.engine.begin() as connection:
        for r in items:
            where = (billed_lines.c.bordereau == r.bordereau) & (billed_lines.c.line_no == r.line_no)
            line = connection.execute(sa.select(billed_lines.c.state, billed_lines.c.total).where(where)).first()
            if line is None:
                unknown.append(r)
                continue
            seen = connection.execute(sa.select(rejections.c.id).where(
                (rejections.c.bordereau == r.bordereau) & (rejections.c.line_no == r.line_no))).first()
            if seen is not None:
                already.append(r)
                continue
            amount = line.total if r.amount is None else r.amount
            if not 0 < amount <= line.total:
                invalid.append((r, f"montant refusé {amount / 100:.2f} hors de 0,01 à {line.total / 100:.2f} EUR "
                                   "(le total facturé de la ligne)".replace(".", ",")))
                continue
            code, reason = hide_nirs(r.code), hide_nirs(r.reason)  # the CPAM's free text: no NIR kept
            connection.execute(rejections.insert().values(
                bordereau=r.bordereau, line_no=r.line_no, code=code, reason=reason, amount=amount,
                source=hide_nirs(r.source), imported_at=now))
            connection.execute(billed_lines.update().where(where).values(
                state="rejected", rejected_code=code, rejected_reason=reason, rejected_amount=amount,
                rejected_on=today))
            applied.append(r)
    return RejectResult(applied, already, unknown, invalid)
