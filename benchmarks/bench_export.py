"""Issue 3 benchmark: `bordereau export` of 100,000 lines against python-calamine reading them plus xlsxwriter
(constant_memory) writing the same rows, timed side by side in fresh processes; best of 3.
Target: export at most 4 times the read + write baseline.

    .venv/bin/python benchmarks/bench_export.py
"""

import shutil
import tempfile
from pathlib import Path

from common import big_workbook, calamine_read, cli, report, run


def read_and_write(path: Path, target: Path) -> str:
    return calamine_read(path) + (
        "import xlsxwriter\n"
        f"book = xlsxwriter.Workbook({str(target)!r}, {{'constant_memory': True, 'strings_to_formulas': False}})\n"
        "ws = book.add_worksheet()\n"
        "for r, row in enumerate(rows):\n"
        "    ws.write_row(r, 0, row)\n"
        "book.close()\n")


if __name__ == "__main__":
    path = big_workbook()
    work = Path(tempfile.mkdtemp())
    try:
        baseline = run(read_and_write(path, work / "copy.xlsx"))
        # each run exports into a fresh folder (an export is never overwritten)
        target = str(work / "export-PLACEHOLDER")
        code = cli("export", str(path), "--out", target, "--today", "2026-11-23")
        code = code.replace(repr(target), f"{str(work)!r} + '/export-' + run_id")
        # each run records its 100,000 lines in a ledger of its own (an export never bills a dose twice)
        code = ("import os, uuid\nrun_id = uuid.uuid4().hex\n"
                f"os.environ['BORDEREAU_DB'] = {str(work)!r} + '/ledger-' + run_id + '.sqlite'\n"
                f"os.environ['BORDEREAU_KEY_FILE'] = {str(work / 'ledger.key')!r}\n" + code)
        rows = [("(a) calamine read + xlsxwriter write of the same rows", *baseline),
                ("(b) bordereau export (check, split, ledger, PETRA files)", *run(code))]
        report(rows, rows[0][0])
    finally:
        shutil.rmtree(work, ignore_errors=True)
