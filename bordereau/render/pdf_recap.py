"""The per-CPAM recap as a PDF: who bills, the bordereaux with their amounts, the totals by régime, what goes onto
PETRA and in what order, and the certification block."""

from __future__ import annotations

from bordereau.export.plan import Bordereau
from bordereau.price.totals import Sums
from bordereau.reference.data import Departement
from bordereau.render.deposit import deposit_lines
from bordereau.render.pdf_bordereau import eur
from bordereau.render.pdf_layout import Column, Document, texts

BORDEREAU_COLUMNS = (
    Column("N° de bordereau", min_mm=40), Column("Centre"), Column("FINESS géographique"), Column("Période", "C"),
    Column("Lignes", "R"), Column("Montant AMO", "R"), Column("Montant AMC", "R"), Column("Total à rembourser", "R"),
)
REGIME_COLUMNS = (Column("Code régime", "C"), Column("Régime", min_mm=50), Column("Lignes", "R"),
                  Column("Montant AMO", "R"), Column("Montant AMC", "R"), Column("Total à rembourser", "R"))


def _amounts(s: Sums) -> list[str]:
    return [str(s.lines), eur(s.amo), eur(s.complementaire), eur(s.total)]


def recap_pdf(cpam, bordereaux: list[Bordereau], total: Sums, regimes: list[dict], departement: Departement | None,
              created, notices: list[str]) -> Document:
    t = texts()["recap"]
    title = t["title"].format(cpam=cpam.nom)
    number = f"recapitulatif-{cpam.code}"
    doc = Document(title, number, landscape=True)
    doc.title_block(title)
    start, end = min(b.start for b in bordereaux), max(b.end for b in bordereaux)
    doc.fields([
        ("Structure", departement.raison_sociale if departement else ""),
        ("FINESS juridique", bordereaux[0].centre.finess_juridique),
        ("Caisse", f"{cpam.code} – {cpam.nom}"), ("Période", f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"),
        ("Établi le", f"{created:%d/%m/%Y}"), ("Bordereaux", str(len(bordereaux))),
    ])
    rows = [[b.number, b.centre.nom, b.centre.finess_geographique, f"{b.start:%d/%m/%Y} – {b.end:%d/%m/%Y}",
             *_amounts(b.sums)] for b in bordereaux]
    rows.append(["TOTAL", "", "", "", *_amounts(total)])
    doc.grid(BORDEREAU_COLUMNS, rows, size=8, bold_last=True)
    doc.heading("Par régime")
    rows = [[g["key"], g["label"], *_amounts(g["sums"])] for g in regimes]
    rows.append(["TOTAL", "", *_amounts(total)])
    doc.grid(REGIME_COLUMNS, rows, size=8, bold_last=True)
    doc.heading(t["deposit_title"])
    doc.paragraph(t["deposit_intro"].format(email=cpam.email))
    for line in deposit_lines(cpam.code, bordereaux):
        doc.paragraph(f"   {line}", size=8.5)
    for notice in notices:
        doc.paragraph(f"ATTENTION, donnée d'exemple : {notice}", size=8.5, bold=True)
    doc.signature(t["certification"], departement.signataire if departement else "",
                  departement.qualite if departement else "",
                  [f"Total à rembourser par la caisse : {eur(total.total)} pour {total.lines} ligne(s)."])
    return doc
