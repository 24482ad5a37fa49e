"""What starting a command costs: rich's consoles made on first use, the garbage collector paused during the start.

`check --json` writes through typer alone and never needs rich (a twentieth of a short check's start).
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


class LazyConsole:
    """rich's Console, made on first use: a command that writes only through typer (`check --json`) never imports
    rich. Any attribute is the console's."""

    def __init__(self, **options):
        self._options, self._console = options, None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str):
        return getattr(self.console, name)


def made(console: LazyConsole | Console) -> Console:
    """The rich Console itself (for rich's own machinery, a progress bar), lazy or not (tests put their own)."""
    return console.console if isinstance(console, LazyConsole) else console


def escape(text: str) -> str:
    """rich markup in `text` shown as it is (rich.markup.escape, imported when a message is printed)."""
    from rich.markup import escape

    return escape(text)


# Starting a command imports over 100,000 objects (typer's parsing through pydantic, pandas and numpy for a check) and
# frees none: the garbage collector would walk them again and again for nothing (8 % of a short check). It is paused
# from the group's callback, before the command's options are parsed, until the command has its modules: the first
# call of a command that reads data (cli.py's `_reference`) turns it back on, and so does the end of any command.
# What the start made is then frozen (gc.freeze: kept out of the collections until the command ends, as the modules
# it lives till then), else the first collection would walk all of it at once.
_paused_at_start = False


def pause_start(ctx) -> None:
    """Called by the group's callback (`ctx`, its click context): no collection until `started()`."""
    global _paused_at_start
    if gc.isenabled():
        gc.disable()
        _paused_at_start = True
        ctx.call_on_close(_ended)


def started() -> None:
    """The command has its modules: the collector runs again (if the start paused it)."""
    global _paused_at_start
    if _paused_at_start:
        _paused_at_start = False
        gc.freeze()
        gc.enable()


def _ended() -> None:
    """The command is over: what the start froze can be collected again (a process running several commands, tests)."""
    started()
    gc.unfreeze()
