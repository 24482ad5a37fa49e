"""The Département's FIR statement as a PDF: its period, per centre the lines without rights (paid 100 % by the
FIR) and the FIR part of the others, the lines without rights listed (no NIR, no date of birth), and the
certification block."""

from __future__ import annotations

from bordereau.export.plan import ExportPlan
from bordereau.identifiers import hide_nirs
from bordereau.reference.data import Departement
from bordereau.render.pdf_bordereau import day, eur, text
from bordereau.render.pdf_layout import Column, Document, texts

CENTRE_COLUMNS = (
    Column("Centre"), Column("FINESS géographique"), Column("Lignes sans droits", "R"),
    Column("Prix sans droits", "R"), Column("FIR sans droits", "R"), Column("Autres lignes", "R"),
    Column("Prix autres lignes", "R"), Column("FIR ticket modérateur", "R"), Column("FIR total", "R"),
)
LINE_COLUMNS = (Column("Centre"), Column("Nom"), Column("Prénom"), Column("Administré le", "C"), Column("Vaccin"),
                Column("Prix unitaire TTC", "R"), Column("FIR", "R"))


def fir_pdf(export: ExportPlan, departement: Departement | None, totals: dict) -> Document:
    t = texts()["fir"]
    start, end = export.period
    number = f"etat-fir-{export.created:%Y%m%d}"
    doc = Document(t["title"], number, landscape=True)
    doc.title_block(t["title"])
    doc.fields([
        ("Structure", departement.raison_sociale if departement else ""),
        ("FINESS juridique", export.fir[0].centre.finess_juridique if export.fir else ""),
        ("Période", f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"), ("Établi le", f"{export.created:%d/%m/%Y}"),
    ])
    rows = [[c.centre.nom, c.centre.finess_geographique, str(c.no_rights.lines), eur(c.no_rights.prix),
             eur(c.no_rights.fir), str(c.others.lines), eur(c.others.prix), eur(c.others.fir), eur(c.fir)]
            for c in export.fir]
    nr, ot, total = totals["no_rights"], totals["others"], totals["total"]
    rows.append(["TOTAL", "", str(nr.lines), eur(nr.prix), eur(nr.fir), str(ot.lines), eur(ot.prix), eur(ot.fir),
                 eur(total.fir)])
    doc.grid(CENTRE_COLUMNS, rows, size=8, bold_last=True)
    lines = export.no_rights_lines
    if len(lines):
        doc.heading("Lignes sans droits (prises en charge à 100 % par le FIR)")
        names = {c.centre.finess_geographique: c.centre.nom for c in export.fir}
        doc.grid(LINE_COLUMNS, [[names[r.finess_geographique], hide_nirs(text(r.nom)), hide_nirs(text(r.prenom)),
                                  day(r.date_administration), hide_nirs(text(r.vaccin)), eur(r.prix_unitaire),
                                  eur(r.fir)]
                                 for r in lines.itertuples(index=False)])
    doc.signature(t["certification"], departement.signataire if departement else "",
                  departement.qualite if departement else "", lead=f"Total à la charge du FIR : {eur(total.fir)}.")
    return doc

