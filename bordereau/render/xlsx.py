"""openpyxl helpers shared by the annotated copies and the exports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

from bordereau import clock

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
MAX_TEXT = 32_767  # characters in a cell
MONEY = '#,##0.00 "€"'


def clean(text: str) -> str:
    """Text an xlsx cell or comment can hold: control characters XML forbids shown as U+FFFD, at most 32,767 characters.

    >>> clean("a\x01b"), len(clean("x" * 40_000))
    ('a\ufffdb', 32767)
    """
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)[:MAX_TEXT]


def put(cell: Cell, value: object) -> Cell:
    """Set a cell's value; user text stays text, never a formula (formula injection), and only holds what xlsx can.
    A value openpyxl cannot store (a time span, a date before 1900) is written as its text."""
    if isinstance(value, str):
        cell.value = clean(value)
        cell.data_type = "s"
        return cell
    if isinstance(value, dt.timedelta | dt.time) or (isinstance(value, dt.date) and value.year < 1900):
        value = str(value)
    elif isinstance(value, float) and value != value:
        value = None
    cell.value = value
    return cell


class Workbook(xlsxwriter.Workbook):
    """xlsxwriter's workbook, whose destructor does not retry a `close()` that failed (a full disk, a read-only
    folder): the error was reported once, and Python would print « Exception ignored » on top of it. Its creation
    date (docProps/core.xml) is the tool's clock, not the machine's: `--today` sets it as it sets every date."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.set_properties({"created": clock.now().astimezone(dt.UTC)})

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.fileclosed = True

    def __del__(self) -> None:
        self.fileclosed = True


def new_book(path: Path, big: bool = False) -> tuple[xlsxwriter.Workbook, dict]:
    """A new xlsxwriter workbook that never turns text into formulas, numbers or links, with the exports' formats."""
    book = Workbook(str(path), {"constant_memory": big, "strings_to_formulas": False,
                                           "strings_to_numbers": False, "strings_to_urls": False})
    formats = {
        "bold": book.add_format({"bold": True}), "title": book.add_format({"bold": True, "font_size": 14}),
        "head": book.add_format({"bold": True, "text_wrap": True, "bg_color": "#DDEBF7", "border": 1}),
        "date": book.add_format({"num_format": "dd/mm/yyyy"}), "money": book.add_format({"num_format": MONEY}),
        "money_bold": book.add_format({"num_format": MONEY, "bold": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
    }
    return book, formats
