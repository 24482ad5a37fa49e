"""A process of the ledger's concurrency tests (test_ledger_concurrency.py): exports through the library that the
service uses (check with the ledger, then the export, ledger included), one thread per workbook, all started at once.

    python tests/ledger_worker.py DB KEY_FILE YYYY-MM-DD WORKBOOK=OUT_FOLDER...

It opens the ledger (which recovers what a killed process left), loads the reference data, prints `ready`, waits for
a line on its standard input, runs the exports, and prints one JSON line per export: the bordereau numbers it
recorded, or why it was refused. BORDEREAU_TEST_CRASH kills it at a stage of an export (bordereau.export.run.pause).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
from pathlib import Path

import bordereau.export.run as exporting
from bordereau import clock
from bordereau.check.run import check_files
from bordereau.errors import BordereauError
from bordereau.ledger import open_ledger
from bordereau.reference.data import load_reference


def export_one(ledger, reference, path: Path, out: Path) -> dict:
    result = check_files([path], reference, clock.today(), ledger)
    if result.errors:
        return {"file": path.name, "refused": sorted({f.code for f in result.findings if f.severity == "error"})}
    try:
        plan, _ = exporting.run(result, reference, out, (path,), clock.now().astimezone(), ledger)
    except BordereauError as exc:
        return {"file": path.name, "refused": [str(exc)]}
    return {"file": path.name, "numbers": [b.number for items in plan.bordereaux.values() for b in items]}


def main() -> None:
    db, key, day, *jobs = sys.argv[1:]
    clock.set_today(dt.date.fromisoformat(day))
    ledger, reference = open_ledger(db, Path(key)), load_reference()
    pairs = [tuple(Path(p) for p in job.split("=", 1)) for job in jobs]
    print("ready", flush=True)
    sys.stdin.readline()
    def work(path: Path, out: Path) -> None:
        print(json.dumps(export_one(ledger, reference, path, out)), flush=True)

    threads = [threading.Thread(target=work, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
