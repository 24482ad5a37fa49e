"""The audit's files: the rejection statement the CPAM sends back to the Département (xlsx and PDF, with its « bon à
payer ») and the self-contained HTML report.

The statement's sheet « Rejets » opens with a title block (the caisse, who billed, the date), then the table with the
columns of bordereau/rejections.py, in that order (the ledger's `bordereau reject` finds them by their headers), then
« Fichier » (the bordereau's file name, never a local path) and « Cellule »; one row per rejected line, the CPAM's
motive rather than advice to a centre. An empty row ends the table: the total and the signature block follow. A second
sheet « Bordereaux » is the bon à payer: each bordereau's amounts claimed, accepted and refused. Text is always
written as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bordereau.audit.lines import OBSERVATION, REJECTED
from bordereau.audit.model import Audit
from bordereau.audit.rows import rejections, statement_rows
from bordereau.files import atomic_path
from bordereau.findings import title
from bordereau.money import format_eur
from bordereau.rejection_motives import motive
from bordereau.rejections import COLUMNS, SHEET
from bordereau.render import xlsx_print
from bordereau.render.html import render
from bordereau.render.xlsx import Workbook

MONEY = '#,##0.00 "€"'
EXTRA = (("fichier", "Fichier"), ("cellule", "Cellule"))
MAX_HTML_LINES = 5000
BORDEREAU_HEADERS = ("N° de bordereau", "Centre", "FINESS géographique", "Lignes", "Lignes rejetées",
                     "Montant réclamé", "Montant recalculé", "Montant accepté", "Montant refusé",
                     "Ligne de total déclarée", "Anomalies du bordereau")
TITLE = "État des rejets – Bordereaux de vaccination HPV au collège"
MOTIVE_WIDTH = 70


def statement_number(audit: Audit) -> str:
    return f"REJETS-{audit.cpam or 'CPAM'}-{audit.today:%Y%m%d}"


def caisse(audit: Audit, reference) -> str:
    if audit.cpam and reference is not None and audit.cpam in reference.cpams:
        return f"{audit.cpam} – {reference.cpams[audit.cpam].nom}"
    return audit.cpam or "caisse non précisée (--cpam)"


def departement(audit: Audit, reference) -> str:
    """Who billed: the Département of the audited centres."""
    if reference is None:
        return "Le Département"
    codes = {reference.centre_by_finess[s.finess_geographique].departement for s in audit.bordereaux
             if s.finess_geographique in reference.centre_by_finess}
    names = sorted(reference.departements[c].raison_sociale for c in codes if c in reference.departements)
    return ", ".join(names) or "Le Département"


def departement_rows(audit: Audit) -> list[dict]:
    """The statement's rows, as the Département reads them: the caisse's motive, the file's name only."""
    return [{**row, "motif": motive(row["code"], [row["motif"]]), "fichier": Path(row["fichier"]).name}
            for row in rejections(audit)]


def write_statement(path: Path, audit: Audit, inputs: tuple[Path, ...] = (), reference=None) -> None:
    with atomic_path(path, inputs) as temp:
        book = Workbook(str(temp), {"strings_to_formulas": False, "strings_to_numbers": False,
                                               "strings_to_urls": False})
        f = {"head": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
             "money": book.add_format({"num_format": MONEY}), "wrap": book.add_format({"text_wrap": True}),
             "bold": book.add_format({"bold": True}), "title": book.add_format({"bold": True, "font_size": 14}),
             "date": book.add_format({"num_format": "dd/mm/yyyy", "align": "left"}),
             "money_bold": book.add_format({"num_format": MONEY, "bold": True})}
        _rejections(book.add_worksheet(SHEET), audit, f, reference)
        _bordereaux(book.add_worksheet("Bordereaux"), audit, f)
        book.close()


def _rejections(ws, audit: Audit, f: dict, reference) -> None:
    ws.write_string(0, 0, TITLE, f["title"])
    block = (("Caisse", caisse(audit, reference)), ("Destinataire", departement(audit, reference)),
             ("Bordereaux contrôlés", ", ".join(s.number for s in audit.bordereaux)))
    for r, (label, value) in enumerate(block, start=1):
        ws.write_string(r, 0, label, f["bold"])
        ws.write_string(r, 1, value)
    ws.write_string(4, 0, "Date du contrôle", f["bold"])
    ws.write_datetime(4, 1, dt.datetime.combine(audit.today, dt.time()), f["date"])
    head = 6
    keys = [*COLUMNS, *(k for k, _ in EXTRA)]
    ws.write_row(head, 0, [*(header for header, _ in COLUMNS.values()), *(label for _, label in EXTRA)], f["head"])
    rows = departement_rows(audit)
    for r, row in enumerate(rows, start=head + 1):
        for c, key in enumerate(keys):
            value = row[key]
            if key == "montant":
                ws.write_number(r, c, float(value), f["money"])
            elif isinstance(value, int):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value), f["wrap"] if key == "motif" else None)
        if height := xlsx_print.wrapped_height(row["motif"], MOTIVE_WIDTH):
            ws.set_row(r, height)
    last = head + len(rows) + 2  # after an empty row: the table has ended
    ws.write_string(last, 0, f"Total refusé : {len(rows)} ligne(s)", f["bold"])
    ws.write_number(last, 5, float(audit.total.rejected), f["money_bold"])
    ws.write_string(last + 2, 0, "Pour la caisse, l'agent habilité : daté, signé et cacheté", f["bold"])
    ws.write_string(last + 3, 0, "Fait à ……………………………, le ……………………")
    ws.write_string(last + 4, 0, "Nom, qualité :")
    for c, key in enumerate(keys[:4]):
        ws.set_column(c, c, xlsx_print.column_width(COLUMNS[key][0], [row[key] for row in rows]))
    ws.set_column(0, 0, max(32, xlsx_print.column_width("", [row["bordereau"] for row in rows])))
    ws.set_column(4, 4, MOTIVE_WIDTH)
    ws.set_column(5, 5, 14)
    ws.set_column(6, 6, xlsx_print.column_width("Fichier", [row["fichier"] for row in rows]))
    ws.set_column(7, 7, 14)
    ws.set_row(head, 30)
    ws.freeze_panes(head + 1, 0)
    xlsx_print.setup(ws, TITLE, statement_number(audit), (head, head), last + 6, len(keys) - 1)


def _bordereaux(ws, audit: Audit, f: dict) -> None:
    ws.write_string(0, 0, f"Bon à payer – contrôle du {audit.today:%d/%m/%Y}", f["title"])
    head = 2
    ws.write_row(head, 0, BORDEREAU_HEADERS, f["head"])
    r = head
    for r, s in enumerate(audit.bordereaux, start=head + 1):
        ws.write_string(r, 0, s.number)
        ws.write_string(r, 1, s.centre or "")
        ws.write_string(r, 2, s.finess_geographique or "")
        ws.write_number(r, 3, s.amounts.lines)
        ws.write_number(r, 4, s.amounts.rejected_lines)
        for c, part in enumerate(("claimed", "recomputed", "accepted", "rejected"), start=5):
            ws.write_number(r, c, float(getattr(s.amounts, part)), f["money"])
        if s.claimed_total_row is not None:
            ws.write_number(r, 9, float(s.claimed_total_row), f["money"])
        text = " ; ".join(f"{x.code} : {motive(x.code, [x.message])}" for x in s.findings)
        ws.write_string(r, 10, text, f["wrap"])
        if height := xlsx_print.wrapped_height(text, 60):
            ws.set_row(r, height)
    total = audit.total
    r += 1
    ws.write_string(r, 0, "TOTAL", f["bold"])
    ws.write_number(r, 3, total.lines, f["bold"])
    ws.write_number(r, 4, total.rejected_lines, f["bold"])
    for c, part in enumerate(("claimed", "recomputed", "accepted", "rejected"), start=5):
        ws.write_number(r, c, float(getattr(total, part)), f["money_bold"])
    ws.write_string(r + 2, 0, f"Bon à payer : {format_eur(total.accepted)}", f["bold"])
    ws.set_column(0, 0, 32)
    ws.set_column(1, 1, xlsx_print.column_width("Centre", [s.centre or "" for s in audit.bordereaux]))
    ws.set_column(2, 9, 14)
    ws.set_column(10, 10, 60)
    ws.set_row(head, 30)
    xlsx_print.setup(ws, "Bon à payer", statement_number(audit), (head, head), r + 2, 10)


def audit_report(audit: Audit) -> str:
    rejected, observed = statement_rows(audit, REJECTED), statement_rows(audit, OBSERVATION)
    return render("audit.html.j2", audit=audit, total=audit.total, eur=format_eur, title=title,
                  rejected=rejected[:MAX_HTML_LINES], rejected_more=max(0, len(rejected) - MAX_HTML_LINES),
                  observed=observed[:MAX_HTML_LINES], observed_more=max(0, len(observed) - MAX_HTML_LINES))
