"""Reading the workbooks in a worker thread while the command starts.

A check of 100,000 lines spends 1.1 s in calamine's parse of the sheet's XML, which releases the GIL, and about
0.45 s before it needs any line: importing pandas and the rules, loading the reference data. `start(files)`, called
by the command line as soon as it has its arguments, reads the files (as `open_sheets`: size and zip inspection and
extent guard, then calamine, unchanged) in one worker thread, one file ahead of the check; `sheets_of(path)`, where the
check reads a file, takes that file's sheets, or its exception (WorkbookUnreadable: the same finding; anything
else: the same error as the plain read), re-raised in the checking thread. A file the worker did not read, or not
in the check's order, is read in place by the plain `open_sheets` (and the read ahead stops): the service and the
tests, which call `check_files` directly, read as before.

`stop()`, when the command ends, however it ends, lets the worker finish the file it is parsing (calamine cannot be
interrupted) and joins it: no thread outlives the command.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from bordereau.gcpause import paused_gc
from bordereau.read.inputs import expand
from bordereau.read.workbook import RawSheet, guard, open_sheets, parse_sheets

_active: ReadAhead | None = None


class ReadAhead:
    """One worker thread reading the files of `paths` in order, holding at most one file not yet taken."""

    def __init__(self, paths: list[Path], listing: Callable[[list[Path]], list[Path]] = expand):
        self._paths, self._listing = list(paths), listing
        self._turn = threading.Condition()
        self._path: Path | None = None  # the file being read, or read and not taken yet
        self._outcome: tuple[list[RawSheet] | None, BaseException | None] | None = None
        self._done = self._stopped = False
        self._guarded = threading.Event()  # the first file's guard is over (passed or not)
        self._thread = threading.Thread(target=self._run, name="bordereau-read-ahead")

    def _run(self) -> None:
        try:
            files = self._listing(self._paths)
        except Exception:  # a missing path, a manifest that cannot be read: the command's own listing says so
            files = []
        try:
            for path in files:
                with self._turn:
                    while self._path is not None and not self._stopped:
                        self._turn.wait()
                    if self._stopped:
                        return
                    self._path, self._outcome = path, None
                try:
                    try:
                        guard(path)
                    finally:
                        self._guarded.set()
                    if self._stopped:  # the command ended during the guard: nobody will take the sheets
                        return
                    with paused_gc():  # millions of objects with no cycle, as in check_files
                        outcome = (parse_sheets(path), None)
                except BaseException as exc:  # given to the checking thread, which raises it there
                    outcome = (None, exc)
                with self._turn:
                    self._outcome = outcome
                    self._turn.notify_all()
        finally:
            self._guarded.set()
            with self._turn:
                self._done = True
                if self._stopped:
                    self._outcome = None  # nobody will take it
                self._turn.notify_all()

    def take(self, path: Path) -> tuple[list[RawSheet] | None, BaseException | None] | None:
        """The outcome of reading `path`, waiting for the worker if it is on it; None when it is not (the read ahead
        then stops: the check reads in place)."""
        with self._turn:
            while self._path is None and not (self._done or self._stopped):
                self._turn.wait()  # the worker is listing the files, or about to start the next one
            if self._stopped or self._path != path:
                self._stopped = True
                self._turn.notify_all()
                return None
            while self._outcome is None:
                self._turn.wait()
            outcome, self._path, self._outcome = self._outcome, None, None
            self._turn.notify_all()
            return outcome

    def stop(self) -> None:
        """No more reading: the worker ends after the file it is parsing, and is joined."""
        global _active
        with self._turn:
            self._stopped = True
            self._outcome = None
            self._turn.notify_all()
        if self._thread.ident is not None:  # started
            self._thread.join()
        if _active is self:
            _active = None


def start(paths: list[Path], listing: Callable[[list[Path]], list[Path]] = expand) -> ReadAhead:
    """Start reading `paths` in a worker thread, and return once the first file's guard is over: the caller's own
    work (imports) then runs beside calamine's parse, which releases the GIL, rather than beside the guard, which
    mostly holds it (the two would only take turns). `listing` gives the files from `paths` as the command lists
    them (`expand`, or `audit_inputs` for an audit's manifests). The caller stops it when its command ends."""
    global _active
    if _active is not None:
        _active.stop()
    reading = _active = ReadAhead(paths, listing)
    try:
        reading._thread.start()
    except RuntimeError:  # no thread to be had: every file is read in place
        reading._done = True
        return reading
    try:
        reading._guarded.wait()
    except BaseException:  # Ctrl-C
        reading.stop()
        raise
    return reading


def sheets_of(path: Path) -> list[RawSheet]:
    """`open_sheets(path)`: the read ahead's when it read this file, the plain read otherwise."""
    reading = _active
    outcome = reading.take(path) if reading is not None else None
    if outcome is None:
        return open_sheets(path)
    sheets, error = outcome
    if error is not None:
        raise error
    return sheets
