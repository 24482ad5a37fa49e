"""Where each bordereau stands: billed, rejected, paid, outstanding, days since deposit, and its state.

The convention gives the CPAM two months from receipt to pay: past that, an outstanding bordereau is late.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from bordereau import clock
from bordereau.ledger.amounts import amounts
from bordereau.ledger.payments import unmatched
from bordereau.ledger.schema import billed_lines, bordereaux
from bordereau.money import from_cents

STATES = ("à déposer", "impayé", "partiel", "en retard", "payé", "rejeté", "trop-perçu")
AGEING = (("non déposé", None), ("0 à 30 jours", 30), ("31 à 60 jours", 60), ("plus de 60 jours", None))


def state_of(outstanding: int, paid: int, deposited_on: dt.date | None, today: dt.date) -> str:
    """The state of a bordereau.

    >>> state_of(0, 100, dt.date(2026, 1, 5), dt.date(2026, 6, 1)), state_of(-1, 101, None, dt.date(2026, 1, 1))
    ('payé', 'trop-perçu')
    >>> late = dt.date(2026, 3, 6)
    >>> state_of(50, 0, dt.date(2026, 1, 5), dt.date(2026, 3, 5)), state_of(50, 0, dt.date(2026, 1, 5), late)
    ('impayé', 'en retard')
    """
    if outstanding < 0:
        return "trop-perçu"
    if outstanding == 0:
        return "payé" if paid > 0 else "rejeté"  # nothing is due: paid, or refused line by line
    if deposited_on is None:
        return "à déposer"
    if today > (pd.Timestamp(deposited_on) + pd.DateOffset(months=2)).date():
        return "en retard"
    return "partiel" if paid > 0 else "impayé"


@dataclass(frozen=True)
class Status:
    bordereaux: pd.DataFrame  # number, cpam, centre, ..., total, rejected, paid, outstanding, days, state, ageing
    today: dt.date
    unmatched: list = field(default_factory=list)  # payments nothing matched (ledger.bank.Payment)

    def by_cpam(self) -> pd.DataFrame:
        b = self.bordereaux
        return b.groupby("cpam", sort=True)[["total", "rejected", "paid", "outstanding"]].sum().reset_index()

    def ageing(self) -> pd.DataFrame:
        """Outstanding cents per CPAM and ageing bucket (only what is still owed)."""
        owed = self.bordereaux[self.bordereaux["outstanding"] > 0]
        table = owed.pivot_table(index="cpam", columns="ageing", values="outstanding", aggfunc="sum", fill_value=0)
        return table.reindex(columns=[label for label, _ in AGEING], fill_value=0)

    def as_json(self) -> dict:
        def money(cents) -> str:
            return f"{from_cents(int(cents)):.2f}"

        rows = []
        for r in self.bordereaux.itertuples():
            rows.append({"bordereau": r.number, "cpam": r.cpam, "centre": r.centre,
                         "period": {"start": str(r.period_start), "end": str(r.period_end)},
                         "deposited_on": str(r.deposited_on) if r.deposited_on else None,
                         "days_since_deposit": None if pd.isna(r.days) else int(r.days), "lines": int(r.lines),
                         "billed": money(r.total), "rejected": money(r.rejected), "paid": money(r.paid),
                         "outstanding": money(r.outstanding), "state": r.state})
        cpams = [{"cpam": r.cpam, "billed": money(r.total), "rejected": money(r.rejected), "paid": money(r.paid),
                  "outstanding": money(r.outstanding)} for r in self.by_cpam().itertuples()]
        return {"today": str(self.today), "bordereaux": rows, "cpam": cpams,
                "unmatched_payments": [p.as_json() for p in self.unmatched]}


def _bucket(days: float | None) -> str:
    if days is None or pd.isna(days):
        return AGEING[0][0]
    if days <= 30:
        return AGEING[1][0]
    return AGEING[2][0] if days <= 60 else AGEING[3][0]


def status(ledger, today: dt.date) -> Status:
    with ledger.engine.connect() as connection:
        frame = amounts(connection)
    deposited = pd.to_datetime(frame["deposited_on"])
    frame["days"] = (pd.Timestamp(today) - deposited).dt.days
    frame["state"] = [state_of(int(o), int(p), d, today) for o, p, d in
                      zip(frame["outstanding"], frame["paid"], frame["deposited_on"], strict=True)]
    frame["ageing"] = [_bucket(d) for d in frame["days"]]
    return Status(frame, today, unmatched(ledger))


def follow_up(connection, numbers: list[str], today: dt.date) -> dict[str, str]:
    """What the service shows of exported bordereaux once the CPAM answered: `payé` (nothing left, something paid,
    or paid beyond), `rejeté` (every line refused), `partiel` (something paid, something still due). A bordereau the
    CPAM has not answered yet is not in the result."""
    frame = amounts(connection)
    frame = frame[frame["number"].isin(numbers)]
    found = {}
    for r in frame.itertuples():
        state = state_of(int(r.outstanding), int(r.paid), r.deposited_on, today)
        if state in ("payé", "trop-perçu"):
            found[r.number] = "payé"
        elif state == "rejeté":
            found[r.number] = "rejeté"
        elif r.paid > 0:
            found[r.number] = "partiel"
    return found


def mark_sent(ledger, numbers: list[str], on: dt.date) -> None:
    """Record that bordereaux were deposited on PETRA (all of them, or none when one is unknown)."""
    from bordereau.errors import BordereauError

    with ledger.engine.begin() as connection:
        known = set(connection.execute(sa.select(bordereaux.c.number).where(bordereaux.c.number.in_(numbers)))
                    .scalars())
        unknown = [n for n in numbers if n not in known]
        if unknown:
            raise BordereauError(f"bordereau inconnu du registre : {', '.join(unknown)}")
        if on > clock.today():
            raise BordereauError(f"date de dépôt {on:%d/%m/%Y} dans le futur")
        made = connection.execute(sa.select(sa.func.max(bordereaux.c.created)).where(bordereaux.c.number.in_(numbers)))
        latest = made.scalar()
        if latest is not None and on < latest.date():
            raise BordereauError(f"date de dépôt {on:%d/%m/%Y} antérieure à l'export du bordereau ({latest:%d/%m/%Y})")
        connection.execute(bordereaux.update().where(bordereaux.c.number.in_(numbers)).values(deposited_on=on))


def lines_of(ledger, number: str) -> list[dict]:
    """The lines of one bordereau as the ledger holds them (masked NIR; names unless purged), to answer a CPAM."""
    from bordereau.errors import BordereauError

    c = billed_lines.c
    with ledger.engine.connect() as connection:
        found = connection.execute(sa.select(c.line_no, c.nom, c.prenom, c.nir_masked, c.birth_date, c.vaccine_code,
                                             c.administered_on, c.coverage, c.regime, c.prix, c.amo,
                                             c.complementaire, c.total, c.state, c.rejected_reason, c.rebills)
                                   .where(c.bordereau == number).order_by(c.line_no)).mappings().all()
    if not found:
        raise BordereauError(f"bordereau inconnu du registre : {number}")
    return [dict(r) for r in found]
