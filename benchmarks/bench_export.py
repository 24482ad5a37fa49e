"""Issue 12 benchmark: `bordereau export` of 100,000 lines against its floor, python-calamine reading them plus
xlsxwriter (constant_memory) writing the same cells, side by side in fresh processes: paired rounds, medians of the
wall and CPU times. The export records its lines in a fresh SQLite ledger each run, and in a fresh PostgreSQL
database when BORDEREAU_TEST_PG names a server (postgresql://user@host:port/any_database).
Target: the export at most 1.5 times its floor. With `--before TREE` (say `git archive main | tar -x -C /tmp/before`),
the exports are also measured with that tree's bordereau, in the same rounds (before/after).

    .venv/bin/python benchmarks/bench_export.py [--before TREE] [--rounds N]
"""

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from common import big_workbook, calamine_read, cli, paired, side_by_side

PREFIX = f"bench_export_{os.getpid()}_"  # the databases of this run only: others may run beside it


def read_and_write(path: Path, target: Path) -> str:
    return calamine_read(path) + (
        "import xlsxwriter\n"
        f"book = xlsxwriter.Workbook({str(target)!r}, {{'constant_memory': True, 'strings_to_formulas': False}})\n"
        "ws = book.add_worksheet()\n"
        "for r, row in enumerate(rows):\n"
        "    ws.write_row(r, 0, row)\n"
        "book.close()\n")


def export(path: Path, work: Path, pg: str | None = None) -> str:
    """A snippet exporting `path` into a fresh folder, with a ledger of its own (an export never bills a dose
    twice): a SQLite file in `work`, or a new database on the PostgreSQL server of `pg`, dropped by `drop_all`."""
    code = cli("export", str(path), "--out", "EXPORT-FOLDER", "--today", "2026-11-23")
    code = code.replace(repr("EXPORT-FOLDER"), f"{str(work)!r} + '/export-' + run_id")
    setup = ["import os, uuid", "run_id = uuid.uuid4().hex",
             f"os.environ['BORDEREAU_KEY_FILE'] = {str(work / 'ledger.key')!r}"]
    if pg is None:
        setup.append(f"os.environ['BORDEREAU_DB'] = {str(work)!r} + '/ledger-' + run_id + '.sqlite'")
    else:
        server = pg.rsplit("/", 1)[0]
        setup += ["import psycopg", f"with psycopg.connect({pg!r}, autocommit=True) as c:",
                  f"    c.execute(f'CREATE DATABASE {PREFIX}{{run_id}}')",
                  f"os.environ['BORDEREAU_DB'] = {server!r} + '/{PREFIX}' + run_id"]
    return "\n".join(setup) + "\n" + code


def from_tree(code: str, tree: Path) -> str:
    """`code` run with the bordereau of another source tree (a `git archive` of main, say), for before/after."""
    return f"import os, sys\nos.chdir({str(tree)!r})\nsys.path.insert(0, {str(tree)!r})\n{code}"


def drop_all(pg: str) -> None:
    import psycopg

    with psycopg.connect(pg, autocommit=True) as c:
        names = c.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (PREFIX + "%",)).fetchall()
        for (name,) in names:
            c.execute(f'DROP DATABASE "{name}"')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, metavar="TREE",
                        help="also measure the exports with the bordereau of this source tree (before/after)")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    path = big_workbook()
    work = Path(tempfile.mkdtemp())
    pg = os.environ.get("BORDEREAU_TEST_PG")
    try:
        snippets = [("(a) calamine read + xlsxwriter write of the same cells",
                     read_and_write(path, work / "copy.xlsx")),
                    ("(b) bordereau export, SQLite ledger", export(path, work))]
        if pg:
            snippets.append(("(c) bordereau export, PostgreSQL ledger", export(path, work, pg)))
        if options.before:
            tree = options.before.resolve()
            snippets.append(("(b) before", from_tree(export(path, work), tree)))
            if pg:
                snippets.append(("(c) before", from_tree(export(path, work, pg), tree)))
        side_by_side(paired(dict(snippets), options.rounds), snippets[0][0])
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if pg:
            drop_all(pg)
