"""The shared layout of the PDF documents (fpdf2, pure Python): A4, a running header with the document's title and
number, « Page i / n » in the footer, tables whose header repeats on every page and whose columns are sized to fit
the page (long values wrap, nothing is cut), and the signature block, kept whole on the last page.

« Page i / n »: fpdf2 writes n where its alias `{nb}` stood, in the room of three digits, and a document of 1,000 pages
or more ran a digit or more past the right margin. Each page's « Page i / n » is now drawn when the document is closed
and n known (`Document._number_pages`): in the room of n's own digits from 1,000 pages on, so that it ends at the
right margin like the others; below, exactly as before.

Texts come from templates/documents.yaml (found through the templates' loader, like the HTML pages).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from bordereau import __version__, clock
from bordereau.files import atomic_path
from bordereau.render.pdf_grid import Grid
from bordereau.render.pdf_replay import Replay
from bordereau.render.pdf_text import FONT, latin, latin_rows, text_width

HEAD_FILL = (221, 235, 247)
TOTAL_FILL = (242, 242, 242)
MARGIN = 12  # mm, left and right
@functools.cache
def texts() -> dict:
    """templates/documents.yaml, through the same loader as the HTML templates."""
    from bordereau.render.html import data

    return data("documents.yaml")


@dataclass(frozen=True)
class Column:
    header: str
    align: str = "L"  # L, R, C
    min_mm: float = 10.0


class Document(FPDF):
    """An A4 document with a running header and footer."""

    def __init__(self, title: str, number: str, landscape: bool = False):
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.doc_title, self.doc_number = latin(title), latin(number)
        self.set_margins(MARGIN, 16, MARGIN)
        self.set_auto_page_break(True, margin=16)
        self.set_title(self.doc_title)
        self.set_creator(f"bordereau {__version__}")
        self.set_creation_date(clock.now().astimezone())
        # per page: where its « Page i / n » goes, and fpdf2's state there. A page's last footer is its own: fpdf2
        # also calls footer() when it measures a text that would break the page (multi_cell's dry run), and then
        # writes nothing
        self._page_marks: dict[int, tuple] = {}
        self._closing = False
        self._replay = Replay()  # the running header and footer, written again from page to page (pdf_replay)
        self.add_page()

    @property
    def width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def header(self) -> None:
        self._replay.run(self, "header", self._header)

    def _header(self) -> None:
        self.set_font(FONT, size=7.5)
        self.set_text_color(90)
        self.set_y(8)
        self.cell(self.width * 0.7, 4, self.doc_title, new_x="RIGHT")
        self.cell(self.width * 0.3, 4, self.doc_number, align="R")
        self.set_draw_color(180)
        self.line(self.l_margin, 12.5, self.w - self.r_margin, 12.5)
        self.set_text_color(0)
        self.set_y(16)

    def footer(self) -> None:
        self._replay.run(self, "footer", self._footer)
        # « Page i / n » is written when the document is closed, last on each page, from fpdf2's state of now
        self._page_marks[self.page] = (self.x, self.y, self._get_current_graphics_state())
        self.set_text_color(0)
        if self._closing:  # the last page's footer, drawn by output()
            self._number_pages()

    def _footer(self) -> None:
        """The footer up to « Page i / n »: the same on every page."""
        self.set_y(-11)
        self.set_font(FONT, size=7.5)
        self.set_text_color(90)
        self.cell(self.width / 2, 4, self.doc_number)

    def output(self, *args, **kwargs):
        self._closing = not self.buffer  # output() draws the last footer, then puts n in place of the alias
        try:
            return super().output(*args, **kwargs)
        finally:
            self._closing = False

    def _number_pages(self) -> None:
        """Every page's « Page i / n », right-aligned, at the end of its content, as fpdf2 would have drawn it at the
        end of its footer (the same bytes, tests/test_pdf_pages.py). n is fpdf2's alias, given the room of three
        digits below 1,000 pages (fpdf2's own `{nb}`: those documents are as they were), else the room of its own
        digits (fpdf2 keeps one digit per character of an alias other than `{nb}`)."""
        digits = len(str(self.pages_count))
        alias = "{nb}" if digits <= 3 else "{" + "N" * (digits - 2) + "}"
        page_now, x_now, y_now, state_now = self.page, self.x, self.y, self._get_current_graphics_state()
        self.str_alias_nb_pages = alias
        try:
            for page, (x, y, state) in self._page_marks.items():
                if page > self.pages_count:  # a page fpdf2 only measured, then took back
                    continue
                self.page = page
                # footers fpdf2 only measured (multi_cell's dry run at a page break) left aliases that are not in
                # the page: they go (fpdf2 would only warn about them)
                content = self.pages[page]
                kept = content.get_text_substitutions()
                kept[:] = [f for f in kept if f.get_placeholder_string().encode() in content.contents]
                self._pop_local_stack()
                self._push_local_stack(state.copy())
                self.set_xy(x, y)
                self.cell(self.width / 2, 4, f"Page {page} / {alias}", align="R")
        finally:
            self.str_alias_nb_pages = "{nb}"
            self.page = page_now
            self._pop_local_stack()
            self._push_local_stack(state_now)
            self.set_xy(x_now, y_now)

    # -- content -------------------------------------------------------------------------------------------------

    def title_block(self, title: str, subtitle: str = "") -> None:
        self.set_font(FONT, "B", 13)
        self.multi_cell(self.width, 6, latin(title), new_x="LMARGIN", new_y="NEXT")
        if subtitle:
            self.set_font(FONT, size=8.5)
            self.multi_cell(self.width, 4.5, latin(subtitle), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def heading(self, text: str) -> None:
        if self.will_page_break(16):
            self.add_page()
        self.ln(2)
        self.set_font(FONT, "B", 10.5)
        self.multi_cell(self.width, 5.5, latin(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def paragraph(self, text: str, size: float = 9, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(self.width, size * 0.5, latin(text), new_x="LMARGIN", new_y="NEXT")

    def fields(self, pairs: Sequence[tuple[str, str]], columns: int = 2) -> None:
        """Label: value pairs, `columns` per row."""
        cell = self.width / columns
        label_w = min(48.0, cell * 0.42)
        for start in range(0, len(pairs), columns):
            row = pairs[start:start + columns]
            heights = []
            for _, value in row:
                self.set_font(FONT, size=8.5)
                lines = len(self.multi_cell(cell - label_w - 2, 4.5, latin(value), dry_run=True, output="LINES"))
                heights.append(max(1, lines) * 4.5)
            height = max(heights)
            if self.will_page_break(height):
                self.add_page()
            y = self.get_y()
            for k, (label, value) in enumerate(row):
                x = self.l_margin + k * cell
                self.set_xy(x, y)
                self.set_font(FONT, "B", 8.5)
                self.multi_cell(label_w, 4.5, latin(label))
                self.set_xy(x + label_w, y)
                self.set_font(FONT, size=8.5)
                self.multi_cell(cell - label_w - 2, 4.5, latin(value))
            self.set_xy(self.l_margin, y + height + 0.8)
        self.ln(1.5)

    def widths(self, columns: Sequence[Column], rows: Sequence[Sequence[str]], size: float) -> list[float]:
        """Column widths (mm) that fill the page width: each column gets its header's longest word and its longest
        value (up to 70 mm); the space left goes first to the columns whose values are longer (they wrap less),
        and when the page is too narrow every column shrinks and its text wraps."""
        pad = 2.2
        floor, need, want = [], [], []
        for c, column in enumerate(columns):
            head = max((text_width(w, size, True) for w in latin(column.header).split()), default=0)
            body = max((text_width(r[c], size) for r in rows[:3000]), default=0) + pad
            floor.append(max(column.min_mm, head + pad))
            need.append(max(floor[-1], min(body, 70)))
            want.append(max(need[-1], body))
        total = sum(need)
        if total > self.width:  # too wide: the columns that can wrap give up space, a header word is never cut
            slack = [n - f for n, f in zip(need, floor, strict=True)]
            excess = min(total - self.width, sum(slack))
            need = [n - excess * s / sum(slack) if sum(slack) else n for n, s in zip(need, slack, strict=True)]
            if sum(need) > self.width:
                return [w * self.width / sum(need) for w in need]
            total = sum(need)
        spare, short = self.width - total, [w - n for w, n in zip(want, need, strict=True)]
        if sum(short) > 0:
            given = [min(s, spare * s / sum(short)) for s in short]
            need = [n + g for n, g in zip(need, given, strict=True)]
            spare -= sum(given)
        return [n + spare / len(need) for n in need]

    def grid(self, columns: Sequence[Column], rows: Sequence[Sequence[str]], size: float = 7.5,
             bold_last: bool = False, printable: bool = False) -> None:
        """A table whose header is repeated on each page; rows are strings already formatted (`printable`: and
        already what the font prints, pdf_text.latin of each)."""
        rows = rows if printable else latin_rows(rows)
        Grid(self, columns, self.widths(columns, rows, size), size, HEAD_FILL, TOTAL_FILL).draw(rows, bold_last)
        self.set_x(self.l_margin)
        self.ln(2)

    def signature(self, title: str, signatory: str = "", role: str = "", lines: Sequence[str] = (),
                  lead: str = "") -> None:
        """The block a person dates, signs and stamps, with the `lead` paragraph above it (the amount certified);
        never split across pages."""
        t = texts()["signature"]
        height = 40 + 5 * len(lines) + (12 if lead else 0)
        if self.will_page_break(height):
            self.add_page()
        if lead:
            self.paragraph(lead, bold=True)
        self.ln(3)
        x, y, w = self.l_margin + self.width * 0.42, self.get_y(), self.width * 0.58
        self.set_draw_color(120)
        self.rect(x, y, w, height - 6)
        self.set_xy(x + 3, y + 2)

        def line(text: str, style: str = "", size: float = 8.5, height: float = 4.8) -> None:
            self.set_x(x + 3)
            self.set_font(FONT, style, size)
            self.multi_cell(w - 6, height, latin(text), align="L", new_x="LEFT", new_y="NEXT")

        line(title, "B", 10, 5.5)
        for text in lines:
            line(text)
        self.ln(2)
        line(t["place_date"])
        self.ln(1)
        who = ", ".join(p for p in (signatory, role) if p)
        line(f"{t['name']} {who}" if who else f"{t['name']} ………………………………………………")
        self.ln(1)
        line(t["stamp"], "I", 8)
        self.set_xy(self.l_margin, y + height)

    def save(self, target: Path, inputs: tuple[Path, ...] = ()) -> None:
        with atomic_path(target, inputs) as temp:
            self.output(str(temp))
