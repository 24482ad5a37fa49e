"""Reconciliation: import what the CPAM paid and match each payment to bordereaux.

Matching, in this order: the bordereau numbers written in the payment's label; else, for the CPAM that paid, the one
bordereau whose outstanding amount equals the payment exactly (the oldest if several); else a set of that CPAM's
outstanding bordereaux that adds up exactly to the payment. A payment that matches nothing is recorded unmatched,
never dropped. Importing the same statement twice records nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..errors import BordereauError
from ..lines import INVALID, parse_cents, parse_date
from ..money import as_json, from_cents
from ..reference import Reference
from ..text import clean_text, norm_label
from .schema import allocations, payments
from .status import outstanding_by_bordereau

LABELS = {
    "date": ("Date", "Date de paiement", "Date d'opération", "Date opération", "Date valeur", "Date de valeur",
             "Date du virement"),
    "payer": ("Émetteur", "Payeur", "Tiers", "Donneur d'ordre", "Débiteur", "Nom du tiers", "Organisme"),
    "amount": ("Montant", "Crédit", "Montant (EUR)", "Montant EUR", "Montant crédit", "Montant payé"),
    "label": ("Libellé", "Référence", "Motif", "Libellé de l'opération", "Référence de paiement",
              "Libellé du virement"),
}
NUMBER = re.compile(r"HPV-\d{3}-[0-9AB]{9}-\d{8}-\d+")
MAX_SUBSET = 24  # bordereaux of one CPAM considered for a payment that pays several at once


@dataclass
class Payment:
    paid_on: dt.date
    payer: str
    amount: int  # cents
    label: str
    source: str
    row: int
    fingerprint: str
    cpam: str | None = None
    allocations: list[tuple[str, int, str]] = field(default_factory=list)  # (bordereau, cents, rule)
    duplicate: bool = False
    earlier: bool = False  # imported before without a match, matched now (a bordereau exported since)

    def as_json(self) -> dict:
        return {"date": str(self.paid_on), "payer": self.payer, "amount": as_json(from_cents(self.amount)),
                "label": self.label, "cpam": self.cpam, "duplicate": self.duplicate, "earlier": self.earlier,
                "allocations": [{"bordereau": n, "amount": as_json(from_cents(c)), "rule": r}
                                for n, c, r in self.allocations]}

    @property
    def matched(self) -> bool:
        return bool(self.allocations)


def read_payments(path: Path) -> list[Payment]:
    from .statements import read_table

    rows = read_table(path, LABELS, ("date", "amount"), "paiements")
    out, seen = [], {}
    for row in rows:
        day, cents = parse_date(row["date"]), parse_cents(row["amount"])
        if day is None or day is INVALID or cents is None or cents is INVALID:
            raise BordereauError(f"{path}, ligne {row['_row']} : date ou montant illisible")
        payer, label = clean_text(row.get("payer")) or "", clean_text(row.get("label")) or ""
        identity = f"{day}|{payer}|{cents}|{label}"
        seen[identity] = seen.get(identity, 0) + 1  # the same payment twice in a statement is two payments
        fingerprint = hashlib.sha256(f"{identity}|{seen[identity]}".encode()).hexdigest()
        out.append(Payment(day, payer, cents, label, path.name, row["_row"], fingerprint))
    return out


def payer_cpam(payment: Payment, ref: Reference) -> str | None:
    """The CPAM that paid: its code or its name in the payer or the label."""
    text = f"{payment.payer} {payment.label}"
    for code in ref.cpams:
        if re.search(rf"(?<!\d){code}(?!\d)", text):
            return code
    folded = norm_label(text)
    for code, cpam in ref.cpams.items():
        if norm_label(cpam.nom_court) in folded or norm_label(cpam.nom.replace("CPAM", "")) in folded:
            return code
    return None


def _subset(amount: int, candidates: list[tuple[str, int]]) -> list[str] | None:
    """Bordereaux whose outstanding amounts add up exactly to `amount` (dynamic programming over reachable sums)."""
    reachable = {0: []}
    for number, due in candidates:
        if due <= 0:
            continue
        for total, chosen in list(reachable.items()):
            new = total + due
            if new <= amount and new not in reachable:
                reachable[new] = [*chosen, number]
        if amount in reachable:
            return reachable[amount]
    return None


def match(payment: Payment, due: dict[str, tuple[str, int, dt.date]]) -> None:
    """Allocate a payment given {bordereau: (cpam, outstanding cents, created)}; updates `due`."""
    def allocate(number: str, cents: int, rule: str) -> None:
        payment.allocations.append((number, cents, rule))
        cpam, left, created = due[number]
        due[number] = (cpam, left - cents, created)

    named = [n for n in NUMBER.findall(payment.label) if n in due]
    if named:
        left = payment.amount
        for k, number in enumerate(named):
            part = left if k == len(named) - 1 else min(left, max(due[number][1], 0))
            allocate(number, part, "libellé")
            left -= part
        return
    if payment.cpam is None:
        return
    mine = sorted(((n, d) for n, d in due.items() if d[0] == payment.cpam and d[1] > 0), key=lambda kv: kv[1][2])
    exact = [n for n, d in mine if d[1] == payment.amount]
    if exact:
        allocate(exact[0], payment.amount, "montant")
        return
    chosen = _subset(payment.amount, [(n, d[1]) for n, d in mine[:MAX_SUBSET]])
    if chosen:
        for number in chosen:
            allocate(number, due[number][1], "somme")


def reconcile(ledger, paths: list[Path], ref: Reference) -> list[Payment]:
    """Import the statements, match and record every payment (in date order) in one transaction."""
    found = sorted((p for path in paths for p in read_payments(path)), key=lambda p: (p.paid_on, p.source, p.row))
    now = dt.datetime.now()
    with ledger.engine.begin() as connection:
        known = set(connection.execute(sa.select(payments.c.fingerprint)).scalars())
        due = outstanding_by_bordereau(connection)
        retried = _retry_unmatched(connection, due)
        for p in found:
            if p.fingerprint in known:
                p.duplicate = True
                continue
            p.cpam = payer_cpam(p, ref)
            match(p, due)
            payment_id = connection.execute(payments.insert().values(
                paid_on=p.paid_on, payer=p.payer, amount=p.amount, label=p.label, source=p.source,
                fingerprint=p.fingerprint, cpam=p.cpam, imported_at=now).returning(payments.c.id)).scalar_one()
            for number, cents, rule in p.allocations:
                connection.execute(allocations.insert().values(payment_id=payment_id, bordereau=number, amount=cents,
                                                               rule=rule))
            known.add(p.fingerprint)
    return retried + found


def _retry_unmatched(connection, due: dict) -> list[Payment]:
    """Payments imported earlier without a match, matched again (a bordereau may have been exported since)."""
    rows = connection.execute(
        sa.select(payments).where(~sa.exists().where(allocations.c.payment_id == payments.c.id))
        .order_by(payments.c.paid_on, payments.c.id)).mappings().all()
    matched = []
    for row in rows:
        p = Payment(row["paid_on"], row["payer"], row["amount"], row["label"], row["source"], 0, row["fingerprint"],
                    row["cpam"], earlier=True)
        match(p, due)
        for number, cents, rule in p.allocations:
            connection.execute(allocations.insert().values(payment_id=row["id"], bordereau=number, amount=cents,
                                                           rule=rule))
        if p.allocations:
            matched.append(p)
    return matched


def unmatched(ledger) -> list[Payment]:
    """Payments recorded without any allocation."""
    with ledger.engine.connect() as connection:
        rows = connection.execute(
            sa.select(payments).where(~sa.exists().where(allocations.c.payment_id == payments.c.id))
            .order_by(payments.c.paid_on)).mappings().all()
    return [Payment(r["paid_on"], r["payer"], r["amount"], r["label"], r["source"], 0, r["fingerprint"], r["cpam"])
            for r in rows]
