"""« Page i / n » in the PDF documents' footers: fpdf2 keeps n the room of three digits; a document of 1,000 pages or
more (a bordereau of some 40,000 lines) has its footers laid out again for n's own digits, so that they end at the
right margin as those of a smaller document do, and read right."""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings

import pypdf
import pytest

from bordereau import clock
from bordereau.render.pdf_layout import Column, Document
from bordereau.render.pdf_replay import Replay
from bordereau.render.pdf_text import FONT, text_width

FOOTER = re.compile(rb"BT ([\d.]+) [\d.]+ Td 0.3529 g \(Page (\d+) / \) Tj \((\d+)\) Tj ET Q\n$")


def _pages(pages: int, landscape: bool = False) -> tuple[Document, list[pypdf.PageObject]]:
    doc = Document("Bordereau de facturation", "HPV-595-590780102-20261123-1", landscape=landscape)
    for _ in range(pages - 1):
        doc.add_page()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fpdf2 warns when n is wider than the room it kept
        data = bytes(doc.output())
    return doc, pypdf.PdfReader(io.BytesIO(data)).pages


@pytest.mark.parametrize("pages", [7, 999, 1203])
def test_each_footer_reads_page_i_of_n_and_ends_inside_the_right_margin(pages: int):
    doc, read = _pages(pages)
    assert len(read) == pages
    right = (doc.w - doc.r_margin - doc.c_margin) * doc.k  # where a right-aligned cell's text ends (pt)
    for i, page in enumerate(read, start=1):
        if i % 97 == 1 or i == pages:  # pypdf's reading of the page, on some of them (it is slow)
            assert page.extract_text().splitlines()[-1].endswith(f"Page {i} / {pages}")
        x, number, total = FOOTER.search(page.get_contents().get_data()).groups()
        assert (int(number), int(total)) == (i, pages)
        end = float(x) + text_width(f"Page {i} / {pages}", 7.5) * doc.k
        # fpdf2 keeps three digits for n: a shorter n leaves their room empty, a longer one is given its own
        room = text_width("000", 7.5) - text_width(str(pages), 7.5) if pages < 100 else 0
        assert end == pytest.approx(right - room * doc.k, abs=0.006)


def _book(pages: int, kind: type[Document] = Document) -> Document:
    """A document of `pages` pages whose states differ from one page to the next, as a long table's do."""
    doc = kind("Titre", "HPV-1", landscape=True)
    doc.grid([Column("N°", "R"), Column("Montant", "R")], [[str(i), f"{i},00 €"] for i in range(60)], bold_last=True)
    for i in range(pages - doc.pages_count):
        doc.add_page()
        doc.set_draw_color(i % 200)
        doc.paragraph(f"page {i} « été »", bold=i % 2 == 0)
        if i % 10 == 0:  # a text measured at the foot of the page: fpdf2 tries a page break (and a footer) on it
            doc.set_y(doc.page_break_trigger - 2)
            doc.multi_cell(40, 5, "un texte mesuré sur plusieurs lignes " * 4, dry_run=True, output="LINES")
            doc.set_y(doc.page_break_trigger - 20)
            doc.paragraph("après")
    return doc


class InPlace(Document):
    """The footer as it was before: « Page i / n » drawn at once, in fpdf2's `{nb}` (the room of three digits)."""

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, size=7.5)
        self.set_text_color(90)
        self.cell(self.width / 2, 4, self.doc_number)
        self.cell(self.width / 2, 4, f"Page {self.page_no()} / {{nb}}", align="R")
        self.set_text_color(0)


@pytest.mark.parametrize("pages", [999, 1010])
def test_only_the_footers_x_of_a_document_of_1000_pages_or_more_changes(pages: int, monkeypatch):
    """« Page i / n » drawn when the document closes: the same bytes as drawn at once below 1,000 pages; from 1,000
    on, every byte of each page as it was but the x of « Page i / n », moved left by n's extra digits."""
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 11, 23, 10))
    mine = bytes(_book(pages).output())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before = bytes(_book(pages, InPlace).output())
    if pages < 1000:
        assert mine == before
        return
    shift = (text_width(str(pages), 7.5) - text_width("000", 7.5)) * Document("", "").k
    read, theirs = pypdf.PdfReader(io.BytesIO(mine)).pages, pypdf.PdfReader(io.BytesIO(before)).pages
    assert len(read) == len(theirs) == pages
    for new, old in zip(read, theirs, strict=True):
        a, b = new.get_contents().get_data(), old.get_contents().get_data()
        assert FOOTER.sub(b"", a) == FOOTER.sub(b"", b) != a
        assert float(FOOTER.search(a)[1]) == pytest.approx(float(FOOTER.search(b)[1]) - shift, abs=0.006)


def test_headers_footers_and_table_headers_written_again_are_the_bytes_fpdf2_writes(monkeypatch):
    """pdf_replay writes a block's bytes again when fpdf2's state is the one of its last run: the whole file is the
    one fpdf2 makes running every block (tables over many pages, wrapped cells, colours and fonts changing)."""
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 11, 23, 10))
    rows = [[str(i), "Zoé « été » " * (i % 9 == 0) * 6 + f"n° {i}", f"{i},00 €"] for i in range(2500)]

    def document() -> bytes:
        doc = _book(40)
        doc.grid([Column("N°", "R"), Column("Nom d'une colonne assez longue"), Column("Montant", "R")], rows,
                 bold_last=True)
        doc.fields([("Structure", "Département du Nord " * 3), ("FINESS", "590000000")])
        doc.grid([Column("Autre"), Column("Table", "C")], [[f"a{i}", "b"] for i in range(400)])
        doc.signature("Certifié exact", "Jeanne", "Directrice", ["une ligne"], lead="Total")
        return bytes(doc.output())

    mine = document()
    monkeypatch.setattr(Replay, "run", lambda self, doc, name, draw: draw())
    assert mine == document()


def test_rows_told_to_fit_on_one_line_are_those_whose_every_cell_fits():
    """Grid._one_line measures each distinct text of a column once: the same answer as every cell measured."""
    from bordereau.render.pdf_grid import PAD, Grid

    doc = Document("Titre", "HPV-1")
    texts = ["", "a", "Zoé", "MARTIN-DUPONT DE LA FONTAINE", "64,03 EUR", "x" * 40, "2", "1 234,56 EUR"]
    rows = [[texts[(n * 7 + c * 3) % len(texts)] if n % 5 else texts[c] for c in range(4)] for n in range(300)]
    grid = Grid(doc, [Column("a")] * 4, [9.0, 14.0, 30.0, 60.0], 7.5, (0, 0, 0), (0, 0, 0))
    every = [all(text_width(t, 7.5) <= w - 2 * PAD for t, w in zip(row, grid.widths, strict=True)) for row in rows]
    assert grid._one_line(rows) == every and 0 < sum(every) < len(rows)
    assert grid._one_line([]) == []


def test_a_bordereau_s_rows_are_each_cell_shown_then_made_printable():
    """pdf_bordereau.rows shows and converts each distinct value once (once_each): the same texts as every cell
    formatted, then pdf_text.latin of each, on hostile values (letters beyond latin-1, NaN, NaT, None, mixed types)."""
    from decimal import Decimal
    from types import SimpleNamespace

    import pandas as pd

    from bordereau.reference.data import COVERAGE_LABELS
    from bordereau.render.pdf_bordereau import FIELDS, day, eur, rows, text
    from bordereau.render.pdf_text import latin

    names = ["Łukasz", "Zoë", "Œdipe – « œ »", None, float("nan"), 12, "MARTIN", "Zoë"]
    n = 40
    lines = pd.DataFrame({
        "nom": [names[i % len(names)] for i in range(n)], "prenom": [names[(i * 3) % len(names)] for i in range(n)],
        "nir": ["2130559" + f"{i:08d}" for i in range(n)],
        "date_naissance": [pd.Timestamp(2013, 1 + i % 12, 1) if i % 7 else pd.NaT for i in range(n)],
        "code_regime": ["01", "02", None][:1] * n, "prise_en_charge": ["droit_commun", "c2s", "inconnu", None] * 10,
        "vaccin": ["Gardasil 9"] * n, "code_vaccin": ["3400930056202"] * n,
        "date_administration": [pd.Timestamp(2025, 10, 1 + i % 28) for i in range(n)],
        "dose": [1, 2, "2 bis", None] * 10, "prix_unitaire": [9850] * n, "amo": [6403, 0] * 20,
        "complementaire": [3447, 0] * 20, "total": [9850, 6403] * 20})
    sums = SimpleNamespace(prix=Decimal("3940.00"), amo=Decimal("1280.60"), complementaire=Decimal("689.40"),
                           total=Decimal("3221.30"))
    shown = rows(SimpleNamespace(lines=lines, sums=sums))
    show = {"date_naissance": day, "date_administration": day, "prix_unitaire": eur, "amo": eur,
            "complementaire": eur, "total": eur, "prise_en_charge": lambda v: COVERAGE_LABELS.get(v, "")}
    expected = [[str(i + 1), *(latin(show.get(f, text)(lines[f].iloc[i])) for f in FIELDS)] for i in range(n)]
    assert shown[:-1] == expected
    assert shown[-1] == [latin(t) for t in ("", "TOTAL", *[""] * 9, eur(sums.prix), eur(sums.amo),
                                            eur(sums.complementaire), eur(sums.total))]
