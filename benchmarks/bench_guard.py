"""The extent guard alone (`read/workbook.guard`: size, zip table of contents, `<dimension>`, every sheet's extent
streamed) on the 100,000-line workbook, this copy of the tool and, if given, another one side by side.

Each round runs, in a fresh process per copy, one guard to warm up then `REPEATS` guards, and keeps the median CPU
and wall time of one guard; the rounds alternate the copies, and the figures printed are the medians over rounds.

    .venv/bin/python benchmarks/bench_guard.py [DIR] [--rounds N]   # DIR: e.g. a `git archive` of main
"""

import json
import statistics
import subprocess
import sys

from common import ROOT, big_workbook

REPEATS = 7
_ONE = """
import json, statistics, sys, time
from pathlib import Path
sys.path.insert(0, {folder!r})
from bordereau.read.workbook import guard
path = Path({path!r})
guard(path)
runs = []
for _ in range({repeats}):
    wall, cpu = time.perf_counter(), time.process_time()
    guard(path)
    runs.append((time.perf_counter() - wall, time.process_time() - cpu))
print(json.dumps([statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)]))
"""


def once(folder: str, path: str) -> tuple[float, float]:
    code = _ONE.format(folder=folder, path=path, repeats=REPEATS)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=folder)
    wall, cpu = json.loads(out.stdout)
    return wall, cpu


def main(argv: list[str]) -> dict:
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 5
    folders = {"this copy": str(ROOT)}
    others = [a for a in argv if not a.startswith("--") and not a.isdigit()]
    if others:
        folders = {others[0]: others[0], **folders}
    path = str(big_workbook())
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in folders}
    for _ in range(rounds):
        for name, folder in folders.items():
            runs[name].append(once(folder, path))
    figures = {}
    print(f"{'guard(), 100,000 lines':<40} {'wall':>8} {'CPU':>8}")
    for name, rows in runs.items():
        wall, cpu = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
        figures[name] = {"wall": round(wall, 4), "cpu": round(cpu, 4)}
        print(f"{name:<40} {wall:7.3f}s {cpu:7.3f}s")
    return figures


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
