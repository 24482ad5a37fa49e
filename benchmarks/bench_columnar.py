"""Issue 12 benchmark: would a columnar reader lower the floor `check` pays? python-calamine's read of the
100,000-line workbook into rows (the floor of bench_check.py) against fastexcel loading the same sheet's table into
Arrow columns, then into Python values (what the check's typed columns start from), in fresh processes side by side.

fastexcel and nanoarrow (an Arrow consumer that does not switch pandas 3's `str` storage to pyarrow, as installing
pyarrow would) are not dependencies of the tool: give an interpreter that has them and python-calamine, say

    python3 -m venv /tmp/fx && /tmp/fx/bin/pip install fastexcel nanoarrow python-calamine==0.9.1
    .venv/bin/python benchmarks/bench_columnar.py /tmp/fx/bin/python [ROUNDS]

The workbook is bench_check.py's (`benchmarks/data/common-100000-590780102-seed42.xlsx`: run that first). fastexcel is
given the header row (row 7), which the check finds only once the sheet is read: finding it with fastexcel is a
second whole load of the sheet (`n_rows` does not shorten the parse), measured as (d).
"""

from __future__ import annotations

import subprocess
import sys

from common import DATA, paired, side_by_side

PATH = str(DATA / "common-100000-590780102-seed42.xlsx")
LOAD = ("import fastexcel\n"
        f"sheet = fastexcel.read_excel({PATH!r}).load_sheet(0, header_row=6, dtype_coercion='strict',"
        " schema_sample_rows=None)\n")
CONTENDERS = {
    "(a) python-calamine: the rows as Python values": (
        "import python_calamine as c\n"
        f"rows = c.CalamineWorkbook.from_path({PATH!r}).get_sheet_by_index(0).to_python(skip_empty_area=False)\n"),
    "(b) fastexcel: the table's typed Arrow columns": LOAD + "import nanoarrow\ncolumns = nanoarrow.Array(sheet)\n",
    "(c) fastexcel: the same, as Python values": (
        LOAD + "import nanoarrow\nbatch = nanoarrow.Array(sheet)\n"
        "columns = [batch.child(i).to_pylist() for i in range(len(sheet.selected_columns))]\n"),
    "(d) fastexcel: (b) after a first load that finds the header": (
        "import fastexcel\n"
        f"fastexcel.read_excel({PATH!r}).load_sheet(0, header_row=None, n_rows=40)\n"
        + LOAD + "import nanoarrow\ncolumns = nanoarrow.Array(sheet)\n"),
}

if __name__ == "__main__":
    python, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5
    if python != sys.executable:  # common.paired runs its snippets with the running interpreter
        raise SystemExit(subprocess.call([python, __file__, python, str(rounds)]))
    side_by_side(paired(CONTENDERS, rounds), "(a) python-calamine: the rows as Python values")
