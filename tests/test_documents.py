"""The documents a person prints, signs and deposits: the export's PDFs read back with pypdf, every workbook's print
settings read back with openpyxl, LISEZMOI's deposit order, and (where pdftoppm is installed) no table past the
margin on any page."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pypdf
import pytest
from PIL import Image
from typer.testing import CliRunner

from bordereau.reference.data import load_reference
from bordereau.samples import example_workbook
from cli import app

REF = load_reference()
LILLE = "590780102"
runner = CliRunner()


def invoke(*args, code: int = 0):
    result = runner.invoke(app, [*map(str, args)], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def pages_text(path: Path) -> list[str]:
    return [page.extract_text().replace("\u00a0", " ") for page in pypdf.PdfReader(path).pages]


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """An export of 120 lines of one centre (several PDF pages) and 20 of another caisse's centre."""
    folder = tmp_path_factory.mktemp("documents")
    for finess, lines, seed in ((LILLE, 120, 3), ("590780037", 20, 4)):
        example_workbook(folder / f"{finess}.xlsx", REF, REF.centre_by_finess[finess], dt.date(2026, 10, 1),
                         dt.date(2026, 10, 31), lines, seed, False, "standard")
    out = folder / "export"
    invoke("export", folder / f"{LILLE}.xlsx", folder / "590780037.xlsx", "--out", out, "--no-ledger",
           "--today", "2026-11-23")
    return out


def test_each_bordereau_pdf_has_its_header_lines_totals_and_signature_on_the_last_page(export: Path):
    folder = export / "595-lille-douai"
    [pdf] = folder.glob("HPV-*.pdf")
    workbook = openpyxl.load_workbook(pdf.with_suffix(".xlsx"))["Bordereau"]
    total = next(r for r in workbook.iter_rows(values_only=True) if r[0] == "TOTAL")[14]
    pages = pages_text(pdf)
    assert len(pages) >= 3  # 120 lines, landscape
    for i, text in enumerate(pages, start=1):
        assert f"Page {i} / {len(pages)}" in text and pdf.stem in text
        if "64,03 EUR" in text.split("Total à rembourser")[0]:  # a page of the table: its header, repeated
            assert "Prix unitaire" in text and "N° de" in text
    first, last = pages[0], pages[-1]
    centre = REF.centre_by_finess[LILLE]
    for expected in ("Département du Nord", centre.finess_juridique, centre.nom, centre.finess_geographique,
                     "du 01/10/2026 au 31/10/2026", pdf.stem, "595 - CPAM de Lille-Douai"):
        assert expected in first, expected
    amount = f"{total:,.2f}".replace(",", " ").replace(".", ",") + " EUR"
    assert f"Total à rembourser par la caisse : {amount}" in last
    assert "Certifié exact, daté, signé et cacheté" in last
    assert "TOTAL" in "".join(pages[-2:]) and amount in "".join(pages[-2:]).split("TOTAL")[1]
    assert "Certifié exact" not in "".join(pages[:-1])
    signatory = REF.departements["59"]
    assert signatory.signataire in last and "Directrice de la PMI" in last


def test_the_recap_pdf_names_who_certifies_and_what_goes_onto_petra(export: Path):
    folder = export / "595-lille-douai"
    [number] = [p.stem for p in folder.glob("HPV-*.pdf")]
    text = "\n".join(pages_text(folder / "recapitulatif-595.pdf"))
    assert "Département du Nord" in text and REF.centre_by_finess[LILLE].finess_juridique in text
    steps = ["1. recapitulatif-595.pdf", f"2. {number}.pdf", f"3. {number}.xlsx", "4. manifest.json"]
    positions = [text.index(s) for s in steps]
    assert positions == sorted(positions)
    assert "Certifié exact" in pages_text(folder / "recapitulatif-595.pdf")[-1]


def test_lisezmoi_and_the_recap_page_say_what_to_sign_and_deposit_in_order(export: Path):
    folder = export / "595-lille-douai"
    [number] = [p.stem for p in folder.glob("HPV-*.pdf")]
    text = (folder / "LISEZMOI.txt").read_text(encoding="utf-8")
    assert f"IMPRIMER ET SIGNER : recapitulatif-595.pdf, {number}.pdf." in text
    order = [text.index(f"{k}. {name} :") for k, name in enumerate(
        ("recapitulatif-595.pdf", f"{number}.pdf", f"{number}.xlsx", "manifest.json"), start=1)]
    assert order == sorted(order)
    page = (folder / "recapitulatif-595.html").read_text(encoding="utf-8")
    assert "Département du Nord" in page and "À signer : recapitulatif-595.pdf" in page
    assert "Camille EXEMPLE" in page


def test_the_fir_pdf_has_its_period_and_signature(export: Path):
    pages = pages_text(export / "FIR-departement" / "etat-fir.pdf")
    assert "Période du 01/10/2026 au 31/10/2026" in pages[0].replace("\n", " ")
    assert "Total à la charge du FIR" in pages[-1] and "Certifié exact" in pages[-1]


def test_every_workbook_of_the_export_prints_on_a4_one_page_wide_with_its_headers(export: Path):
    books = sorted(export.rglob("*.xlsx"))
    assert len(books) == 5  # two bordereaux, two recaps, the FIR statement
    for path in books:
        for ws in openpyxl.load_workbook(path).worksheets:
            where = f"{path.name}!{ws.title}"
            assert ws.page_setup.paperSize == 9, where
            assert ws.page_setup.fitToWidth in (None, 1), where  # 1, the default, is not written
            assert ws.page_setup.fitToHeight == 0, where
            assert ws.sheet_properties.pageSetUpPr.fitToPage, where
            assert ws.print_title_rows, where
            assert ws.print_area, where
            assert "&P / &N" in ws.oddFooter.right.text, where
            assert ws.oddHeader.right.text, where  # the document's number


def test_dose_numbers_are_numbers_and_labels_fit_their_columns(export: Path):
    [path] = (export / "595-lille-douai").glob("HPV-*.xlsx")
    ws = openpyxl.load_workbook(path)["Bordereau"]
    header = next(r for r in ws.iter_rows() if r[0].value == "N° de ligne")
    column = next(c.column_letter for c in header if c.value == "N° de dose")
    doses = [ws[f"{column}{r}"].value for r in range(header[0].row + 1, header[0].row + 6)]
    assert all(isinstance(d, int) for d in doses), doses
    assert ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == f"${header[0].row}:${header[0].row}"
    for cell in header:  # wrapped on two lines at most, never a word cut
        longest = max(len(w) for w in cell.value.split())
        assert ws.column_dimensions[cell.column_letter].width >= longest, cell.value
    label_width = ws.column_dimensions["A"].width
    assert label_width >= len("Centre de vaccination")


PDFTOPPM = shutil.which("pdftoppm")


def blank_margins(png: Path, margin_mm: float = 9) -> bool:
    """Whether the left and right bands of a page (narrower than the page's 12 mm margins) are blank."""
    image = Image.open(png).convert("L")
    band = round(image.width * margin_mm / 297) if image.width > image.height else round(image.width * margin_mm / 210)
    for x0, x1 in ((0, band), (image.width - band, image.width)):
        if image.crop((x0, 0, x1, image.height)).getextrema()[0] < 200:
            return False
    return True


@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) absent : .ci/run l'installe")
def test_no_pdf_page_runs_past_its_margins(export: Path, tmp_path: Path):
    errors = Path(__file__).resolve().parent.parent / "examples" / "sps-dunkerque-2026-10-erreurs.xlsx"
    invoke("audit", errors, "--cpam", "594", "--pdf", tmp_path / "rejets.pdf", "--today", "2026-11-23", code=1)
    pdfs = [*sorted(export.rglob("*.pdf")), tmp_path / "rejets.pdf"]  # long motives wrap in their column
    assert len(pdfs) == 6
    for pdf in pdfs:
        subprocess.run([PDFTOPPM, "-png", "-r", "40", str(pdf), str(tmp_path / pdf.stem)], check=True)
    pages = sorted(tmp_path.glob("*.png"))
    assert len(pages) >= 7
    for png in pages:
        assert blank_margins(png), png.name


@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) absent : .ci/run l'installe")
def test_the_margin_check_sees_a_table_past_the_margin(tmp_path: Path):
    from bordereau.render.pdf_layout import Document

    doc = Document("Essai", "ESSAI-1")
    doc.set_font("helvetica", size=9)
    doc.cell(doc.width + 20, 8, "un tableau trop large", border=1)
    doc.output(str(tmp_path / "large.pdf"))
    subprocess.run([PDFTOPPM, "-png", "-r", "40", str(tmp_path / "large.pdf"), str(tmp_path / "large")], check=True)
    [png] = tmp_path.glob("large*.png")
    assert not blank_margins(png)


def print_ready(ws) -> bool:
    return (ws.page_setup.paperSize == 9 and ws.page_setup.fitToHeight == 0 and bool(ws.print_title_rows)
            and bool(ws.print_area) and "&P / &N" in ws.oddFooter.right.text)


def test_the_other_workbooks_print_well_too(tmp_path: Path):
    examples = Path(__file__).resolve().parent.parent / "examples"
    errors = examples / "sps-dunkerque-2026-10-erreurs.xlsx"
    invoke("totals", examples, "--xlsx", tmp_path / "totaux.xlsx", "--today", "2026-11-23", code=1)
    invoke("check", errors, "--annotate", tmp_path / "annotes", "--today", "2026-11-23", code=1)
    invoke("export", examples, "--out", tmp_path / "export", "--skip-invalid", "--no-ledger", "--today", "2026-11-23",
           code=0)  # it exported what it could
    invoke("audit", errors, "--xlsx", tmp_path / "rejets.xlsx", "--no-ledger", "--today", "2026-11-23", code=1)
    sheets = [openpyxl.load_workbook(tmp_path / "totaux.xlsx")["Totaux"],
              openpyxl.load_workbook(next((tmp_path / "annotes").glob("*.xlsx")))["Anomalies"],
              *openpyxl.load_workbook(next((tmp_path / "export" / "a-corriger").glob("*.xlsx"))).worksheets,
              *openpyxl.load_workbook(tmp_path / "rejets.xlsx").worksheets]
    assert len(sheets) == 5
    for ws in sheets:
        assert print_ready(ws), ws.title
