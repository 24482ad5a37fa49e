"""Python's garbage collector paused around bulk work.

Reading a workbook of 100,000 lines makes millions of small objects (cells, parsed values, findings) that hold no
reference cycles; each time a generation fills up, the collector walks all of them again, which took 11-14 % of a
check and made the typed columns superlinear in the number of lines. Reference counting still frees every object
as soon as it is unused; only cycles wait for the end of the bulk work, when the collector runs again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No automatic collection inside the block; the collector comes back as it was at its end, errors included.
    Nested blocks are fine: only the outermost one turns it back on.

    >>> with paused_gc():
    ...     gc.isenabled()
    False
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
