"""Issue 4 benchmark: `bordereau check` of a new 10,000-line bordereau against a ledger holding a national-scale
history (1,000,000 billed lines over 100 CPAM), against the same check without a ledger; SQLite, and PostgreSQL when
BORDEREAU_TEST_PG names a server. Fresh processes, best of 3. Target: under 3 times the check without a ledger.

    .venv/bin/python benchmarks/bench_ledger.py
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time

import sqlalchemy as sa
from common import DATA, cli, report, run

HISTORY = 1_000_000
CPAMS = 100
KEY = DATA / "ledger.key"


def new_bordereau():
    """10,000 lines of Lille: second doses of pupils whose first dose is in the ledger (first_doses.xlsx), and
    first doses of others."""
    from bordereau.reference.data import load_reference
    from bordereau.samples import campaign_lines, write_bordereau

    path, first = DATA / "ledger-new-10000.xlsx", DATA / "ledger-first-doses.xlsx"
    if not path.exists():
        ref = load_reference()
        centre = ref.centre_by_finess["590780102"]
        period = (dt.date(2025, 9, 1), dt.date(2026, 6, 30))
        lines = campaign_lines(ref, centre, 16_000, *period, seed=7)
        second = {(x["nom"], x["nir"], x["date_naissance"]) for x in lines if x["dose"] == 2}
        earlier = [x for x in lines if x["dose"] == 1 and x["code_vaccin"] == "3400930056202"
                   and (x["nom"], x["nir"], x["date_naissance"]) in second]
        new = [x for x in lines if x not in earlier][:10_000]
        write_bordereau(first, centre, *period, earlier, big=True)
        write_bordereau(path, centre, *period, new, big=True)
    return path, first


def build_ledger(url: str, first_doses) -> None:
    """Fill a ledger: the first doses of the new bordereau's second doses, then random lines up to a million, in
    bordereaux of 100 lines for 100 CPAM."""
    from bordereau.check.run import check_files
    from bordereau.ledger import open_ledger
    from bordereau.ledger.history import line_keys
    from bordereau.ledger.schema import billed_lines, bordereaux, exports
    from bordereau.reference.data import load_reference

    ledger = open_ledger(url, KEY)
    with ledger.engine.connect() as connection:
        if connection.execute(sa.select(sa.func.count()).select_from(billed_lines)).scalar() >= HISTORY:
            return
    lines = check_files([first_doses], load_reference(), dt.date(2026, 11, 23)).lines
    earlier = lines["date_administration"]
    keys = line_keys(ledger, lines["who"], lines["vaccin_id"], earlier)
    rng = random.Random(1)
    now = dt.datetime(2026, 1, 1)
    start = time.perf_counter()
    with ledger.engine.begin() as connection:
        export_id = connection.execute(exports.insert().values(created=now, out_dir="/bench", state="done")
                                       .returning(exports.c.id)).scalar_one()
        numbers = [f"HPV-{c:03d}-5907800{b:02d}-20260101-{n}" for c in range(1, CPAMS + 1) for b in range(10)
                   for n in range(1, 11)]
        connection.execute(bordereaux.insert(), [
            {"number": n, "export_id": export_id, "cpam": n[4:7], "finess_geographique": n[8:17], "centre": "Bench",
             "period_start": dt.date(2025, 9, 1), "period_end": dt.date(2025, 9, 30), "created": now, "lines": 100,
             "prix": 985000, "amo": 640300, "complementaire": 0, "total": 640300, "file_name": f"{n}.xlsx"}
            for n in numbers])
        batch = []
        for i in range(HISTORY):
            if i < len(keys):
                dose, who = keys.iloc[i]["dose_key"], keys.iloc[i]["beneficiary_key"]
                day = earlier.iloc[i].date()
            else:
                who = ledger.hasher(f"bench-who-{i}")
                dose = ledger.hasher(f"bench-dose-{i}")
                day = dt.date(2024, 9, 1) + dt.timedelta(days=rng.randint(0, 700))
            batch.append({"bordereau": numbers[i // 100], "line_no": i % 100 + 1, "dose_key": dose,
                          "beneficiary_key": who, "vaccine_code": "3400930056202", "classe": "HPV",
                          "administered_on": day, "coverage": "droit_commun", "regime": "01", "prix": 9850,
                          "amo": 6403, "complementaire": 0, "total": 6403, "state": "billed"})
            if len(batch) == 50_000:
                connection.execute(billed_lines.insert(), batch)
                batch = []
        if batch:
            connection.execute(billed_lines.insert(), batch)
    with ledger.engine.begin() as connection:  # planner statistics, as autovacuum would gather them
        connection.exec_driver_sql("ANALYZE billed_lines")
    print(f"ledger filled in {time.perf_counter() - start:.0f} s: {url.split('@')[-1]}")
    ledger.engine.dispose()


if __name__ == "__main__":
    workbook, first_doses = new_bordereau()
    sqlite = str(DATA / "ledger-1m.sqlite")
    engines = [("SQLite", sqlite)]
    if os.environ.get("BORDEREAU_TEST_PG"):
        engines.append(("PostgreSQL", os.environ["BORDEREAU_TEST_PG"]))
    for _, url in engines:
        build_ledger(url, first_doses)
    args = ["check", str(workbook), "--json", "--today", "2026-11-23"]
    rows = [("(a) check of 10,000 lines, no ledger", *run("import os\nos.environ.pop('BORDEREAU_DB', None)\n"
                                                          + cli(*args)))]
    for name, url in engines:
        rows.append((f"(b) same check against 1,000,000 lines ({name})",
                     *run(cli(*args, "--db", url, "--key-file", str(KEY)))))
    report(rows, rows[0][0])
