"""The totals table as a workbook for the finance team."""

from __future__ import annotations

from pathlib import Path

from bordereau.files import atomic_path
from bordereau.price.totals import PARTS, Totals
from bordereau.render import xlsx_print
from bordereau.render.terminal import BY_LABELS
from bordereau.render.xlsx import Workbook

HEADERS = ("Lignes", "Prix", "AMO", "Complémentaire", "Total CPAM", "FIR")


def write_totals(path: Path, totals: Totals, inputs: tuple[Path, ...] = ()) -> None:
    with atomic_path(path, inputs) as temp:
        book = Workbook(str(temp), {"strings_to_formulas": False, "strings_to_numbers": False,
                                    "strings_to_urls": False})
        ws = book.add_worksheet("Totaux")
        bold = book.add_format({"bold": True})
        money = book.add_format({"num_format": '#,##0.00 "€"'})
        money_bold = book.add_format({"num_format": '#,##0.00 "€"', "bold": True})
        ws.write_row(0, 0, ("Code", BY_LABELS[totals.by], *HEADERS), bold)
        row = 0
        for row, g in enumerate(totals.groups, start=1):
            ws.write_string(row, 0, g.key)
            ws.write_string(row, 1, g.label)
            ws.write_number(row, 2, g.sums.lines)
            for c, part in enumerate(PARTS, start=3):
                ws.write_number(row, c, float(getattr(g.sums, part)), money)
        row += 1
        ws.write_string(row, 1, "Total", bold)
        ws.write_number(row, 2, totals.total.lines, bold)
        for c, part in enumerate(PARTS, start=3):
            ws.write_number(row, c, float(getattr(totals.total, part)), money_bold)
        if totals.excluded_lines:
            ws.write_string(row + 2, 0, f"{totals.excluded_lines} ligne(s) en erreur exclue(s) des totaux")
        ws.set_column(0, 0, 10)
        ws.set_column(1, 1, xlsx_print.column_width(BY_LABELS[totals.by], [g.label for g in totals.groups]))
        ws.set_column(2, 8, 15)
        xlsx_print.setup(ws, f"Totaux par {BY_LABELS[totals.by].lower()}", Path(path).stem, (0, 0), row + 2, 8,
                         landscape=False)
        book.close()
