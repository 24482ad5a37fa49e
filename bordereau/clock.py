"""One clock for every date the tool records or prints.

`--today` (and the tests) fix the day; nothing else in the package calls `date.today()` or `datetime.now()` for a date
it records or prints. With a fixed day, `now()` is that day at the current time of day, so records made one after the
other in a run still sort in the order they were made.

>>> with fixed(dt.date(2024, 2, 29)):
...     today(), now().date()
(datetime.date(2024, 2, 29), datetime.date(2024, 2, 29))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

_fixed: dt.date | None = None
_shift = dt.timedelta(0)  # added to now(): lets the tests move time forward (session timeouts) without sleeping


def set_today(day: dt.date | None) -> None:
    """Fix the day every command sees (None: the machine's date)."""
    global _fixed
    _fixed = day


def fixed_day() -> dt.date | None:
    """The fixed day, None when the clock follows the machine."""
    return _fixed


def today() -> dt.date:
    return _fixed or dt.date.today()


def now() -> dt.datetime:
    if _fixed is None:
        return dt.datetime.now() + _shift
    return dt.datetime.combine(_fixed, dt.datetime.now().time()) + _shift


@contextmanager
def fixed(day: dt.date | None) -> Iterator[None]:
    """Fix the day for the duration of a block, then restore the previous clock."""
    before = _fixed
    set_today(day)
    try:
        yield
    finally:
        set_today(before)


@contextmanager
def shifted(delta: dt.timedelta) -> Iterator[None]:
    """Move `now()` forward by `delta` for the duration of a block (idle timeouts, lockouts), then back.

    >>> with shifted(dt.timedelta(hours=1)):
    ...     now() - dt.datetime.now() > dt.timedelta(minutes=59)
    True
    """
    global _shift
    before = _shift
    _shift = before + delta
    try:
        yield
    finally:
        _shift = before
