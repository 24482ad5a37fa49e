"""Reading payment statements: a bank's or the Trésor's (Date / Libellé / Débit / Crédit, cp1252) or a plain table
(Date / Payeur / Montant / Libellé).

Credits are payments; debits, and negative amounts, are ignored. A line whose date or amount cannot be read is
reported and the others are still imported. A payment is known again, when a statement is imported a second time, by
its date, its amount and its account reference (the statement's account, else the payer), never by its label: a label
edited by hand does not make a second payment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from bordereau.identifiers import hide_nirs
from bordereau.money import as_json, from_cents, parse_amount, to_cents
from bordereau.read.lines import INVALID, parse_date
from bordereau.text import clean_text

LABELS = {
    "date": ("Date", "Date de paiement", "Date d'opération", "Date opération", "Date valeur", "Date de valeur",
             "Date du virement", "Date de l'opération", "Date comptable"),
    "payer": ("Émetteur", "Payeur", "Tiers", "Donneur d'ordre", "Débiteur", "Nom du tiers", "Organisme"),
    "amount": ("Montant", "Crédit", "Montant (EUR)", "Montant EUR", "Montant crédit", "Montant payé", "Crédit (EUR)",
               "Crédit EUR", "Recettes"),
    "debit": ("Débit", "Débit (EUR)", "Débit EUR", "Montant débit", "Dépenses"),
    "label": ("Libellé", "Référence", "Motif", "Libellé de l'opération", "Référence de paiement",
              "Libellé du virement", "Libellé opération"),
    "account": ("Compte", "N° de compte", "Numéro de compte", "IBAN", "Référence du compte"),
}
IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?)\b")
ACCOUNT = re.compile(r"compte\D{0,25}(\d[\d ]{5,}\d)", re.IGNORECASE)


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
    id: int | None = None  # in the ledger
    account: str = ""

    def as_json(self) -> dict:
        return {"id": self.id, "date": str(self.paid_on), "payer": self.payer,
                "amount": as_json(from_cents(self.amount)), "label": self.label, "cpam": self.cpam,
                "duplicate": self.duplicate, "earlier": self.earlier,
                "allocations": [{"bordereau": n, "amount": as_json(from_cents(c)), "rule": r}
                                for n, c, r in self.allocations]}

    @property
    def matched(self) -> bool:
        return bool(self.allocations)


@dataclass(frozen=True)
class Unreadable:
    source: str
    row: int
    reason: str

    @property
    def text(self) -> str:
        return f"{self.source}, ligne {self.row} : {self.reason}"


def fingerprint(day: dt.date, cents: int, account: str, occurrence: int) -> str:
    """What identifies a payment across imports: date, amount, account reference, and its rank among the payments
    of one statement sharing these three (two equal transfers on one day are two payments)."""
    return hashlib.sha256(f"{day}|{cents}|{account.upper()}|{occurrence}".encode()).hexdigest()


def statement_account(preamble: list[list]) -> str:
    """The account a statement is about, from the lines above its table (an IBAN, or « Compte n° ... »).

    >>> statement_account([["Relevé du compte"], ["IBAN : FR76 3000 1000 6400 0000 0000 123"]])
    'FR7630001000640000000000123'
    >>> statement_account([["Compte courant n° 0012 3456 789"]]), statement_account([["Relevé"]])
    ('00123456789', '')
    """
    text = " ".join(str(v) for row in preamble for v in row if v not in (None, ""))
    if found := IBAN.search(text.upper()):
        return found.group(1).replace(" ", "")
    if found := ACCOUNT.search(text):
        return found.group(1).replace(" ", "")
    return ""


def read_payments(path: Path) -> tuple[list[Payment], list[Unreadable]]:
    """The credits of a statement, and the lines that could not be read."""
    from bordereau.ledger.statements import find_table

    table = find_table(path, LABELS, ("date", "amount"), "paiements")
    account = statement_account(table.preamble)
    out, problems, seen = [], [], {}
    for row in table.rows:
        day = parse_date(row["date"])
        credit, debit = parse_amount(row["amount"]), parse_amount(row.get("debit"))
        if credit is None and clean_text(row["amount"]) is None and debit is not None:
            continue  # a debit line
        if day is None or day is INVALID or credit is None:
            problems.append(Unreadable(path.name, row["_row"], "date ou montant illisible"))
            continue
        if credit <= 0:
            continue  # a debit written as a negative amount, or nothing credited
        # a NIR typed in a label or a payer (a pupil's, to say what a payment is for) is masked before it is shown,
        # stored, or used as the account reference
        payer, label = (hide_nirs(clean_text(row.get(key)) or "") for key in ("payer", "label"))
        reference = (clean_text(row.get("account")) or account).replace(" ", "") or payer
        cents = to_cents(credit)
        key = (day, cents, reference.upper())
        seen[key] = seen.get(key, 0) + 1
        out.append(Payment(day, payer, cents, label, path.name, row["_row"],
                           fingerprint(day, cents, reference, seen[key]), account=reference))
    return out, problems
