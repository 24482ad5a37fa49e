"""Issue 2 benchmark: `bordereau check --json` on 100,000 lines against python-calamine alone reading them.

Both are timed as fresh processes (interpreter start and imports included), side by side in one run; best of 3.
Target: check at most 3 times the calamine read, peak memory under 1 GiB.

    .venv/bin/python benchmarks/bench_check.py
"""

from common import big_workbook, calamine_read, cli, report, run

if __name__ == "__main__":
    path = big_workbook()
    rows = [
        ("(a) python-calamine: read 100,000 lines into Python rows", *run(calamine_read(path))),
        ("(b) bordereau check --json", *run(cli("check", str(path), "--json", "--today", "2026-11-23"))),
    ]
    report(rows, rows[0][0])
