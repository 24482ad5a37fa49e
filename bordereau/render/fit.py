"""Tables that fit a narrow terminal: at less than 120 columns they lose their vertical rules and their least useful
columns before an amount, a bordereau number or a state is cut (a rich table otherwise truncates with « … »)."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

WIDE = 120


def narrow(console: Console) -> bool:
    return console.width < WIDE


def table(console: Console, **options) -> Table:
    """A table with rules on a wide terminal, with a header rule only on a narrow one."""
    if narrow(console):
        return Table(box=box.SIMPLE_HEAD, pad_edge=False, **options)
    return Table(box=box.HEAVY_HEAD, **options)
