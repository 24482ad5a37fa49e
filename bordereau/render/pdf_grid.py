"""Drawing a table on a Document, fast enough for a bordereau of 100,000 lines: the header is drawn again at the
top of each page, each cell's text wraps inside its column when it does not fit on one line (nothing is cut), the
column rules are drawn once per page.

A row whose cells all fit on one line (nearly all of them) is written as one block of PDF text operators; the others,
and the bold totals row, go through fpdf2's own text calls.
"""

from __future__ import annotations

from collections.abc import Sequence

from bordereau.render.pdf_replay import Replay
from bordereau.render.pdf_text import text_width

PAD = 1.0  # mm, inside a cell, left and right
GAP = 1.3  # mm, added to the lines' height in a row
RULE = 0.5  # grey level of the rules, 0 black .. 1 white


class Grid:
    def __init__(self, doc, columns: Sequence, widths: list[float], size: float, head_fill, total_fill):
        self.doc, self.columns, self.widths, self.size = doc, columns, widths, size
        self.head_fill, self.total_fill = head_fill, total_fill
        self.line = size * 0.42  # mm per line of text
        self.xs = [doc.l_margin]
        for w in widths:
            self.xs.append(self.xs[-1] + w)
        self.top = 0.0
        self._wrapped: dict[tuple[str, float, bool], list[str]] = {}  # (text, width, bold) -> its lines
        self._grey = None  # the document's draw colour once set to the rules' grey
        self._head: list[list[str]] | None = None
        self._placed: dict[tuple[int, str], tuple[str, str]] = {}  # (column, text) -> its x and its text operator
        self._replay = Replay()  # the header's texts, the same on every page (pdf_replay)

    # -- pieces --------------------------------------------------------------------------------------------------

    def _lines(self, text: str, width: float, bold: bool) -> list[str]:
        if text_width(text, self.size, bold) <= width - 2 * PAD:
            return [text]
        doc = self.doc
        doc.set_font("helvetica", "B" if bold else "", self.size)
        if (known := self._wrapped.get((text, width, bold))) is not None:  # a value repeated down its column
            return known
        inner = width - 2 * PAD + 2 * doc.c_margin  # multi_cell keeps its own margin inside the width
        lines = self._wrapped[(text, width, bold)] = doc.multi_cell(inner, self.line, text, dry_run=True,
                                                                    output="LINES") or [""]
        return lines

    def _x(self, c: int, text: str, bold: bool = False) -> float:
        align = self.columns[c].align
        if align == "L":
            return self.xs[c] + PAD
        width = text_width(text, self.size, bold)
        if align == "R":
            return self.xs[c + 1] - PAD - width
        return self.xs[c] + (self.widths[c] - width) / 2

    def _rules(self, bottom: float) -> None:
        """The vertical rules of the table's part on this page, and its frame."""
        doc = self.doc
        doc.set_draw_color(int(RULE * 255))
        doc.set_line_width(0.15)
        for x in self.xs:
            doc.line(x, self.top, x, bottom)
        doc.line(self.xs[0], bottom, self.xs[-1], bottom)

    def _header(self) -> None:
        doc = self.doc
        if self._head is None:  # laid out once, drawn on every page
            self._head = [self._lines(c.header, w, True) for c, w in zip(self.columns, self.widths, strict=True)]
        cells = self._head
        height = max(len(c) for c in cells) * self.line + GAP
        self.top = doc.get_y()
        doc.set_fill_color(*self.head_fill)
        doc.rect(self.xs[0], self.top, self.xs[-1] - self.xs[0], height, style="F")
        self._replay.run(doc, "header", lambda: self._texts(cells, self.top, True))
        doc.set_draw_color(int(RULE * 255))
        doc.line(self.xs[0], self.top, self.xs[-1], self.top)
        doc.line(self.xs[0], self.top + height, self.xs[-1], self.top + height)
        doc.set_y(self.top + height)

    def _texts(self, cells: list[list[str]], y: float, bold: bool) -> None:
        doc = self.doc
        doc.set_font("helvetica", "B" if bold else "", self.size)
        doc.set_text_color(0)
        for c, lines in enumerate(cells):
            for k, text in enumerate(lines):
                if text:
                    doc.text(self._x(c, text, bold), y + GAP / 2 + (k + 0.78) * self.line, text)

    def _fast(self, row: Sequence[str], y: float) -> str:
        """One row of one-line cells as a single block of text operators (what doc.text() writes, cell by cell),
        returned for the caller to write."""
        doc = self.doc
        if doc.font_style or doc.font_size_pt != self.size:
            doc.set_font("helvetica", "", self.size)
        if not doc.current_font_is_set_on_page:
            doc.text(self.xs[0], y, "")  # selects the font on this page
        font, k, h = doc.current_font, doc.k, doc.h
        base = (h - (y + GAP / 2 + 0.78 * self.line)) * k
        placed, ops, at = self._placed, [], f" {base:.2f} Td "
        for c, text in enumerate(row):
            if text:  # a column repeats a few values (dates, vaccines, amounts): each is placed once
                if (part := placed.get((c, text))) is None:
                    part = placed[(c, text)] = (f"BT {self._x(c, text) * k:.2f}", f"{font.encode_text(text)} ET")
                ops.append(f"{part[0]}{at}{part[1]}")
        return " ".join(ops)

    # -- the table -----------------------------------------------------------------------------------------------

    def _one_line(self, rows: Sequence[Sequence[str]]) -> list[bool]:
        """Whether each row's cells all fit on one line: each distinct text of a column measured once, and only the
        columns holding a text too wide looked at row by row."""
        fits = [True] * len(rows)
        for c, w in enumerate(self.widths):
            room = w - 2 * PAD
            wide = {text for text in {row[c] for row in rows} if not text_width(text, self.size, False) <= room}
            if wide:
                for n, row in enumerate(rows):
                    if row[c] in wide:
                        fits[n] = False
        return fits

    def draw(self, rows: Sequence[Sequence[str]], bold_last: bool) -> None:
        doc = self.doc
        if doc.will_page_break(4 * self.line + 2 * GAP):
            doc.add_page()
        self._header()
        doc.set_text_color(0)
        doc.set_fill_color(0)  # PDF text is painted with the fill colour
        last = len(rows) - 1
        one_line = self._one_line(rows)
        grey = int(RULE * 255)
        left, right, k = self.xs[0], self.xs[-1], doc.k
        rule = f"{left * k:.2f} {{}} m {right * k:.2f} {{}} l S"  # doc.line() of a row's bottom rule
        out: list[str] = []  # the fast rows' operators, written in one go (what doc._out writes, row by row)
        for n, row in enumerate(rows):
            bold = bold_last and n == last
            if one_line[n] and not bold:
                height = self.line + GAP
            else:
                cells = [self._lines(text, w, bold) for text, w in zip(row, self.widths, strict=True)]
                height = max(len(c) for c in cells) * self.line + GAP
            y = doc.get_y()
            if y + height > doc.page_break_trigger:
                self._flush(out)
                self._rules(y)
                doc.add_page()
                self._header()
                doc.set_fill_color(0)
                y = doc.get_y()
            if not bold and height <= self.line + GAP:
                if not doc.current_font_is_set_on_page or doc.font_style or doc.font_size_pt != self.size:
                    self._flush(out)
                if ops := self._fast(row, y):
                    out.append(ops)
                if self._grey is None or doc.draw_color != self._grey:
                    self._flush(out)
                    doc.set_draw_color(grey)
                    self._grey = doc.draw_color
                bottom = f"{(doc.h - (y + height)) * k:.2f}"
                out.append(rule.format(bottom, bottom))
                doc.set_y(y + height)
                continue
            self._flush(out)
            if bold:
                doc.set_fill_color(*self.total_fill)
                doc.rect(self.xs[0], y, self.xs[-1] - self.xs[0], height, style="F")
                doc.set_fill_color(0)
            self._texts(cells, y, bold)
            doc.set_draw_color(grey)
            doc.line(self.xs[0], y + height, self.xs[-1], y + height)
            doc.set_y(y + height)
        self._flush(out)
        self._rules(doc.get_y())

    def _flush(self, out: list[str]) -> None:
        if out:
            self.doc._out("\n".join(out))
            out.clear()
