"""Reconciliation: import what the CPAM paid and match each payment to bordereaux.

Matching, in this order: the bordereau numbers written in the payment's label; else, for the CPAM that paid, the one
bordereau whose outstanding amount equals the payment exactly (the oldest if several); else a set of that CPAM's
outstanding bordereaux that adds up exactly to the payment. A payment that matches nothing is recorded unmatched,
never dropped. Importing the same statement twice records nothing twice.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import sqlalchemy as sa

from bordereau import clock
from bordereau.identifiers import hide_nirs
from bordereau.ledger.amounts import outstanding_by_bordereau
from bordereau.ledger.bank import Payment, Unreadable, read_payments
from bordereau.ledger.schema import allocations, payments
from bordereau.reference.data import Reference
from bordereau.text import norm_label

__all__ = ["Payment", "Unreadable", "reconcile", "unmatched"]

NUMBER = re.compile(r"HPV-\d{3}-[0-9AB]{9}-\d{8}-\d+")
MAX_SUBSET = 24  # bordereaux of one CPAM considered for a payment that pays several at once


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


def reconcile(ledger, paths: list[Path], ref: Reference) -> tuple[list[Payment], list[Unreadable]]:
    """Import the statements, match and record every payment (in date order) in one transaction; returns the
    payments and the lines that could not be read (the others are imported all the same)."""
    found, problems = [], []
    for path in paths:
        read, unreadable = read_payments(path)
        found += read
        problems += unreadable
    found.sort(key=lambda p: (p.paid_on, p.source, p.row))
    now = clock.now()
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
                paid_on=p.paid_on, payer=hide_nirs(p.payer), amount=p.amount, label=hide_nirs(p.label),
                source=hide_nirs(p.source),
                fingerprint=p.fingerprint, cpam=p.cpam, imported_at=now, account=p.account)
                .returning(payments.c.id)).scalar_one()
            p.id = payment_id
            for number, cents, rule in p.allocations:
                connection.execute(allocations.insert().values(payment_id=payment_id, bordereau=number, amount=cents,
                                                               rule=rule))
            known.add(p.fingerprint)
    return retried + found, problems


def _retry_unmatched(connection, due: dict) -> list[Payment]:
    """Payments imported earlier without a match, matched again (a bordereau may have been exported since)."""
    rows = connection.execute(_unmatched().order_by(payments.c.paid_on, payments.c.id)).mappings().all()
    matched = []
    for row in rows:
        p = Payment(row["paid_on"], row["payer"], row["amount"], row["label"], row["source"], 0, row["fingerprint"],
                    row["cpam"], earlier=True, id=row["id"])
        match(p, due)
        for number, cents, rule in p.allocations:
            connection.execute(allocations.insert().values(payment_id=row["id"], bordereau=number, amount=cents,
                                                           rule=rule))
        if p.allocations:
            matched.append(p)
    return matched


def _unmatched() -> sa.Select:
    """Payments without any allocation and not set aside by hand."""
    return sa.select(payments).where(~sa.exists().where(allocations.c.payment_id == payments.c.id),
                                     payments.c.ignored_at.is_(None))


def unmatched(ledger) -> list[Payment]:
    """Payments recorded without any allocation, and not set aside (`reconcile --ignorer`)."""
    with ledger.engine.connect() as connection:
        rows = connection.execute(_unmatched().order_by(payments.c.paid_on, payments.c.id)).mappings().all()
    return [Payment(r["paid_on"], r["payer"], r["amount"], r["label"], r["source"], 0, r["fingerprint"], r["cpam"],
                    id=r["id"]) for r in rows]
