"""`status --xlsx`: the finance officer's follow-up workbook. One row per bordereau (its state, amounts billed,
rejected, paid and outstanding, days since it was deposited), the totals per caisse, and the payments nothing
matched. Amounts are numbers, dates are dates; it prints on A4, one page wide."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bordereau.files import atomic_path
from bordereau.ledger.status import Status
from bordereau.render import xlsx_print
from bordereau.render.xlsx import Workbook

MONEY = '#,##0.00 "€"'
HEADERS = ("N° de bordereau", "CPAM", "Centre", "Période du", "au", "Déposé le", "Jours depuis le dépôt", "Lignes",
           "Facturé", "Rejeté", "Payé", "Reste dû", "État")
CPAM_HEADERS = ("CPAM", "Caisse", "Facturé", "Rejeté", "Payé", "Reste dû")
PAYMENT_HEADERS = ("N° de paiement", "Date", "Payeur", "Montant", "Libellé", "Fichier")


def _day(value) -> dt.datetime | None:
    if value is None or value != value:
        return None
    return dt.datetime.combine(value, dt.time())


def write_status(path: Path, status: Status, cpam_names: dict[str, str]) -> None:
    with atomic_path(path) as temp:
        book = Workbook(str(temp), {"strings_to_formulas": False, "strings_to_numbers": False,
                                               "strings_to_urls": False})
        f = {"title": book.add_format({"bold": True, "font_size": 14}), "bold": book.add_format({"bold": True}),
             "head": book.add_format({"bold": True, "text_wrap": True, "bg_color": "#DDEBF7", "border": 1}),
             "date": book.add_format({"num_format": "dd/mm/yyyy"}), "money": book.add_format({"num_format": MONEY}),
             "money_bold": book.add_format({"num_format": MONEY, "bold": True})}
        number = f"suivi-{status.today:%Y%m%d}"
        _bordereaux(book.add_worksheet("Bordereaux"), status, f, number)
        _cpams(book.add_worksheet("Par CPAM"), status, cpam_names, f, number)
        _payments(book.add_worksheet("Non rapprochés"), status, f, number)
        book.close()


def _bordereaux(ws, status: Status, f: dict, number: str) -> None:
    title = f"Suivi des bordereaux au {status.today:%d/%m/%Y}"
    ws.write_string(0, 0, title, f["title"])
    ws.write_row(2, 0, HEADERS, f["head"])
    frame = status.bordereaux
    r = 2
    for r, b in enumerate(frame.itertuples(), start=3):
        ws.write_string(r, 0, b.number)
        ws.write_string(r, 1, b.cpam)
        ws.write_string(r, 2, b.centre)
        for c, value in ((3, b.period_start), (4, b.period_end), (5, b.deposited_on)):
            if (day := _day(value)) is not None:
                ws.write_datetime(r, c, day, f["date"])
        if b.days == b.days:
            ws.write_number(r, 6, int(b.days))
        ws.write_number(r, 7, int(b.lines))
        for c, part in enumerate(("total", "rejected", "paid", "outstanding"), start=8):
            ws.write_number(r, c, int(getattr(b, part)) / 100, f["money"])
        ws.write_string(r, 12, b.state)
    r += 1
    ws.write_string(r, 0, "TOTAL", f["bold"])
    ws.write_number(r, 7, int(frame["lines"].sum()) if len(frame) else 0, f["bold"])
    for c, part in enumerate(("total", "rejected", "paid", "outstanding"), start=8):
        ws.write_number(r, c, (int(frame[part].sum()) if len(frame) else 0) / 100, f["money_bold"])
    ws.set_column(0, 0, 32)
    ws.set_column(1, 1, 6)
    ws.set_column(2, 2, xlsx_print.column_width("Centre", list(frame["centre"])))
    ws.set_column(3, 5, 11)
    ws.set_column(6, 6, 12)
    ws.set_column(7, 7, 8)
    ws.set_column(8, 11, 14)
    ws.set_column(12, 12, 11)
    ws.set_row(2, 30)
    ws.freeze_panes(3, 0)
    xlsx_print.setup(ws, title, number, (2, 2), r, len(HEADERS) - 1)


def _cpams(ws, status: Status, names: dict[str, str], f: dict, number: str) -> None:
    ws.write_row(0, 0, CPAM_HEADERS, f["head"])
    r = 0
    for r, c in enumerate(status.by_cpam().itertuples(), start=1):
        ws.write_string(r, 0, c.cpam)
        ws.write_string(r, 1, names.get(c.cpam, ""))
        for k, part in enumerate(("total", "rejected", "paid", "outstanding"), start=2):
            ws.write_number(r, k, int(getattr(c, part)) / 100, f["money"])
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, xlsx_print.column_width("Caisse", list(names.values())))
    ws.set_column(2, 5, 14)
    xlsx_print.setup(ws, f"Suivi par caisse au {status.today:%d/%m/%Y}", number, (0, 0), r, 5, landscape=False)


def _payments(ws, status: Status, f: dict, number: str) -> None:
    ws.write_row(0, 0, PAYMENT_HEADERS, f["head"])
    r = 0
    for r, p in enumerate(status.unmatched, start=1):
        ws.write_number(r, 0, p.id)
        ws.write_datetime(r, 1, _day(p.paid_on), f["date"])
        ws.write_string(r, 2, p.payer)
        ws.write_number(r, 3, p.amount / 100, f["money"])
        ws.write_string(r, 4, p.label)
        ws.write_string(r, 5, p.source)
    ws.set_column(0, 1, 11)
    ws.set_column(2, 2, xlsx_print.column_width("Payeur", [p.payer for p in status.unmatched]))
    ws.set_column(3, 3, 14)
    ws.set_column(4, 4, xlsx_print.column_width("Libellé", [p.label for p in status.unmatched]))
    ws.set_column(5, 5, 20)
    xlsx_print.setup(ws, f"Paiements non rapprochés au {status.today:%d/%m/%Y}", number, (0, 0), r, 5)
