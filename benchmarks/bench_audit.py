"""Issues 5 and 12 benchmark: `bordereau audit` of an exported bordereau of 100,000 lines against python-calamine alone
reading them, timed side by side in fresh processes (interpreter start and imports included): each round runs them
in turn, the ratio printed is the median over rounds of the ratio within a round, wall and CPU time apart.
Target (issue 12): `audit --json` at most 1.5 times the calamine read. Without `--no-ledger` an audit is kept in the
ledger (its lines' beneficiary keys, numbers and doses): (d) measures that with a new ledger of its own, never the
machine's.

The bordereau is the one the tool exports (header block with its number, « N° de ligne », AMO, AMC and total amounts,
totals row) for a centre's 100,000 lines with rights, made once and kept in benchmarks/data/.

    .venv/bin/python benchmarks/bench_audit.py
"""

import datetime as dt
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


def own_ledger(code: str) -> str:
    """`code` with a SQLite ledger and key of its own, in a temporary folder removed after it: the benchmark never
    writes to the machine's ledger, and each audit is a first one (no earlier audit to compare with)."""
    code = code.replace("'{DB}'", "'sqlite:///' + _home + '/registre.sqlite'")
    code = code.replace("'{KEY}'", "_home + '/registre.key'")
    return f"import shutil, tempfile\n_home = tempfile.mkdtemp()\n{code}shutil.rmtree(_home)\n"


if __name__ == "__main__":
    DATA.mkdir(parents=True, exist_ok=True)
    path = exported_bordereau()
    baseline = f"(a) python-calamine: read {LINES:,} lines into Python rows"
    audit = ("audit", str(path), "--cpam", "595", "--today", TODAY)
    side_by_side(paired({
        baseline: calamine_read(str(path)),
        "(b) bordereau audit --no-ledger (terminal summary)": cli(*audit, "--no-ledger"),
        "(c) bordereau audit --no-ledger --json (every line's verdict)": cli(*audit, "--no-ledger", "--json"),
        "(d) bordereau audit --json, a new ledger keeping it": own_ledger(cli(*audit, "--json", "--db", "{DB}",
                                                                              "--key-file", "{KEY}")),
    }, rounds=5), baseline)
