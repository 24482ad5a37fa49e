"""How every workbook the tool writes prints: A4, one page wide, its header rows repeated on each page, a print
area, the document's title and number in the page header, « Page i / n » in the footer, columns wide enough for their
labels and values.

>>> column_width("Montant total à rembourser", ["64,03 €"]), column_width("N°", [1, 12])
(16.0, 6.0)
"""

from __future__ import annotations

from collections.abc import Iterable

A4 = 9  # xlsxwriter's (and Excel's) paper code
MAX_WIDTH = 60.0


def _escape(text: str) -> str:
    """Excel page headers read « & » as a code: a literal one is doubled."""
    return text.replace("&", "&&")


def column_width(label: str, values: Iterable[object] = (), header_lines: int = 2) -> float:
    """Characters a column needs: its longest value, and its label on at most `header_lines` lines (never a word
    cut); within [6, MAX_WIDTH]."""
    words = label.split()
    longest_word = max((len(w) for w in words), default=0)
    label_width = max(longest_word, -(-len(label) // header_lines) + 2)
    value_width = max((len(_shown(v)) for v in values), default=0)
    return float(min(MAX_WIDTH, max(6, label_width + 1, value_width + 2)))


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f} €"
    if hasattr(value, "strftime"):
        return "00/00/0000"
    return "" if value is None else str(value)


def wrapped_height(text: str, width: float, line: float = 15.0) -> float | None:
    """The height (points) of a row whose cell of `width` characters wraps `text`; None when one line is enough
    (spreadsheets do not all grow a row for wrapped text by themselves).

    >>> wrapped_height("court", 20), wrapped_height("x" * 50, 20)
    (None, 45.0)
    """
    lines = sum(max(1, -(-len(part) // max(1, int(width * 0.95)))) for part in text.split("\n"))
    return None if lines <= 1 else lines * line


def set_widths(ws, labels: list[str], columns: list[list[object]], first_col: int = 0, sample: int = 2000) -> None:
    """Set each column's width from its label and (a sample of) its values."""
    for c, (label, values) in enumerate(zip(labels, columns, strict=True), start=first_col):
        ws.set_column(c, c, column_width(label, values[:sample]))


def setup(ws, title: str, number: str, header_rows: tuple[int, int] | None, last_row: int, last_col: int,
          landscape: bool = True) -> None:
    """Print settings of an xlsxwriter worksheet; rows and columns are 0-based, `header_rows` repeated."""
    ws.set_paper(A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)  # one page wide, as many pages high as needed
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.7)
    ws.print_area(0, 0, max(last_row, 0), max(last_col, 0))
    if header_rows is not None:
        ws.repeat_rows(*header_rows)
    ws.set_header(f"&L&9{_escape(title)}&R&9{_escape(number)}")
    ws.set_footer(f"&L&8{_escape(number)}&RPage &P / &N")


def setup_openpyxl(ws, title: str, number: str, header_rows: str | None, landscape: bool = True) -> None:
    """The same settings on an openpyxl worksheet (the annotated copies); `header_rows` like "1:1"."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_area = ws.dimensions
    if header_rows:
        ws.print_title_rows = header_rows
    ws.oddHeader.left.text, ws.oddHeader.right.text = _escape(title), _escape(number)
    ws.oddFooter.left.text, ws.oddFooter.right.text = _escape(number), "Page &P / &N"
