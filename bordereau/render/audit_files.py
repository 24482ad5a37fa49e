"""The audit's files: the rejection statement the CPAM sends back (xlsx) and the self-contained HTML report.

The statement's sheet « Rejets » has the columns of bordereau/rejections.py, in that order, from its first row (the
ledger's `bordereau reject` reads them), then « Fichier » and « Cellule » for the agent; one row per rejected line;
a second sheet « Bordereaux » gives each bordereau's amounts and its anomalies as a whole. Text is always written as
text, never as a formula.
"""

from __future__ import annotations

from pathlib import Path

from ..audit import Audit
from ..audit_lines import OBSERVATION, REJECTED
from ..files import atomic_path
from ..findings import title
from ..money import format_eur
from ..rejections import COLUMNS, SHEET
from ..xlsx import Workbook
from .audit_json import statement_rows
from .html import render

MONEY = '#,##0.00 "€"'
EXTRA = (("fichier", "Fichier"), ("cellule", "Cellule"))
MAX_HTML_LINES = 5000
BORDEREAU_HEADERS = ("N° de bordereau", "Centre", "FINESS géographique", "Lignes", "Lignes rejetées",
                     "Montant réclamé", "Montant recalculé", "Montant accepté", "Montant refusé",
                     "Ligne de total déclarée", "Anomalies du bordereau")


def write_statement(path: Path, audit: Audit, inputs: tuple[Path, ...] = ()) -> None:
    with atomic_path(path, inputs) as temp:
        book = Workbook(str(temp), {"strings_to_formulas": False, "strings_to_numbers": False,
                                               "strings_to_urls": False})
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        money = book.add_format({"num_format": MONEY})
        _rejections(book.add_worksheet(SHEET), audit, head, money)
        _bordereaux(book.add_worksheet("Bordereaux"), audit, head, money)
        book.close()


def _rejections(ws, audit: Audit, head, money) -> None:
    keys = [*COLUMNS, *(k for k, _ in EXTRA)]
    ws.write_row(0, 0, [*(header for header, _ in COLUMNS.values()), *(label for _, label in EXTRA)], head)
    for r, row in enumerate(audit.rejections(), start=1):
        for c, key in enumerate(keys):
            value = row[key]
            if key == "montant":
                ws.write_number(r, c, float(value), money)
            elif isinstance(value, int):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))
    ws.set_column(0, 0, 32)
    ws.set_column(1, 1, 10)
    ws.set_column(2, 3, 28)
    ws.set_column(4, 4, 80)
    ws.set_column(5, 7, 16)
    ws.freeze_panes(1, 0)


def _bordereaux(ws, audit: Audit, head, money) -> None:
    ws.write_row(0, 0, BORDEREAU_HEADERS, head)
    for r, s in enumerate(audit.bordereaux, start=1):
        ws.write_string(r, 0, s.number)
        ws.write_string(r, 1, s.centre or "")
        ws.write_string(r, 2, s.finess_geographique or "")
        ws.write_number(r, 3, s.amounts.lines)
        ws.write_number(r, 4, s.amounts.rejected_lines)
        for c, part in enumerate(("claimed", "recomputed", "accepted", "rejected"), start=5):
            ws.write_number(r, c, float(getattr(s.amounts, part)), money)
        if s.claimed_total_row is not None:
            ws.write_number(r, 9, float(s.claimed_total_row), money)
        ws.write_string(r, 10, " ; ".join(f"{f.code} : {f.message}" for f in s.findings))
    ws.set_column(0, 0, 32)
    ws.set_column(1, 9, 16)
    ws.set_column(10, 10, 80)


def audit_report(audit: Audit) -> str:
    rejected, observed = statement_rows(audit, REJECTED), statement_rows(audit, OBSERVATION)
    return render("audit.html.j2", audit=audit, total=audit.total, eur=format_eur, title=title,
                  rejected=rejected[:MAX_HTML_LINES], rejected_more=max(0, len(rejected) - MAX_HTML_LINES),
                  observed=observed[:MAX_HTML_LINES], observed_more=max(0, len(observed) - MAX_HTML_LINES))
