"""End to end, as the people who use the documents: the Département exports and gets PDFs to sign, the CPAM audits
and sends back its rejection statement (PDF and workbook), the Département imports it with `reject`, and the finance
officer's follow-up workbook (`status --xlsx`) shows where each bordereau stands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pypdf
from test_ledger import db, invoke, workbook  # noqa: F401  (fixtures)


def text(path: Path) -> list[str]:
    return [page.extract_text().replace("\u00a0", " ") for page in pypdf.PdfReader(path).pages]


def test_export_pdf_audit_rejection_reject_and_follow_up(db, ref, tmp_path: Path):
    source = workbook(ref, tmp_path / "lille.xlsx", [(n, dt.date(2026, 10, 5), 1) for n in range(6)],
                      start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    invoke("export", source, "--out", tmp_path / "export")
    folder = tmp_path / "export" / "595-lille-douai"
    [pdf] = folder.glob("HPV-*.pdf")
    number = pdf.stem
    assert "Certifié exact, daté, signé et cacheté" in text(pdf)[-1]
    invoke("sent", number, "--on", "2026-11-23")

    # the caisse receives the files; one line's price was changed on the way: the audit refuses that line
    sheet = openpyxl.load_workbook(pdf.with_suffix(".xlsx"))
    ws = sheet["Bordereau"]
    head = next(r[0].row for r in ws.iter_rows() if r[0].value == "N° de ligne")
    price = next(c.column for c in ws[head] if c.value == "Prix unitaire TTC")
    ws.cell(head + 2, price).value = 120.0
    sheet.save(pdf.with_suffix(".xlsx"))
    statement, signed = tmp_path / "rejets-595.xlsx", tmp_path / "rejets-595.pdf"
    invoke("audit", folder, "--cpam", "595", "--xlsx", statement, "--pdf", signed, "--today", "2026-11-30", code=1)

    pages = text(signed)
    first, last = pages[0], pages[-1]
    assert "État des rejets" in first and "595 - CPAM de Lille-Douai" in first and "Département du Nord" in first
    assert "30/11/2026" in first and f"Page 1 / {len(pages)}" in first
    assert "Prix facturé supérieur au prix public TTC" in first
    assert "/" + tmp_path.name not in "".join(pages)  # no local path
    assert "Bon à payer : 320,15 EUR (réclamé 384,18 EUR, refusé 64,03 EUR)." in last
    assert "Pour la caisse, l'agent habilité" in last

    cells = [v for r in openpyxl.load_workbook(statement)["Rejets"].iter_rows(values_only=True) for v in r if v]
    assert "État des rejets – Bordereaux de vaccination HPV au collège" in cells
    assert "595 – CPAM de Lille-Douai" in cells and "Département du Nord" in cells
    assert not any(str(tmp_path) in str(v) for v in cells)
    assert not any("vérifiez" in str(v) for v in cells)

    # the Département imports the statement: the refused line leaves what is due
    result = invoke("reject", statement, "--today", "2026-12-01")
    assert "1 ligne(s) rejetée(s) enregistrée(s)" in result.stdout
    follow_up = tmp_path / "suivi.xlsx"
    invoke("status", "--xlsx", follow_up, "--today", "2026-12-10")
    [row] = [r for r in openpyxl.load_workbook(follow_up)["Bordereaux"].iter_rows(min_row=4, values_only=True)
             if r[0] == number]
    assert row[1:3] == ("595", "SPS de Lille") and row[5] == dt.datetime(2026, 11, 23) and row[6] == 17
    assert row[7:] == (6, 384.18, 64.03, 0, 320.15, "impayé")
    status = json.loads(invoke("status", "--json", "--today", "2026-12-10").stdout)
    assert status["bordereaux"][0]["outstanding"] == "320.15"


def test_the_follow_up_workbook_prints_well_and_lists_unmatched_payments(db, ref, tmp_path: Path):
    invoke("export", workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1)], start=dt.date(2026, 10, 1),
                              end=dt.date(2026, 10, 31)), "--out", tmp_path / "e")
    statement = tmp_path / "releve.csv"
    statement.write_text("Date;Payeur;Montant;Libellé\n06/11/2026;MAIRIE;12,00;SUBVENTION\n", encoding="utf-8")
    invoke("reconcile", statement, code=1)
    path = tmp_path / "suivi.xlsx"
    invoke("status", "--xlsx", path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Bordereaux", "Par CPAM", "Non rapprochés"]
    assert [r[2:4] for r in book["Non rapprochés"].iter_rows(min_row=2, values_only=True)] == [("MAIRIE", 12.0)]
    for ws in book.worksheets:
        assert ws.page_setup.paperSize == 9 and ws.page_setup.fitToHeight == 0 and ws.print_title_rows, ws.title
        assert "&P / &N" in ws.oddFooter.right.text and ws.oddHeader.right.text.startswith("suivi-"), ws.title
