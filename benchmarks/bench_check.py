"""Issue 12 benchmark: `check --json` and `totals --json` against python-calamine alone reading the same workbook,
how their time grows with the number of lines, and what a check of 60 lines costs a whole process.

Every figure comes from fresh processes (interpreter start and imports included) run side by side: each round runs
every contender once, in turn; the ratio printed is the median over rounds of the ratio within a round, wall time and
CPU time apart (CPU time is what a busy machine disturbs least). Peak memory is the highest of the rounds.

    .venv/bin/python benchmarks/bench_check.py            # all three parts
    .venv/bin/python benchmarks/bench_check.py ratio      # 100,000 lines: check, totals, calamine
    .venv/bin/python benchmarks/bench_check.py linear     # check at 10,000, 30,000, 100,000 and 300,000 lines
    .venv/bin/python benchmarks/bench_check.py start      # 60 lines, whole process, against `python -c pass`
    .venv/bin/python benchmarks/bench_check.py against DIR  # the same, another copy of the tool beside this one
    .venv/bin/python benchmarks/bench_check.py ratio-against DIR  # 100,000 lines, that copy and this one

Targets (issue 12): at 100,000 lines check and totals at most 1.5x the calamine read, peak memory under 300 MiB; no
step of the linear part above 3.3x the time for 3x the lines; the 60-line check at most 0.6 s (CPU).
"""

import itertools
import json
import os
import sys
from pathlib import Path

from common import ROOT, big_workbook, calamine_read, cli, paired, side_by_side

TODAY = ("--today", "2026-11-23")
SIZES = (10_000, 30_000, 100_000, 300_000)


def workbook(lines: int):
    return big_workbook() if lines == 100_000 else big_workbook(lines, name=f"check-{lines}.xlsx")


def ratio(rounds: int = 5) -> dict:
    path = str(workbook(100_000))
    print("100,000 lines, 13 columns:")
    return side_by_side(paired({
        "(a) python-calamine: read the lines into Python rows": calamine_read(path),
        "(b) bordereau check --json": cli("check", path, "--json", *TODAY),
        "(c) bordereau totals --json": cli("totals", path, "--json", *TODAY),
    }, rounds), "(a) python-calamine: read the lines into Python rows")


def linear(rounds: int = 3) -> dict:
    paths = {n: str(workbook(n)) for n in SIZES}
    print("check --json by number of lines (each size against the calamine read of the same file):")
    figures = {}
    for n, path in paths.items():
        runs = paired({f"{n:>7,} lines: calamine": calamine_read(path),
                       f"{n:>7,} lines: check --json": cli("check", path, "--json", *TODAY)}, rounds)
        figures.update(side_by_side(runs, f"{n:>7,} lines: calamine"))
    checks = [(n, figures[f"{n:>7,} lines: check --json"]) for n in SIZES]
    for (n0, f0), (n1, f1) in itertools.pairwise(checks):
        print(f"{n0:>7,} -> {n1:>7,} lines ({n1 / n0:.2f}x): wall {f1['wall'] / f0['wall']:.2f}x, "
              f"CPU {f1['cpu'] / f0['cpu']:.2f}x")
    return figures


def start(rounds: int = 10) -> dict:
    """The 60-line check, whole process: through the typer app as the other parts, through `main()` as the installed
    `bordereau` program runs, and with an empty cache (the reference data validated again, as after a change of
    tarifs/). Bytecode is written and read as an installed tool's is (pip compiles it at install time): a shell with
    PYTHONDONTWRITEBYTECODE would make every process compile the package's sources again. One round first, not
    counted, writes the bytecode and the reference data's cache."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    path = str(ROOT / "examples" / "sps-lille-2026-10.xlsx")
    args = ("check", path, "--json", *TODAY)
    program = ("import contextlib, io, sys\nfrom cli import main\n"
               f"sys.argv = {['bordereau', *args]!r}\n"
               "with contextlib.redirect_stdout(io.StringIO()):\n"
               "    try:\n        main()\n    except SystemExit as exit:\n        rc = exit.code or 0\n")
    cold = "import os, tempfile\nos.environ['XDG_CACHE_HOME'] = tempfile.mkdtemp()\n" + cli(*args)
    contenders = {"(a) python -c pass": "pass",
                  "(b) bordereau check --json (60 lines)": cli(*args),
                  "(c) the same through main(), as the installed program": program,
                  "(d) the same, reference data cache empty": cold}
    paired(contenders, 1)
    print("60 lines, whole process:")
    return side_by_side(paired(contenders, rounds), "(a) python -c pass")


def against(before: str, rounds: int = 10) -> dict:
    """The 60-line check of another copy of the tool (`before`, e.g. `git archive main | tar -x -C /tmp/before`)
    and of this one, side by side, each run in its own folder (its own `cli` and `bordereau` come first)."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    def check_in(folder: str) -> str:
        return (f"import os\nos.chdir({folder!r})\n"
                + cli("check", str(Path(folder) / "examples" / "sps-lille-2026-10.xlsx"), "--json", *TODAY))

    contenders = {"(a) python -c pass": "pass", f"(b) check --json, {before}": check_in(before),
                  "(c) check --json, this copy": check_in(str(ROOT))}
    paired(contenders, 1)
    print("60 lines, whole process, before and after:")
    return side_by_side(paired(contenders, rounds), "(a) python -c pass")


def ratio_against(before: str, rounds: int = 3) -> dict:
    """`ratio` for another copy of the tool (`before`) and this one, side by side in the same rounds."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    path = str(workbook(100_000))

    def inside(folder: str, command: str) -> str:
        return f"import os\nos.chdir({folder!r})\n" + cli(command, path, "--json", *TODAY)

    floor = "(a) python-calamine: read the lines into Python rows"
    contenders = {floor: calamine_read(path)}
    for command in ("check", "totals"):
        contenders[f"{command} --json, {before}"] = inside(before, command)
        contenders[f"{command} --json, this copy"] = inside(str(ROOT), command)
    print("100,000 lines, before and after:")
    return side_by_side(paired(contenders, rounds), floor)


if __name__ == "__main__":
    if sys.argv[1:2] in (["against"], ["ratio-against"]):
        part = {"against": against, "ratio-against": ratio_against}[sys.argv[1]]
        print(json.dumps({sys.argv[1]: part(sys.argv[2])}))
        sys.exit()
    parts = sys.argv[1:] or ["ratio", "linear", "start"]
    results = {part: {"ratio": ratio, "linear": linear, "start": start}[part]() for part in parts}
    print(json.dumps(results))
