"""Issue 14 benchmark: what the reader's guard costs. The extent bound (streaming over each sheet's XML before
python-calamine reads it; the exact walk runs only when the bound is too large or the XML unusual) against the read
itself, on a 60-line example and on 100,000 lines; and, for comparison,
what reading in a child process (the other guard the issue allows, with memory and time limits) would add.

In-process timings, best of 5 (the child process: best of 3).

    .venv/bin/python benchmarks/bench_reader.py
"""

from __future__ import annotations

import multiprocessing
import resource
import time
import zipfile
from pathlib import Path

from common import ROOT, big_workbook

from bordereau.read.extent import quick_extent, xlsx_extent
from bordereau.read.workbook import open_sheets


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def scan(path: Path, exact: bool = False) -> None:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                (xlsx_extent if exact else quick_extent)(archive, name)


def _child(path: str, queue) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))
    queue.put(len(open_sheets(Path(path))[0].rows))


def in_child(path: Path) -> None:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(str(path), queue))
    process.start()
    queue.get(timeout=120)
    process.join(timeout=120)


if __name__ == "__main__":
    for label, path in (("60 lines", ROOT / "examples" / "sps-lille-2026-10.xlsx"),
                        ("100,000 lines", big_workbook())):
        read = best(lambda p=path: open_sheets(p))  # scan included
        scanned = best(lambda p=path: scan(p))
        exact = best(lambda p=path: scan(p, exact=True), repeat=2)
        child = best(lambda p=path: in_child(p), repeat=3)
        print(f"{label:>14}: open_sheets {read * 1000:8.1f} ms, of which extent bound {scanned * 1000:7.1f} ms "
              f"({scanned / read:.0%}); exact extent (slow path) {exact * 1000:8.1f} ms; the same read in a forked "
              f"child {child * 1000:8.1f} ms")
