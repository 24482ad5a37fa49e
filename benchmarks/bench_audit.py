"""Issues 5 and 12 benchmark: `bordereau audit` of an exported bordereau of 100,000 lines against python-calamine alone
reading them, timed side by side in fresh processes (interpreter start and imports included): each round runs them
in turn, the ratio printed is the median over rounds of the ratio within a round, wall and CPU time apart.
Target (issue 12): `audit --json` at most 1.5 times the calamine read. Without `--no-ledger` an audit is kept in the
ledger (its lines' beneficiary keys, numbers and doses): (d) measures that with a new ledger of its own, never the
machine's.

The bordereau is the one the tool exports (header block with its number, « N° de ligne », AMO, AMC and total amounts,
totals row) for a centre's 100,000 lines with rights, made once and kept in benchmarks/data/.

    .venv/bin/python benchmarks/bench_audit.py [--before TREE] [--rounds N] [--rejected]

BORDEREAU_TEST_PG=postgresql://... adds (e), the audit kept in a PostgreSQL ledger (a database of its own per run,
dropped after it); (f) is `check --json` of the same file, the read and rules the audit shares with `check`. With
`--before TREE` (say `git archive main | tar -x -C /tmp/before`), (c), (d) and (e) are also measured with that tree's
code, in the same rounds. `--rejected` measures (g) instead: the same audit for another caisse (594), every line
rejected (CENTRE_NOT_ATTACHED, exit code 1 as expected), which makes the statement of rejected lines 100,000 rows
long.
"""

import argparse
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

from common import DATA, PERIOD, calamine_read, cli, paired, side_by_side

LINES = 100_000
TODAY = "2026-11-23"


def exported_bordereau(lines: int = LINES, finess: str = "590780102") -> Path:
    """The export of `lines` lines with rights of one centre over the campaign period: one bordereau."""
    target = DATA / f"export-{lines}.xlsx"
    if target.exists():
        return target
    import bordereau.export.run as export
    from bordereau.check.run import check_files
    from bordereau.reference.data import load_reference
    from bordereau.samples import campaign_lines, write_bordereau

    ref = load_reference()
    centre = ref.centre_by_finess[finess]
    rows = [r for r in campaign_lines(ref, centre, lines + lines // 10, *PERIOD, seed=42)
            if r["prise_en_charge"] != "sans droits"][:lines]
    work = Path(tempfile.mkdtemp(dir=DATA))
    try:
        source = write_bordereau(work / "centre.xlsx", centre, *PERIOD, rows, big=True)
        result = check_files([source], ref, dt.date.fromisoformat(TODAY))
        assert not result.errors, result.findings[:3]
        plan = export.plan(result, ref, dt.datetime(2026, 11, 23, 12, 0).astimezone())
        export.write(plan, work / "out", (source,))
        [written] = (work / "out").glob("*/HPV-*.xlsx")
        shutil.move(written, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def own_ledger(code: str, pg: str | None = None) -> str:
    """`code` with a ledger and key of its own, removed after it: the benchmark never writes to the machine's ledger,
    and each audit is a first one (no earlier audit to compare with). The ledger is a SQLite file in a temporary
    folder, or a database of its own on the PostgreSQL server of `pg`, dropped at the end of the run."""
    setup = ["import os, shutil, tempfile, uuid", "_home = tempfile.mkdtemp()"]
    if pg is None:
        code = code.replace("'{DB}'", "'sqlite:///' + _home + '/registre.sqlite'")
        end = []
    else:
        server = pg.rsplit("/", 1)[0]
        setup += ["import psycopg", "_db = 'bench_audit_' + uuid.uuid4().hex",
                  f"with psycopg.connect({pg!r}, autocommit=True) as _c:", "    _c.execute(f'CREATE DATABASE {_db}')"]
        code = code.replace("'{DB}'", f"{server!r} + '/' + _db")
        end = [f"with psycopg.connect({pg!r}, autocommit=True) as _c:",
               "    _c.execute(f'DROP DATABASE {_db} WITH (FORCE)')"]
    code = code.replace("'{KEY}'", "_home + '/registre.key'")
    return "\n".join(setup) + "\n" + code + "\n".join([*end, "shutil.rmtree(_home)"]) + "\n"


def from_tree(code: str, tree: Path) -> str:
    """`code` run with the bordereau of another source tree (a `git archive` of main, say), for before/after."""
    return f"import os, sys\nos.chdir({str(tree)!r})\nsys.path.insert(0, {str(tree)!r})\n{code}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, metavar="TREE",
                        help="also measure (c) and (d) with the bordereau of this source tree (before/after)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rejected", action="store_true",
                        help="measure instead (g): every line rejected (audited for another caisse, 594)")
    options = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    path = exported_bordereau()
    pg = os.environ.get("BORDEREAU_TEST_PG")
    baseline = f"(a) python-calamine: read {LINES:,} lines into Python rows"
    audit = ("audit", str(path), "--cpam", "595", "--today", TODAY)
    ledger = (*audit, "--json", "--db", "{DB}", "--key-file", "{KEY}")
    if options.rejected:
        elsewhere = cli("audit", str(path), "--cpam", "594", "--today", TODAY, "--no-ledger", "--json") + "rc = 0\n"
        contenders = {baseline: calamine_read(str(path)),
                      "(g) audit --no-ledger --json --cpam 594: every line rejected": elsewhere}
        if options.before:
            contenders["(g) before"] = from_tree(elsewhere, options.before.resolve())
        side_by_side(paired(contenders, rounds=options.rounds), baseline)
        raise SystemExit(0)
    contenders = {
        baseline: calamine_read(str(path)),
        "(b) bordereau audit --no-ledger (terminal summary)": cli(*audit, "--no-ledger"),
        "(c) bordereau audit --no-ledger --json (every line's verdict)": cli(*audit, "--no-ledger", "--json"),
        "(d) bordereau audit --json, a new SQLite ledger keeping it": own_ledger(cli(*ledger)),
    }
    if pg:
        contenders["(e) bordereau audit --json, a new PostgreSQL ledger"] = own_ledger(cli(*ledger), pg)
    contenders["(f) bordereau check --json of the same file (the shared read and rules)"] = cli(
        "check", str(path), "--json", "--today", TODAY)
    if options.before:
        tree = options.before.resolve()
        contenders["(c) before"] = from_tree(cli(*audit, "--no-ledger", "--json"), tree)
        contenders["(d) before"] = from_tree(own_ledger(cli(*ledger)), tree)
        if pg:
            contenders["(e) before"] = from_tree(own_ledger(cli(*ledger), pg), tree)
    side_by_side(paired(contenders, rounds=options.rounds), baseline)
