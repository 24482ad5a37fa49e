"""openpyxl helpers shared by the annotated copies and the exports."""

from __future__ import annotations

from openpyxl.cell.cell import Cell

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def put(cell: Cell, value: object) -> Cell:
    """Set a cell's value; user text that could start a formula stays text (formula injection)."""
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"
    return cell
