"""The Département's FIR statement: per centre, the sans-droits lines (100 % FIR) and the FIR part of the others;
the sans-droits lines listed without NIR nor date of birth. A workbook, a page and a PDF to sign, with the period."""

from __future__ import annotations

from pathlib import Path

from bordereau.export.plan import ExportPlan
from bordereau.identifiers import hide_nirs
from bordereau.money import format_eur
from bordereau.price.totals import add_sums
from bordereau.render import xlsx_print
from bordereau.render.html import render
from bordereau.render.pdf_fir import fir_pdf
from bordereau.render.xlsx import new_book

CENTRE_HEADERS = ("Centre", "FINESS géographique", "Lignes sans droits", "Prix sans droits", "FIR sans droits",
                  "Autres lignes", "Prix autres lignes", "FIR ticket modérateur", "FIR total")
LINE_HEADERS = ("Centre", "Nom", "Prénom", "Date d'administration", "Vaccin", "Prix unitaire TTC", "FIR")
TITLE = "État FIR – Vaccination HPV au collège"


def write_fir(folder: Path, export: ExportPlan) -> list[Path]:
    folder.mkdir()
    path = folder / "etat-fir.xlsx"
    start, end = export.period
    number = f"etat-fir-{export.created:%Y%m%d}"
    period = f"Période du {start:%d/%m/%Y} au {end:%d/%m/%Y}"
    book, f = new_book(path)
    ws = book.add_worksheet("Par centre")
    ws.write_string(0, 0, TITLE, f["title"])
    ws.write_string(1, 0, period, f["bold"])
    ws.write_row(3, 0, CENTRE_HEADERS, f["head"])
    r = 3
    for r, c in enumerate(export.fir, start=4):
        ws.write_string(r, 0, c.centre.nom)
        ws.write_string(r, 1, c.centre.finess_geographique)
        ws.write_number(r, 2, c.no_rights.lines)
        ws.write_number(r, 3, float(c.no_rights.prix), f["money"])
        ws.write_number(r, 4, float(c.no_rights.fir), f["money"])
        ws.write_number(r, 5, c.others.lines)
        ws.write_number(r, 6, float(c.others.prix), f["money"])
        ws.write_number(r, 7, float(c.others.fir), f["money"])
        ws.write_number(r, 8, float(c.fir), f["money_bold"])
    ws.set_column(0, 0, xlsx_print.column_width("Centre", [c.centre.nom for c in export.fir]))
    ws.set_column(1, 8, 14)
    ws.set_row(3, 30)
    xlsx_print.setup(ws, f"{TITLE} – {period}", number, (3, 3), r, 8)
    detail = book.add_worksheet("Sans droits")
    detail.write_row(0, 0, LINE_HEADERS, f["head"])
    names = {c.centre.finess_geographique: c.centre.nom for c in export.fir}
    lines = export.no_rights_lines
    for r, row in enumerate(lines.itertuples(index=False), start=1):
        detail.write_string(r, 0, names[row.finess_geographique])
        detail.write_string(r, 1, hide_nirs(str(row.nom or "")))  # for finance: no NIR, even typed out of place
        detail.write_string(r, 2, hide_nirs(str(row.prenom or "")))
        detail.write_datetime(r, 3, row.date_administration.to_pydatetime(), f["date"])
        detail.write_string(r, 4, hide_nirs(str(row.vaccin or "")))
        detail.write_number(r, 5, int(row.prix_unitaire) / 100, f["money"])
        detail.write_number(r, 6, int(row.fir) / 100, f["money"])
    detail.set_column(0, 0, xlsx_print.column_width("Centre", list(names.values())))
    detail.set_column(1, 6, 16)
    xlsx_print.setup(detail, f"{TITLE} – lignes sans droits – {period}", number, (0, 0), len(lines), 6)
    book.close()
    totals = {"no_rights": add_sums([c.no_rights for c in export.fir]),
              "others": add_sums([c.others for c in export.fir])}
    totals["total"] = add_sums([totals["no_rights"], totals["others"]])
    departement = export.departement(export.fir[0].centre)
    page = folder / "etat-fir.html"
    page.write_text(render("fir.html.j2", centres=export.fir, eur=format_eur, created=export.created,
                           notices=export.notices, period=export.period, departement=departement, **totals),
                    encoding="utf-8")
    pdf = folder / "etat-fir.pdf"
    fir_pdf(export, departement, totals).output(str(pdf))
    return [path, page, pdf]
