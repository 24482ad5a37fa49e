"""Shared by the benchmark scripts: the 100,000-line workbook, and timing of fresh processes side by side."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
PERIOD = (dt.date(2025, 9, 1), dt.date(2026, 6, 30))

# runs a snippet in a fresh interpreter and prints its peak memory (KiB) on the last line of stderr
_PEAK = "import resource, sys; sys.stderr.write(f'\\nPEAK {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')"


def big_workbook(lines: int = 100_000, name: str | None = None, finess: str = "590780102") -> Path:
    """The benchmark workbook, made once and kept in benchmarks/data/ (ignored by git). Its name says what it holds
    (lines, centre, seed): no other benchmark writes a file of that name (theirs start with their own name)."""
    from bordereau.reference.data import load_reference
    from bordereau.samples import campaign_lines, write_bordereau

    path = DATA / (name or f"common-{lines}-{finess}-seed42.xlsx")
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        ref = load_reference()
        centre = ref.centre_by_finess[finess]
        rows = campaign_lines(ref, centre, lines, *PERIOD, seed=42)
        write_bordereau(path, centre, *PERIOD, rows, big=True)
    return path


def run(code: str, repeat: int = 3) -> tuple[float, int]:
    """Best wall time (s) of `repeat` fresh processes running `code`, and their peak memory (MiB)."""
    best, peak = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        script = f"rc = 0\n{code}\n{_PEAK}\nsys.exit(rc)\n"
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              cwd=ROOT)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"exit {done.returncode}: {done.stderr[-2000:]}")
        best = min(best, elapsed)
        peak = max(peak, int(done.stderr.strip().splitlines()[-1].split()[1]) // 1024)
    return best, peak


def calamine_read(path: Path) -> str:
    return ("import python_calamine as c\n"
            f"rows = c.CalamineWorkbook.from_path({str(path)!r}).get_sheet_by_index(0).to_python()\n")


def cli(*args: str) -> str:
    """A snippet running the bordereau CLI with `args`, its output discarded."""
    return ("import contextlib, io, sys\nfrom cli import app\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    rc = app({list(args)!r}, standalone_mode=False) or 0\n")


def report(rows: list[tuple[str, float, int]], baseline: str) -> None:
    base = dict((name, t) for name, t, _ in rows)[baseline]
    for name, seconds, peak in rows:
        print(f"{name:<55} {seconds:7.2f} s  {seconds / base:5.2f}x  peak {peak:5d} MiB")
    print(json.dumps({name: {"seconds": round(t, 3), "ratio": round(t / base, 2), "peak_mib": p}
                      for name, t, p in rows}))


# -- paired runs: every contender once per round, in turn, so that a busy machine slows them alike -----------------

# the snippet's own CPU time (user + system, interpreter start included) and peak memory (KiB), on stderr's last line.
# The peak is the process's VmHWM: Linux's ru_maxrss counts the parent's memory from before the exec, and the parent
# here is the benchmark itself.
_COST = ("import re, resource, sys; _u = resource.getrusage(resource.RUSAGE_SELF)\n"
         "try:\n"
         "    _peak = int(re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1))\n"
         "except (OSError, AttributeError):\n"
         "    _peak = _u.ru_maxrss\n"
         "sys.stderr.write(f'\\nCOST {_u.ru_utime + _u.ru_stime} {_peak}\\n')")


def _once(code: str) -> tuple[float, float, int]:
    """Wall time (s), CPU time (s) and peak memory (MiB) of a fresh interpreter running `code`."""
    script = f"rc = 0\n{code}\n{_COST}\nsys.exit(rc)\n"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"exit {done.returncode}: {done.stderr[-2000:]}")
    _, cpu, peak = done.stderr.strip().splitlines()[-1].split()
    return wall, float(cpu), int(peak) // 1024


def paired(contenders: dict[str, str], rounds: int = 5) -> dict[str, list[tuple[float, float, int]]]:
    """{name: [(wall, cpu, peak MiB) per round]}: each round runs every contender once, one after the other."""
    runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, code in contenders.items():
            runs[name].append(_once(code))
    return runs


def side_by_side(runs: dict[str, list[tuple[float, float, int]]], baseline: str) -> dict[str, dict]:
    """Each contender's medians and its ratio to `baseline`: the median, over rounds, of the ratio of the two runs of
    a round (wall and CPU apart); its peak memory is the highest of its rounds. Printed as a table, and returned."""
    base = runs[baseline]
    figures = {}
    print(f"{'':<58} {'wall':>7} {'ratio':>6} {'CPU':>7} {'ratio':>6} {'peak':>9}")
    for name, rows in runs.items():
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        wall_ratio = statistics.median(r[0] / b[0] for r, b in zip(rows, base, strict=True))
        cpu_ratio = statistics.median(r[1] / b[1] for r, b in zip(rows, base, strict=True))
        peak = max(r[2] for r in rows)
        print(f"{name:<58} {wall:6.2f}s {wall_ratio:5.2f}x {cpu:6.2f}s {cpu_ratio:5.2f}x {peak:5d} MiB")
        figures[name] = {"wall": round(wall, 3), "wall_ratio": round(wall_ratio, 2), "cpu": round(cpu, 3),
                         "cpu_ratio": round(cpu_ratio, 2), "peak_mib": peak}
    return figures
