"""Issue 12 benchmark: `bordereau check --annotate` of 100,000 lines against python-calamine alone reading them, side
by side in fresh processes: paired rounds, medians of the wall and CPU times, peak memory. Two workbooks: the clean
one of common.py, and the same lines with one line in a hundred faulty (1,000 cells filled and commented).
Target: the annotated copy at most 5 times the read, under 1 GiB.

    .venv/bin/python benchmarks/bench_annotate.py
"""

import shutil
import tempfile
from pathlib import Path

from common import DATA, PERIOD, big_workbook, calamine_read, cli, paired, side_by_side

ROUNDS = 3


def faulty_workbook(lines: int = 100_000, finess: str = "590780102") -> Path:
    """The benchmark's lines with one in a hundred covered by « Mutuelle » (an unknown coverage: an error)."""
    path = DATA / f"annotate-{lines}-{finess}-faulty.xlsx"
    if not path.exists():
        from bordereau.reference.data import load_reference
        from bordereau.samples import campaign_lines, write_bordereau

        DATA.mkdir(parents=True, exist_ok=True)
        ref = load_reference()
        centre = ref.centre_by_finess[finess]
        rows = campaign_lines(ref, centre, lines, *PERIOD, seed=42)
        for row in rows[::100]:
            row["prise_en_charge"] = "Mutuelle"
        write_bordereau(path, centre, *PERIOD, rows, big=True)
    return path


def check(*args: str) -> str:
    """A snippet running `check`; its exit code 1 (errors found) is what the faulty workbook gives."""
    return cli("check", *args, "--today", "2026-11-23") + "rc = 0 if rc == 1 else rc\n"


def annotate(path: Path, work: Path) -> str:
    code = check(str(path), "--json", "--annotate", "COPY-FOLDER")
    return ("import uuid\nrun_id = uuid.uuid4().hex\n"
            + code.replace(repr("COPY-FOLDER"), f"{str(work)!r} + '/copy-' + run_id"))


if __name__ == "__main__":
    work = Path(tempfile.mkdtemp())
    try:
        for label, path in (("clean", big_workbook()), ("1 % faulty", faulty_workbook())):
            snippets = [(f"(a) python-calamine read, {label}", calamine_read(path)),
                        (f"(b) check --json, {label}", check(str(path), "--json")),
                        (f"(c) check --json --annotate, {label}", annotate(path, work))]
            side_by_side(paired(dict(snippets), ROUNDS), snippets[0][0])
    finally:
        shutil.rmtree(work, ignore_errors=True)
