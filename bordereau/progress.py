"""Where a long command is: a progress bar on the terminal's stderr, or nothing at all (a pipe, --json, tests).

The package only announces its steps (`Steps.add`, `Steps.step`); the command line decides whether they are drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


class Steps:
    """The steps of a long piece of work; drawn only when given a console (the terminal's stderr). rich's progress
    bar is imported only then: a command in a pipe or with --json never loads it."""

    def __init__(self, console: Console | None = None):
        self._bar = None
        if console is not None:
            from rich import progress as bar

            self._bar = bar.Progress(bar.SpinnerColumn(), bar.TextColumn("{task.description}"), bar.BarColumn(),
                                     bar.MofNCompleteColumn(), bar.TimeElapsedColumn(), console=console,
                                     transient=True)
        self._task = None

    def __enter__(self) -> Steps:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task("", total=0)
        return self

    def __exit__(self, *_exc) -> None:
        if self._bar is not None:
            self._bar.stop()

    def add(self, count: int) -> None:
        """More steps to come."""
        if self._task is not None:
            task = self._bar.tasks[0]
            self._bar.update(self._task, total=(task.total or 0) + count)

    def step(self, description: str) -> None:
        """One step done; `description` says what comes next."""
        if self._task is not None:
            self._bar.update(self._task, description=description, advance=1)
            self._bar.refresh()


NONE = Steps()
