"""A CPAM bordereau as a PDF, laid out as the CNAM national model reads: who bills (the Département, its FINESS
juridique), the centre and its FINESS géographique, the caisse, the period and the bordereau's number, the lines, the
totals, and the « certifié exact, daté, signé et cacheté » block with the signatory from centres.yaml."""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path

import pandas as pd

from bordereau.export.plan import Bordereau
from bordereau.money import format_eur
from bordereau.reference.data import COVERAGE_LABELS, Departement
from bordereau.render.pdf_layout import Column, Document, texts
from bordereau.render.pdf_text import latin, once_each

COLUMNS = (
    Column("N°", "R", 7), Column("Nom"), Column("Prénom"), Column("NIR", min_mm=26), Column("Né(e) le", "C", 16),
    Column("Régime", "C"), Column("Prise en charge"), Column("Vaccin"), Column("Code CIP/UCD"),
    Column("Administré le", "C", 16), Column("N° de dose", "C"), Column("Prix unitaire TTC", "R"),
    Column("Montant AMO", "R"), Column("Montant AMC", "R"), Column("Total à rembourser", "R"),
)


def eur(value) -> str:
    """An amount (Decimal euros, or integer cents) as the documents print it."""
    return format_eur(Decimal(value)) if isinstance(value, Decimal) else _cents(int(value))


@functools.lru_cache(maxsize=4096)
def _cents(cents: int) -> str:  # a bordereau repeats a handful of amounts over thousands of lines
    return format_eur(Decimal(cents) / 100)


def day(value) -> str:
    return "" if value is None or pd.isna(value) else f"{value:%d/%m/%Y}"


def text(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) or value is pd.NA else str(value)


SHOWN_ONCE = (str, int, pd.Timestamp)  # shown once per distinct value; NaN, NaT and the like each time
FIELDS = ("nom", "prenom", "nir", "date_naissance", "code_regime", "prise_en_charge", "vaccin", "code_vaccin",
          "date_administration", "dose", "prix_unitaire", "amo", "complementaire", "total")


def _printable(show):
    """`show`, then what the PDF's font can print (pdf_text.latin)."""
    return lambda value: latin(show(value))


_LABELS = {code: latin(label) for code, label in COVERAGE_LABELS.items()}


def rows(b: Bordereau) -> list[list[str]]:
    """The table's rows, as the PDF's font prints them (each distinct value shown and converted once)."""
    lines = b.lines
    columns = [lines[name].tolist() for name in FIELDS]  # whole columns: no pandas object per cell
    shown = [[str(n) for n in range(1, len(lines) + 1)]]  # digits: printable as they are
    for name, values in zip(FIELDS, columns, strict=True):
        if name in ("date_naissance", "date_administration"):
            shown.append(once_each(values, _printable(day), SHOWN_ONCE))
        elif name == "prise_en_charge":
            shown.append([_LABELS.get(v, "") for v in values])
        elif name in ("prix_unitaire", "amo", "complementaire", "total"):
            shown.append(once_each(values, _printable(eur), SHOWN_ONCE))
        else:
            shown.append(once_each(values, _printable(text), SHOWN_ONCE))
    out = [list(row) for row in zip(*shown, strict=True)]
    s = b.sums
    out.append([latin(t) for t in ("", "TOTAL", "", "", "", "", "", "", "", "", "", eur(s.prix), eur(s.amo),
                                   eur(s.complementaire), eur(s.total))])
    return out


def header_fields(b: Bordereau, departement: Departement | None) -> list[tuple[str, str]]:
    who = departement.raison_sociale if departement else ""
    return [
        ("Structure", who), ("FINESS juridique", b.centre.finess_juridique),
        ("Centre de vaccination", b.centre.nom), ("FINESS géographique", b.centre.finess_geographique),
        ("Adresse du centre", b.centre.adresse or b.centre.ville),
        ("Caisse destinataire", f"{b.cpam.code} – {b.cpam.nom}"),
        ("Période", f"du {b.start:%d/%m/%Y} au {b.end:%d/%m/%Y}"), ("N° de bordereau", b.number),
    ]


def bordereau_pdf(b: Bordereau, departement: Departement | None, created) -> Document:
    t = texts()["bordereau"]
    doc = Document(t["title"], b.number, landscape=True)
    doc.title_block(t["title"], t["subtitle"])
    doc.fields([*header_fields(b, departement), ("Établi le", f"{created:%d/%m/%Y}"),
                ("Nombre de lignes", str(b.sums.lines))])
    doc.grid(COLUMNS, rows(b), bold_last=True, printable=True)
    if b.refers_to:
        doc.paragraph(f"Ce bordereau refacture, corrigées, des lignes rejetées des bordereaux : "
                      f"{', '.join(b.refers_to)}.")
    doc.signature(t["certification"], departement.signataire if departement else "",
                  departement.qualite if departement else "",
                  [t["certify_text"].format(lines=b.sums.lines, total=eur(b.sums.total))],
                  lead=f"Total à rembourser par la caisse : {eur(b.sums.total)} (part AMO {eur(b.sums.amo)}, part "
                       f"complémentaire {eur(b.sums.complementaire)}), pour {b.sums.lines} ligne(s).")
    return doc


def write_bordereau_pdf(path: Path, b: Bordereau, departement: Departement | None, created) -> None:
    bordereau_pdf(b, departement, created).output(str(path))
